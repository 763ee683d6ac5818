import type { Queryable } from '../store/index.ts';

/**
 * An incremental update's scope: a temporary table of the customers it covers, named `scope`, and temporary copies
 * of those customers' rows from other tables, named `<scope>_<table>`. The layer queries read the copies, so each
 * big table (orders, events, the layer tables) is scanned once per update rather than once per query.
 */
export const scoped = (table: string, scope: string | undefined): string => (scope ? `${scope}_${table}` : table);

/**
 * The tables every scoped layer query reads, with the columns copied (null: all of them). Orders leave out source
 * and updated_at, which no layer reads: copying fewer columns is most of what scanning 10M orders for the scope
 * costs on the embedded store.
 */
const FACT_TABLES: Record<string, readonly string[] | null> = {
  customers: null,
  orders: ['order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'channel', 'store_id', 'coupon_code'],
  order_items: null,
  events: null,
};

/**
 * Creates the scope `scope`: the surviving profiles of the customers with an order created or changed, or an event
 * received (other than Siyu's own), at or after `since`; and copies of their customer rows, orders, order lines and
 * events. Returns how many customers it holds.
 */
export async function createScope(tx: Queryable, scope: string, since: Date): Promise<number> {
  await tx.execute(`DROP TABLE IF EXISTS ${scope}`);
  await tx.execute(`CREATE TEMP TABLE ${scope} (customer_id TEXT)`);
  const customers = await tx.execute(
    `INSERT INTO ${scope}
     SELECT DISTINCT coalesce(c.merged_into, c.customer_id) FROM (
       SELECT customer_id FROM orders WHERE updated_at >= CAST($1 AS TIMESTAMPTZ)
       UNION SELECT customer_id FROM events WHERE received_at >= CAST($1 AS TIMESTAMPTZ) AND (source IS NULL OR source NOT LIKE 'siyu %')
     ) t JOIN customers c ON c.customer_id = t.customer_id`,
    [since],
  );
  await tx.execute(`ANALYZE ${scope}`);
  for (const [table, columns] of Object.entries(FACT_TABLES)) await copyToScope(tx, scope, table, columns ?? undefined);
  return customers;
}

/**
 * Replaces the temporary table `name` with the rows of `select` (its `params`), and gathers its statistics: on
 * PostgreSQL a temporary table has none until ANALYZE (autovacuum never sees it), and without them the planner
 * joined a 10,000-customer scope with the events by scanning them once per segment.
 */
export async function createTempTable(tx: Queryable, name: string, select: string, params: readonly unknown[] = []): Promise<void> {
  await tx.execute(`DROP TABLE IF EXISTS ${name}`);
  await tx.execute(`CREATE TEMP TABLE ${name} AS ${select}`, params);
  await tx.execute(`ANALYZE ${name}`);
}

/**
 * Replaces the scope's customers' rows of `table` with the rows of its copy `<scope>_<table>`, whose `columns` (a
 * list, as SQL) name the table's columns: scope customers without a row in the copy lose theirs. Returns the rows
 * written.
 */
export async function replaceScopeRows(tx: Queryable, scope: string, table: string, columns: string): Promise<number> {
  await tx.execute(`DELETE FROM ${table} WHERE customer_id IN (SELECT customer_id FROM ${scope})`);
  return tx.execute(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${scoped(table, scope)}`);
}

/** Copies the scope's rows of `table` (only `columns` and customer_id, when given) into `<scope>_<table>`, replacing an earlier copy. */
export async function copyToScope(tx: Queryable, scope: string, table: string, columns?: readonly string[]): Promise<void> {
  const select = columns ? ['customer_id', ...columns].map((c) => `"${c}"`).join(', ') : '*';
  await createTempTable(tx, scoped(table, scope), `SELECT ${select} FROM ${table} WHERE customer_id IN (SELECT customer_id FROM ${scope})`);
}

/**
 * Deletes the events of the scope's customers that `where` selects (SQL over the events' columns with the given
 * alias, and `params`): found in the scope's copy of the events and deleted by key, so the events table is not
 * scanned for them (on PostgreSQL, one index lookup each).
 */
export async function deleteScopedEvents(tx: Queryable, scope: string, where: (alias: string) => string, params: readonly unknown[]): Promise<void> {
  await tx.execute(
    `DELETE FROM events WHERE (customer_id, message_id) IN (SELECT customer_id, message_id FROM ${scoped('events', scope)} x WHERE ${where('x.')})`,
    params,
  );
}

/** Drops the scope and the copies of `tables` (the fact tables' copies always). */
export async function dropScope(tx: Queryable, scope: string, tables: readonly string[] = []): Promise<void> {
  for (const table of new Set([...Object.keys(FACT_TABLES), ...tables])) await tx.execute(`DROP TABLE IF EXISTS ${scoped(table, scope)}`);
  await tx.execute(`DROP TABLE IF EXISTS ${scope}`);
}
