import { createTempTable, type Queryable } from '../store/index.ts';
import { ageYearsSql } from './age.ts';

export { createTempTable };

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

/** The day `days` after the day `day` (YYYY-MM-DD; negative: before). */
export const addDays = (day: string, days: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * SQL true when the TIMESTAMPTZ `column` falls on a local day (in `timezone`) after `after` and on or before `upTo`
 * (YYYY-MM-DD): a range of instants, so PostgreSQL can use an index on the column and DuckDB its zone maps.
 */
function daysBetween(column: string, timezone: string, after: string, upTo: string): string {
  const start = (day: string) => `(CAST(DATE '${day}' AS TIMESTAMP) AT TIME ZONE '${timezone.replaceAll("'", "''")}')`;
  return `(${column} >= ${start(addDays(after, 1))} AND ${column} < ${start(addDays(upTo, 1))})`;
}

/** Windows, in days, of the attributes counted over orders (ATTRIBUTE_WINDOWS) and over events. */
const ORDER_WINDOWS = [30, 90, 180, 365];
const EVENT_WINDOWS = [30, 90];

/**
 * What moves a customer's layers from one as-of day to a later one without any new data (the nightly job): an
 * order or event of theirs enters the days counted (its day is after `previous`, on or before `asOf`) or leaves a
 * window (its day is exactly the window's length before a day in between; the 30, 90, 180 and 365-day order windows
 * and the 30 and 90-day event windows of the attributes), or their age by birth year changes (age.ts: at a new
 * year). Selects customer_id.
 */
function crossingCustomers(timezone: string, previous: string, asOf: string): string {
  if (asOf <= previous) return '';
  const spans = (windows: readonly number[]) => [[previous, asOf], ...windows.map((w) => [addDays(previous, -w), addDays(asOf, -w)])] as [string, string][];
  const orders = spans(ORDER_WINDOWS).map(([after, upTo]) => daysBetween('placed_at', timezone, after, upTo)).join(' OR ');
  const events = spans(EVENT_WINDOWS).map(([after, upTo]) => daysBetween('ts', timezone, after, upTo)).join(' OR ');
  // The attribute's own formula (by birth year), so exactly the customers whose age_years would change are taken.
  const age = (day: string) => ageYearsSql(`DATE '${day}'`);
  return `
       UNION SELECT customer_id FROM orders WHERE ${orders}
       UNION SELECT customer_id FROM events WHERE (${events}) AND (source IS NULL OR source NOT LIKE 'siyu %')
       UNION SELECT u.customer_id FROM customers u WHERE u.birth_year IS NOT NULL AND ${age(asOf)} <> ${age(previous)}`;
}

/**
 * Creates the scope `scope`: the surviving profiles of the customers with an order created or changed, or an event
 * received (other than Siyu's own), at or after `since`; with `moved` (the nightly job), also those whose profile
 * changed since then, and those whose layers move from the day `moved.previous` to `moved.asOf` by the calendar
 * alone (crossingCustomers). Then copies of their customer rows, orders, order lines and events. Returns how many
 * customers it holds.
 */
export async function createScope(tx: Queryable, scope: string, since: Date, moved?: { previous: string; asOf: string; timezone: string }): Promise<number> {
  await tx.execute(`DROP TABLE IF EXISTS ${scope}`);
  await tx.execute(`CREATE TEMP TABLE ${scope} (customer_id TEXT)`);
  const customers = await tx.execute(
    `INSERT INTO ${scope}
     SELECT DISTINCT coalesce(c.merged_into, c.customer_id) FROM (
       SELECT customer_id FROM orders WHERE updated_at >= CAST($1 AS TIMESTAMPTZ)
       UNION SELECT customer_id FROM events WHERE received_at >= CAST($1 AS TIMESTAMPTZ) AND (source IS NULL OR source NOT LIKE 'siyu %')${
         moved ? `\n       UNION SELECT customer_id FROM customers WHERE updated_at >= CAST($1 AS TIMESTAMPTZ)${crossingCustomers(moved.timezone, moved.previous, moved.asOf)}` : ''
       }
     ) t JOIN customers c ON c.customer_id = t.customer_id`,
    [since],
  );
  await tx.execute(`ANALYZE ${scope}`);
  for (const [table, columns] of Object.entries(FACT_TABLES)) {
    // The nightly job deletes the day's Stage Changed events by key, so its copy of the events needs only the
    // customers' own activity, which the attributes count: a fraction of the events once Siyu has written its own.
    const where = moved && table === 'events' ? ACTIVITY : undefined;
    await copyToScope(tx, scope, table, columns ?? undefined, where);
  }
  return customers;
}

/**
 * Replaces the scope's customers' rows of `table` with the rows of its copy `<scope>_<table>`, whose `columns` (a
 * list, as SQL) name the columns stored: scope customers without a row in the copy lose theirs. `target` is the
 * table that stores the rows, when `table` is a view over it (migration 023). Returns the rows written.
 */
export async function replaceScopeRows(tx: Queryable, scope: string, table: string, columns: string, target = table): Promise<number> {
  await tx.execute(`DELETE FROM ${target} WHERE customer_id IN (SELECT customer_id FROM ${scope})`);
  return tx.execute(`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${scoped(table, scope)}`);
}

/**
 * Copies the scope's rows of `table` (only `columns` and customer_id, when given; only those `where` selects, SQL over
 * the table's columns, when given) into `<scope>_<table>`, replacing an earlier copy.
 */
export async function copyToScope(tx: Queryable, scope: string, table: string, columns?: readonly string[], where?: string): Promise<void> {
  const select = columns ? ['customer_id', ...columns].map((c) => `"${c}"`).join(', ') : '*';
  await createTempTable(tx, scoped(table, scope), `SELECT ${select} FROM ${table} WHERE customer_id IN (SELECT customer_id FROM ${scope})${where ? ` AND ${where}` : ''}`);
}

/** The events that are customers' own activity: not Siyu's own (Stage Changed, Segment Entered and Exited). */
export const ACTIVITY = "(source IS NULL OR source NOT LIKE 'siyu %')";

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

/**
 * After a table has been rewritten whole, PostgreSQL's statistics still describe what it held before (autovacuum
 * catches up later): an emptied and refilled table looked like one row, and the next step's plan rescanned a
 * million-row aggregate once per row. So it is analysed at once, inside the transaction (docs/operations.md).
 */
export async function analyseRewritten(tx: Queryable, table: string): Promise<void> {
  if (tx.kind === 'postgres') await tx.execute(`ANALYZE ${table}`);
}

/** Drops the scope and the copies of `tables` (the fact tables' copies always). */
export async function dropScope(tx: Queryable, scope: string, tables: readonly string[] = []): Promise<void> {
  for (const table of new Set([...Object.keys(FACT_TABLES), ...tables])) await tx.execute(`DROP TABLE IF EXISTS ${scoped(table, scope)}`);
  await tx.execute(`DROP TABLE IF EXISTS ${scope}`);
}
