import type { Queryable } from './store.ts';

/**
 * Runs `fn`, which adds about `rows` rows to `table`, with the table's indexes and key dropped first and built again
 * after, when that is cheaper: on PostgreSQL, when they are at least `minRows` and a quarter of what the table will hold.
 * Building a B-tree from sorted rows is several times faster than inserting millions of keys one at a time (a 1M-row
 * orders load spent 7.9 s of its 8.8 s maintaining three indexes). Everything happens in the caller's transaction,
 * so a failure leaves the indexes as they were; the cost is that the table is locked against readers until commit.
 * DuckDB's fact tables carry no such indexes, so there it only runs `fn`.
 */
export async function withIndexesRebuilt<T>(tx: Queryable, table: string, rows: number, fn: () => Promise<T>, minRows = 100_000): Promise<T> {
  if (tx.kind !== 'postgres' || rows < minRows) return fn();
  const [{ existing }] = (await tx.query<{ existing: number }>(`SELECT count(*) AS existing FROM (SELECT 1 FROM ${table} LIMIT ${3 * rows + 1}) t`)) as [{ existing: number }];
  if (Number(existing) > 3 * rows) return fn();
  const constraints = await tx.query<{ name: string; definition: string }>(
    `SELECT conname AS name, pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c
     WHERE c.conrelid = to_regclass($1) AND c.contype IN ('p', 'u') ORDER BY conname`,
    [table],
  );
  const indexes = await tx.query<{ name: string; definition: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = to_regclass($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname`,
    [table],
  );
  for (const c of constraints) await tx.execute(`ALTER TABLE ${table} DROP CONSTRAINT ${quote(c.name)}`);
  for (const i of indexes) await tx.execute(`DROP INDEX ${quote(i.name)}`);
  const result = await fn();
  for (const i of indexes) await tx.execute(i.definition);
  for (const c of constraints) await tx.execute(`ALTER TABLE ${table} ADD CONSTRAINT ${quote(c.name)} ${c.definition}`);
  return result;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;
