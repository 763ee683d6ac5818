import { io, resolvePath } from './io.ts';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { localActor, recordAudit } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { formatNumber as n } from '../core/text.ts';
import { SingleBar, Presets } from 'cli-progress';
import { dueSegments, EXPORT_PROFILE_FIELDS, exportSegment, layerMigration, listSegments, MIGRATION_LAYERS, previewSegment, REFRESH_SCHEDULES, refreshSegments, saveSegment, type MigrationLayer, type RefreshReport, type RefreshSchedule } from '../segment/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

/** The definition from --definition (JSON text) or --file; a JSON syntax error names where it is. */
function readDefinition(opts: { definition?: string; file?: string }): unknown {
  if (!opts.definition === !opts.file) throw new SiyuError('validation', 'missing_flag', 'give the definition as --definition JSON or --file PATH (one of them)');
  const text = opts.definition ?? (() => {
    try {
      return readFileSync(resolvePath(opts.file!), 'utf8');
    } catch (error) {
      throw new SiyuError('not_found', 'file_not_found', `cannot read ${opts.file}: ${(error as Error).message}`);
    }
  })();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SiyuError('validation', 'invalid_json', `${opts.file ?? '--definition'}: not JSON: ${(error as Error).message}`);
  }
}

export function registerSegment(program: Command): void {
  const segment = program.command('segment').description('segment builder: JSON definitions over attributes, layers, traits and events (docs/segmentation.md)');
  const definitionFlags = (c: Command) => c.option('--definition <json>', 'the definition as JSON text').option('--file <path>', 'or a file holding it');
  withDb(definitionFlags(segment.command('preview').description('how many customers match, and 20 of them')))
    .option('--as-of <date>', 'day to evaluate on (default: the latest order day)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; definition?: string; file?: string; asOf?: string; json?: boolean }) => {
        const definition = readDefinition(opts);
        await withOpenStore(opts.db, async (store) => {
          const p = await previewSegment(store, definition, { asOf: opts.asOf });
          emit(opts.json, p, () => [`${n(p.count)} customers match as of ${p.asOf}`, ...p.sample.map((s) => `  ${s.customerId.padEnd(14)} ${s.name ?? ''} ${s.city ?? ''}`)].join('\n'));
        });
      }),
    );
  withDb(definitionFlags(segment.command('save').alias('create').description('save (or replace) a named segment').argument('<name>')))
    .option('--description <text>', 'what it is for')
    .option('--refresh <schedule>', `refresh on its own while \`siyu serve\` runs: ${REFRESH_SCHEDULES.join(', ')} or off (default: keep the current schedule; new segments: off)`)
    .action(
      action(async (name: string, opts: { db?: string; definition?: string; file?: string; description?: string; refresh?: string }) => {
        const definition = readDefinition(opts);
        const refreshEvery = opts.refresh === undefined ? undefined : opts.refresh === 'off' ? null : (opts.refresh as RefreshSchedule);
        await withOpenStore(opts.db, async (store) => {
          const saved = await saveSegment(store, { name, description: opts.description, definition, refreshEvery });
          io().stdout.write(`segment ${name} saved${saved.refreshEvery ? `, refreshed ${saved.refreshEvery} by \`siyu serve\`` : ''}; \`siyu segment refresh ${name}\` refreshes it now\n`);
        });
      }),
    );
  withDb(segment.command('refresh').description('recompute segments as of a day and record who entered and left, with Segment Entered / Exited events').argument('[name]', 'one segment (default: all)'))
    .option('--as-of <date>', 'day to evaluate on (default: the latest order day)')
    .option('--due', 'only the scheduled segments whose interval has passed (for cron, without `siyu serve`)')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string | undefined, opts: { db?: string; asOf?: string; due?: boolean; json?: boolean }) => {
        if (name && opts.due) throw new SiyuError('validation', 'conflicting_flags', 'give a segment name or --due, not both');
        await withOpenStore(opts.db, async (store) => {
          const names = name ? [name] : opts.due ? await dueSegments(store) : (await listSegments(store)).map((s) => s.name);
          const reports: RefreshReport[] = await refreshSegments(store, names, { asOf: opts.asOf });
          emit(opts.json, reports, () => (reports.length ? reports.map((r) => `${r.segment}: ${n(r.members)} members as of ${r.asOf}; ${n(r.entered)} entered, ${n(r.exited)} exited${r.previous ? ` since ${r.previous}` : ''}`).join('\n') : opts.due ? 'no segment is due' : 'no saved segments'));
        });
      }),
    );
  withDb(segment.command('list').description('saved segments with their latest size'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const all = await listSegments(store);
          emit(opts.json, all, () => (all.length ? all.map((s) => `${s.name}  ${s.members === null ? 'not refreshed yet' : `${n(s.members)} members as of ${s.asOf}`}  (${s.refreshEvery ? `refreshed ${s.refreshEvery}` : 'on demand'})${s.description ? `  ${s.description}` : ''}`).join('\n') : 'no saved segments'));
        });
      }),
    );
  withDb(segment.command('export').description('write a segment\'s members with chosen fields to CSV or JSONL, with progress').argument('<name>', 'a saved segment'))
    .requiredOption('--out <file>', 'file to write (.csv or .jsonl)')
    .option('--fields <list>', `comma-separated: profile fields (${EXPORT_PROFILE_FIELDS.join(', ')}) or attribute names`, 'name,city')
    .option('--as-of <date>', 'day to evaluate on (default: the latest order day)')
    .option('--purpose <purpose>', 'what the audience is for (a consent purpose such as sms_marketing or third_party_sharing): only customers whose consent allows it are written')
    .action(
      action(async (name: string, opts: { db?: string; out: string; fields: string; asOf?: string; purpose?: string }) => {
        const format = opts.out.endsWith('.jsonl') ? 'jsonl' : opts.out.endsWith('.csv') ? 'csv' : null;
        if (!format) throw new SiyuError('validation', 'invalid_flag', `--out must end in .csv or .jsonl, not ${JSON.stringify(opts.out)}`);
        await withOpenStore(opts.db, async (store) => {
          const bar = io().stderr.isTTY ? new SingleBar({ format: '  exporting [{bar}] {value}/{total} customers', hideCursor: true, stream: io().stderr as NodeJS.WritableStream }, Presets.shades_classic) : undefined;
          const fields = opts.fields.split(',').map((f) => f.trim()).filter(Boolean);
          const out = resolvePath(opts.out);
          const report = await exportSegment(store, name, { out, format, fields, asOf: opts.asOf, purpose: opts.purpose, onProgress: (done, total) => (done === 0 ? bar?.start(total, 0) : bar?.update(done)) });
          bar?.stop();
          // The CLI writes personal data as stored (its OS user owns the store); the export is still recorded.
          await recordAudit(store, { actor: localActor(), action: 'segment.export', target: name, details: { format, fields, asOf: report.asOf, rows: report.rows, revealed: true, file: out, ...(opts.purpose ? { purpose: opts.purpose, withheld: report.withheld } : {}) } });
          const withheld = opts.purpose ? `; ${n(report.withheld)} withheld, their consent for ${opts.purpose} does not allow it` : '';
          io().stdout.write(`wrote ${n(report.rows)} customers of ${name} (as of ${report.asOf}) to ${opts.out}${withheld}\n`);
        });
      }),
    );
  const migration = (command: Command) =>
    withDb(command.description('how customers moved between two days: lifecycle stages, RFM classes, value tiers, or in/out of a segment (Sankey-ready JSON)'))
      .requiredOption('--from <date>', 'earlier day')
      .requiredOption('--to <date>', 'later day')
      .option('--layer <layer>', `${MIGRATION_LAYERS.join(' | ')}`, 'stage')
      .option('--segment <name>', 'a saved segment instead of a layer')
      .option('--json', 'print JSON')
      .action(
        action(async (opts: { db?: string; from: string; to: string; layer: string; segment?: string; json?: boolean }) => {
          await withOpenStore(opts.db, async (store) => {
            const m = await layerMigration(store, opts.segment ? { segment: opts.segment } : (opts.layer as MigrationLayer), opts.from, opts.to);
            emit(opts.json, m, () => [`${m.layer} from ${m.from} to ${m.to}:`, ...m.links.map((l) => `  ${l.source} → ${l.target}  ${n(l.customers)}`)].join('\n'));
          });
        }),
      );
  migration(segment.command('migration'));
  migration(program.command('migration'));
}
