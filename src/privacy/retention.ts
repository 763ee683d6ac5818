import { SiyuError } from '../core/errors.ts';
import { trimAudit } from '../access/index.ts';
import type { Queryable, Store } from '../store/index.ts';
import { quoteIdent } from './customer-tables.ts';

/** How long one table's rows are kept. */
export interface RetentionPolicy {
  table: string;
  /** The timestamp column rows are aged by. */
  timeColumn: string;
  keepDays: number;
  isEnabled: boolean;
}

export interface RetentionResult {
  table: string;
  /** Rows older than this were deleted. */
  cutoff: Date | null;
  deleted: number;
  /** Why nothing was done: disabled, or the table or column does not exist (yet). */
  skipped: 'disabled' | 'no_such_table' | 'no_such_column' | null;
}

const DAY_MS = 86_400_000;

/** Every policy, by table. */
export async function listRetentionPolicies(db: Queryable): Promise<RetentionPolicy[]> {
  const rows = await db.query<{ table_name: string; time_column: string; keep_days: number; is_enabled: boolean }>('SELECT table_name, time_column, keep_days, is_enabled FROM retention_policies ORDER BY table_name');
  return rows.map((r) => ({ table: r.table_name, timeColumn: r.time_column, keepDays: Number(r.keep_days), isEnabled: r.is_enabled }));
}

async function columnsOf(db: Queryable): Promise<Map<string, Set<string>>> {
  const rows = await db.query<{ table_name: string; column_name: string }>(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`);
  const out = new Map<string, Set<string>>();
  for (const r of rows) out.set(r.table_name, (out.get(r.table_name) ?? new Set()).add(r.column_name));
  return out;
}

/** Sets (or adds) a table's policy. The table and column must exist, and at least one day must be kept. */
export async function setRetentionPolicy(db: Queryable, policy: RetentionPolicy): Promise<RetentionPolicy> {
  if (!Number.isInteger(policy.keepDays) || policy.keepDays < 1) throw new SiyuError('validation', 'invalid_retention', `keepDays must be a whole number of days ≥ 1, not ${policy.keepDays}`, { details: [{ path: 'keepDays', message: 'must be ≥ 1' }] });
  const columns = (await columnsOf(db)).get(policy.table);
  if (!columns) throw new SiyuError('not_found', 'no_such_table', `no table ${JSON.stringify(policy.table)} in this store`, { details: [{ path: 'table', message: 'no such table' }] });
  if (!columns.has(policy.timeColumn)) throw new SiyuError('validation', 'no_such_column', `table ${policy.table} has no column ${JSON.stringify(policy.timeColumn)}`, { details: [{ path: 'timeColumn', message: 'no such column' }] });
  await db.insertRows('retention_policies', ['table_name', 'time_column', 'keep_days', 'is_enabled', 'updated_at'], [[policy.table, policy.timeColumn, policy.keepDays, policy.isEnabled, new Date()]], '(table_name) DO UPDATE SET time_column = excluded.time_column, keep_days = excluded.keep_days, is_enabled = excluded.is_enabled, updated_at = excluded.updated_at');
  return policy;
}

/**
 * Enforces every enabled policy as of `now`: deletes each table's rows whose time column is older than `now` minus
 * its days, one statement per table. The job scheduler calls it daily; `siyu privacy retention apply` runs it by hand.
 * A policy for a table that does not exist (yet) is reported as skipped, not an error.
 */
export async function applyRetention(db: Store, now: Date): Promise<RetentionResult[]> {
  const columns = await columnsOf(db);
  const results: RetentionResult[] = [];
  for (const p of await listRetentionPolicies(db)) {
    const skipped = !p.isEnabled ? 'disabled' : !columns.has(p.table) ? 'no_such_table' : !columns.get(p.table)!.has(p.timeColumn) ? 'no_such_column' : null;
    if (skipped) {
      results.push({ table: p.table, cutoff: null, deleted: 0, skipped });
      continue;
    }
    const cutoff = new Date(now.getTime() - p.keepDays * DAY_MS);
    // The audit log is a hash chain: it is trimmed from its start, with the chain's anchor moved (access/audit.ts).
    const deleted = p.table === 'audit_log' ? await trimAudit(db, cutoff) : await db.execute(`DELETE FROM ${quoteIdent(p.table)} WHERE ${quoteIdent(p.timeColumn)} < CAST($1 AS TIMESTAMPTZ)`, [cutoff]);
    results.push({ table: p.table, cutoff, deleted, skipped: null });
  }
  return results;
}
