import type { Command } from 'commander';
import { listAudit, verifyAudit } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';

/** A time flag: YYYY-MM-DD (midnight UTC) or an ISO timestamp. */
function parseTime(value: string, flag: string): Date {
  const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(at.getTime())) throw new SiyuError('validation', 'invalid_date', `${flag} must be a date like 2026-06-30 or an ISO time, not ${JSON.stringify(value)}`);
  return at;
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit log: sign-ins, keys, users and roles, personal-data reveals, exports, settings');

  withDb(audit.command('list').description('entries, newest first'))
    .option('--actor <actor>', 'user:NAME, key:ID, cli:OS_USER, anonymous or system')
    .option('--action <action>', 'an action, or a prefix ending in "." (auth.)')
    .option('--since <time>', 'from this day or time')
    .option('--until <time>', 'before this day or time')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; actor?: string; action?: string; since?: string; until?: string; limit: string; json?: boolean }) => {
        const query = { actor: opts.actor, action: opts.action, since: opts.since ? parseTime(opts.since, '--since') : undefined, until: opts.until ? parseTime(opts.until, '--until') : undefined, limit: parseCount(opts.limit, '--limit') };
        await withOpenStore(opts.db, async (store) => {
          const entries = await listAudit(store, query);
          emit(opts.json, entries, () =>
            entries.length === 0
              ? 'no audit entries match'
              : entries.map((e) => `${String(e.seq).padStart(6)}  ${e.at.toISOString()}  ${e.actor.padEnd(18)} ${e.action.padEnd(24)} ${(e.target ?? '-').padEnd(16)} ${Object.keys(e.details).length ? JSON.stringify(e.details) : ''}`).join('\n'),
          );
        });
      }),
    );

  withDb(audit.command('verify').description('recompute the hash chain; exits non-zero naming the first modified or missing row'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const result = await verifyAudit(store);
          if (opts.json || result.ok) emit(opts.json, result, () => `audit chain intact: ${result.rows} row${result.rows === 1 ? '' : 's'}; head ${result.head.seq} ${result.head.hash}\n(keep the head hash somewhere else: a later verify shows the chain still extends it)`);
          if (!result.ok) throw new SiyuError('conflict', 'audit_chain_broken', `audit chain broken at row ${result.broken!.seq}: ${result.broken!.problem} (${result.rows} rows before it verified)`);
        }),
      ),
    );
}
