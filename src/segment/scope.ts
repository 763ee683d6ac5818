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
  for (const [table, columns] of Object.entries(FACT_TABLES)) await copyToScope(tx, scope, table, columns ?? undefined);
  return customers;
}

/** Copies the scope's rows of `table` (only `columns` and customer_id, when given) into `<scope>_<table>`, replacing an earlier copy. */
export async function copyToScope(tx: Queryable, scope: string, table: string, columns?: readonly string[]): Promise<void> {
  const select = columns ? ['customer_id', ...columns].map((c) => `"${c}"`).join(', ') : '*';
  await tx.execute(`DROP TABLE IF EXISTS ${scoped(table, scope)}`);
  await tx.execute(`CREATE TEMP TABLE ${scoped(table, scope)} AS SELECT ${select} FROM ${table} WHERE customer_id IN (SELECT customer_id FROM ${scope})`);
}

/** Drops the scope and the copies of `tables` (the fact tables' copies always). */
export async function dropScope(tx: Queryable, scope: string, tables: readonly string[] = []): Promise<void> {
  for (const table of new Set([...Object.keys(FACT_TABLES), ...tables])) await tx.execute(`DROP TABLE IF EXISTS ${scoped(table, scope)}`);
  await tx.execute(`DROP TABLE IF EXISTS ${scope}`);
}
