import { io, resolvePath } from './io.ts';
import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { CONSENT_STATUSES, definePurpose, getConsents, importConsents, keyRingFor, listPurposes, recordConsents, canonicalCustomer, type ConsentStatus } from '../privacy/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

const line = (cells: (string | null | undefined)[], widths: number[]) => cells.map((c, i) => String(c ?? '-').padEnd(widths[i] ?? 0)).join('  ');

/** `siyu import consents FILE`: called by the import command for the `consents` kind. */
export async function importConsentsCommand(file: string, opts: { db?: string; rejects?: string; json?: boolean }): Promise<void> {
  await withOpenStore(opts.db, async (store) => {
    const report = await importConsents(store, resolvePath(file), { rejectsPath: opts.rejects && resolvePath(opts.rejects) });
    emit(opts.json, report, () =>
      [`imported consents from ${file}`, `  rows      ${report.rows} read, ${report.recorded} recorded, ${report.unchanged} unchanged, ${report.rejected.length} rejected`, ...(report.rejectsFile ? [`  rejects   ${report.rejectsFile} (line, field, reason)`] : [])].join('\n'),
    );
  });
}

export function registerConsent(program: Command): void {
  const consent = program.command('consent').description('the consent ledger: decisions per customer and purpose (docs/privacy.md#consent)');

  withDb(consent.command('show').argument('<customer-id>').description("a customer's consent per purpose, and the ledger behind it"))
    .option('--evidence', 'decrypt and show the evidence of each entry')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { db?: string; evidence?: boolean; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const c = await getConsents(store, id, opts.evidence ? await keyRingFor(store) : undefined);
          emit(opts.json, c, () =>
            [
              `consent of ${c.customerId}`,
              ...c.purposes.map((p) => `  ${line([p.purpose, p.isAllowed ? 'allowed' : 'not allowed', p.status ?? `(no decision; ${p.basis})`, p.effectiveAt?.toISOString(), p.source], [28, 12, 26, 25, 12])}`),
              '',
              `ledger (${c.history.length} entries, newest first)`,
              ...c.history.map((h) => `  ${line([h.effectiveAt.toISOString(), h.purpose, h.status, h.source, h.textVersion, opts.evidence ? h.evidence : null], [25, 28, 10, 22, 10, 0])}`),
            ].join('\n'),
          );
        }),
      ),
    );

  withDb(consent.command('set').argument('<customer-id>').argument('<purpose>').argument('<status>', CONSENT_STATUSES.join('|')).description('record a decision (appended only if it changes the current one)'))
    .option('--text-version <v>', 'the version of the consent text the person saw')
    .option('--evidence <text>', 'a reference to the proof (stored encrypted)')
    .option('--by <name>', 'who recorded it', 'cli')
    .option('--at <timestamp>', 'when the person decided (default: now)')
    .action(
      action(async (id: string, purpose: string, status: string, opts: { db?: string; textVersion?: string; evidence?: string; by: string; at?: string }) => {
        if (!(CONSENT_STATUSES as readonly string[]).includes(status)) throw new SiyuError('validation', 'invalid_status', `status must be ${CONSENT_STATUSES.join(', ')}, not ${JSON.stringify(status)}`);
        const at = opts.at === undefined ? undefined : new Date(opts.at);
        if (at && Number.isNaN(at.getTime())) throw new SiyuError('validation', 'invalid_flag', `--at must be a timestamp, not ${JSON.stringify(opts.at)}`);
        await withOpenStore(opts.db, async (store) => {
          const customerId = await canonicalCustomer(store, id);
          const ring = opts.evidence ? await keyRingFor(store) : undefined;
          const r = await store.transaction((tx) => recordConsents(tx, [{ customerId, purpose, status: status as ConsentStatus, source: 'cli', effectiveAt: at, textVersion: opts.textVersion, evidence: opts.evidence, recordedBy: opts.by }], ring));
          io().stdout.write(r.recorded ? `recorded: ${customerId} ${purpose} ${status}\n` : `unchanged: ${customerId} already ${status} for ${purpose}\n`);
        });
      }),
    );

  withDb(consent.command('purposes').description('the purposes consent is asked for: built-in (PIPL) and the brand\'s own'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listPurposes(store);
          emit(opts.json, list, () => list.map((p) => line([p.purpose, p.basis, p.piplArticle ? `PIPL art. ${p.piplArticle}` : 'brand-defined', p.segmentCategory ? `Segment: ${p.segmentCategory}` : '', `${p.name}${p.nameZh ? ` ${p.nameZh}` : ''}`], [28, 8, 18, 22, 0])).join('\n'));
        }),
      ),
    );

  withDb(consent.command('define').argument('<purpose>', 'lower-case id, e.g. member_survey').description("add or change a brand-defined purpose (built-in ones: only --segment-category)"))
    .requiredOption('--name <name>', 'what it is, for people')
    .option('--name-zh <name>', 'the Chinese name')
    .option('--basis <basis>', 'opt_in (needs a grant) | opt_out (allowed until refused)', 'opt_in')
    .option('--segment-category <id>', 'the Segment consent categoryId that means this purpose')
    .action(
      action(async (purpose: string, opts: { db?: string; name: string; nameZh?: string; basis: string; segmentCategory?: string }) => {
        if (opts.basis !== 'opt_in' && opts.basis !== 'opt_out') throw new SiyuError('validation', 'invalid_flag', `--basis must be opt_in or opt_out, not ${JSON.stringify(opts.basis)}`);
        await withOpenStore(opts.db, async (store) => {
          const p = await definePurpose(store, { purpose, name: opts.name, nameZh: opts.nameZh, basis: opts.basis as 'opt_in' | 'opt_out', segmentCategory: opts.segmentCategory });
          io().stdout.write(`purpose ${p.purpose} (${p.basis})${p.segmentCategory ? `, Segment category ${p.segmentCategory}` : ''}\n`);
        });
      }),
    );
}
