import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { dialect, latestOrderDay, localDay, onOrBefore, PURCHASES, queueWatchedEvents, readBrandSettings, type BackendKind, type Queryable, type Store } from '../store/index.ts';
import { attributesCurrent } from './attributes.ts';
import { recordLayerRun } from './history.ts';
import type { MeasuredFrom } from './rfm.ts';
import { writeChangedRows } from './changed-rows.ts';
import { analyseRewritten, createTempTable, deleteScopedEvents, replaceScopeRows, scoped } from './scope.ts';

export const STAGES = [
  { code: 'prospect', zh: '潜客', en: 'Prospect' },
  { code: 'new', zh: '新客', en: 'New' },
  { code: 'active', zh: '活跃', en: 'Active' },
  { code: 'repeat', zh: '复购', en: 'Repeat' },
  { code: 'dormant', zh: '沉睡', en: 'Dormant' },
  { code: 'churned', zh: '流失', en: 'Churned' },
  { code: 'reactivated', zh: '回流', en: 'Reactivated' },
] as const;
export type StageCode = (typeof STAGES)[number]['code'];

export interface LifecycleOptions {
  /** The day stages are judged on (brand timezone); default: the day of the latest order. */
  asOf?: string;
  /** A first purchase within this many days makes a customer new. Default 30. */
  newDays?: number;
  /** Dormant after dormantMultiplier × the customer's median gap between purchase days (default 3)… */
  dormantMultiplier?: number;
  /** …and churned after churnedMultiplier × it (default 6)… */
  churnedMultiplier?: number;
  /** …each bounded to [1/boundFactor, boundFactor] × the same threshold for the median gap of their main category (default 2). */
  boundFactor?: number;
  /** Customers with fewer than 2 purchase days: fixed thresholds. Defaults 90 and 180 days. */
  dormantDays?: number;
  churnedDays?: number;
}

export interface LifecycleReport {
  asOf: string;
  customers: number;
  stages: { code: StageCode; zh: string; en: string; customers: number; share: number }[];
  /** Customers whose stage changed in this run (each written to lifecycle_history and as a Stage Changed event). */
  changes: number;
  /** from → to counts of this run's changes, for a Sankey chart; `from` is null for customers staged the first time. */
  transitions: { from: StageCode | null; to: StageCode; customers: number }[];
  /** Where purchase days, recency and gaps came from: the current computed attributes, or a scan of the orders. */
  measuredFrom: MeasuredFrom;
}

/**
 * Assigns every customer a lifecycle stage as of a day, set-based in one SQL statement on both engines, and records
 * the changes. A customer with no purchase is a prospect. Otherwise, with recency r (days since the last purchase
 * day) and their thresholds D (dormant) and C (churned): churned if r > C; dormant if r > D; reactivated if the gap
 * before the last purchase exceeded D; new if the first purchase was within newDays; repeat with 2 or more
 * purchase days; else active. D and C adapt to the customer's own rhythm (a multiple of their median gap), bounded
 * by the same multiple of their main category's median gap, with fixed days for customers with one purchase day.
 */
export async function computeLifecycle(store: Store, options: LifecycleOptions = {}): Promise<LifecycleReport> {
  const { newDays, kd, kc, bound, fixedD, fixedC } = lifecycleSettings(options);
  const { timezone } = await readBrandSettings(store);
  const latest = options.asOf ?? (await latestOrderDay(store));
  if (!latest) throw new SiyuError('not_found', 'no_orders', 'the store has no orders to judge stages by; import orders first');
  const asOf = parseDay(latest, '--as-of');
  // Each buyer's purchase days, recency, tenure, median and last gap between purchase days, and main category:
  // right after `siyu attributes` (as in `siyu layers compute`) they are read from the attributes, else from orders.
  const fromAttributes = await attributesCurrent(store, asOf);
  const query = fullStageQuery(timezone, asOf, { kd, kc, bound, fixedD, fixedC }, fromAttributes);
  const started = new Date();
  return store.transaction(async (tx) => {
    const written = await writeStages(tx, store.kind, query, asOf, newDays);
    const report: LifecycleReport = { asOf, ...written, ...(await summariseStages(tx, asOf)), measuredFrom: fromAttributes ? 'attributes' : 'orders' };
    await recordLayerRun(tx, 'lifecycle', asOf, { newDays, dormantMultiplier: kd, churnedMultiplier: kc, boundFactor: bound, dormantDays: fixedD, churnedDays: fixedC }, started);
    return report;
  });
}

/**
 * Every customer's stage inputs as of `asOf` (rows of purchases, recency_days, last_gap, tenure_days, dormant_days,
 * churned_days and basis per customer_id, for writeStages): from the attributes when `fromAttributes` (they are
 * current), else from the orders.
 */
function fullStageQuery(timezone: string, asOf: string, t: { kd: number; kc: number; bound: number; fixedD: number; fixedC: number }, fromAttributes: boolean): { sql: string; params: unknown[] } {
  const sources = fromAttributes
    ? `own AS (
       SELECT customer_id, purchase_days AS purchases, recency_days, tenure_days, median_interpurchase_days AS median_gap, last_interpurchase_days AS last_gap
       FROM customer_attributes WHERE purchase_days > 0
     ), main AS (
       SELECT customer_id, top_category AS category FROM customer_attributes WHERE top_category IS NOT NULL
     )`
    : ordersSources(timezone, '$6');
  return {
    sql: `WITH ${sources}, category_gap AS (
       SELECT m.category, percentile_cont(0.5) WITHIN GROUP (ORDER BY o.median_gap) AS gap
       FROM own o JOIN main m ON m.customer_id = o.customer_id WHERE o.median_gap IS NOT NULL GROUP BY m.category
     ), thresholds AS (
       SELECT o.*,
              CASE WHEN o.median_gap IS NULL THEN CAST($3 AS DOUBLE PRECISION)
                   WHEN c.gap IS NULL THEN $1 * o.median_gap
                   ELSE least(greatest($1 * o.median_gap, $1 * c.gap / $5), $1 * c.gap * $5) END AS dormant_days,
              CASE WHEN o.median_gap IS NULL THEN CAST($4 AS DOUBLE PRECISION)
                   WHEN c.gap IS NULL THEN $2 * o.median_gap
                   ELSE least(greatest($2 * o.median_gap, $2 * c.gap / $5), $2 * c.gap * $5) END AS churned_days,
              CASE WHEN o.median_gap IS NULL THEN 'fixed' ELSE 'own' END AS basis
       FROM own o LEFT JOIN main m ON m.customer_id = o.customer_id LEFT JOIN category_gap c ON c.category = m.category
     )
     SELECT u.customer_id, coalesce(t.purchases, 0) AS purchases, t.recency_days, t.last_gap, t.tenure_days, t.dormant_days, t.churned_days,
            coalesce(t.basis, 'none') AS basis
     FROM customers u LEFT JOIN thresholds t ON t.customer_id = u.customer_id
     WHERE u.merged_into IS NULL`,
    params: fromAttributes ? [t.kd, t.kc, t.fixedD, t.fixedC, t.bound] : [t.kd, t.kc, t.fixedD, t.fixedC, t.bound, asOf],
  };
}

/**
 * The CTEs `own` (purchases, recency_days, tenure_days, median_gap and last_gap per buyer, as of the SQL day `asOf`) and `main`
 * (each buyer's category of most purchase lines, ties alphabetical) from the orders and their lines, as the
 * attributes of the same names compute them; with `scope`, for its customers from their copied rows (scope.ts).
 */
function ordersSources(timezone: string, asOf: string, scope?: string): string {
  const day = localDay(timezone, 'o.placed_at');
  const [orders, lines] = [scoped('orders', scope), scoped('order_items', scope)];
  return `days AS (
       SELECT DISTINCT o.customer_id, ${day} AS day FROM ${orders} o WHERE o.${PURCHASES} AND ${onOrBefore(timezone, asOf, 'o.placed_at')}
     ), gaps AS (
       SELECT customer_id, day, day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap FROM days
     ), own AS (
       SELECT customer_id, count(*) AS purchases, CAST(${asOf} AS DATE) - max(day) AS recency_days, CAST(${asOf} AS DATE) - min(day) AS tenure_days,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap,
              max(CASE WHEN last_day THEN gap END) AS last_gap
       FROM (SELECT *, day = max(day) OVER (PARTITION BY customer_id) AS last_day FROM gaps) g GROUP BY customer_id
     ), main AS (
       SELECT customer_id, category FROM (
         SELECT i.customer_id, i.category, row_number() OVER (PARTITION BY i.customer_id ORDER BY count(*) DESC, i.category) AS k
         FROM ${lines} i JOIN ${orders} o ON o.customer_id = i.customer_id AND o.order_id = i.order_id
         WHERE i.category IS NOT NULL AND i.category <> '' AND o.${PURCHASES} AND ${onOrBefore(timezone, asOf, 'o.placed_at')}
         GROUP BY i.customer_id, i.category
       ) ranked WHERE k = 1
     )`;
}

/**
 * Stages from `query`'s rows (purchases, recency_days, last_gap, tenure_days, dormant_days, churned_days, basis per
 * customer_id), decided and written by the engine: lifecycle_stages, the changes against each customer's last
 * recorded stage before asOf in lifecycle_history, and a Stage Changed event per change. With `scope` (a table of
 * customer_id, scope.ts), only those customers' rows are replaced, and the new ones are also left in the scope's copy
 * of lifecycle_stages; otherwise every customer's. In the caller's transaction; returns the customers staged and the
 * changes recorded.
 */
async function writeStages(tx: Queryable, kind: BackendKind, query: { sql: string; params: unknown[] }, asOf: string, newDays: number, scope?: string): Promise<{ customers: number; changes: number }> {
  const now = new Date();
  const rows = stageRows(query, newDays);
  const params = [...query.params, asOf, now];
  let customers: number;
  if (scope) {
    await createTempTable(tx, scoped('lifecycle_stages', scope), rows, params);
    customers = await replaceScopeRows(tx, scope, 'lifecycle_stages', STAGE_COLUMNS, STAGE_VALUES);
  } else {
    await tx.execute(`DELETE FROM ${STAGE_VALUES}`);
    customers = await tx.execute(`INSERT INTO ${STAGE_VALUES} (${STAGE_COLUMNS}) SELECT ${STAGE_COLUMNS} FROM (${rows}) r`, params);
    await analyseRewritten(tx, STAGE_VALUES);
  }
  return { customers, changes: await recordStageChanges(tx, kind, asOf, now, scope ? { scope, events: 'copied' } : undefined) };
}

/** The table that stores the stages; the view lifecycle_stages adds recency in days (migration 023). */
const STAGE_VALUES = 'lifecycle_stage_values';

/**
 * The rows of lifecycle_stage_values (and recency_days) from `query`'s rows, decided by the engine; the query's
 * parameters come first, then the as-of day and the time computed.
 */
function stageRows(query: { sql: string; params: unknown[] }, newDays: number): string {
  // The rules of computeLifecycle's comment, in order; a missing threshold counts as 0, as a missing tenure does.
  const stage = `CASE WHEN coalesce(q.purchases, 0) = 0 OR q.recency_days IS NULL THEN 'prospect'
       WHEN q.recency_days > coalesce(q.churned_days, 0) THEN 'churned'
       WHEN q.recency_days > coalesce(q.dormant_days, 0) THEN 'dormant'
       WHEN q.last_gap IS NOT NULL AND q.last_gap > coalesce(q.dormant_days, 0) THEN 'reactivated'
       WHEN coalesce(q.tenure_days, 0) < ${Number(newDays)} THEN 'new'
       WHEN q.purchases >= 2 THEN 'repeat' ELSE 'active' END`;
  const n = query.params.length;
  return `SELECT q.customer_id, ${stage} AS stage, CAST(coalesce(q.purchases, 0) AS INTEGER) AS purchases, CAST(q.recency_days AS INTEGER) AS recency_days,
                 CAST($${n + 1} AS DATE) - CAST(q.recency_days AS INTEGER) AS last_purchase_on, CAST(q.dormant_days AS DOUBLE PRECISION) AS dormant_days,
                 CAST(q.churned_days AS DOUBLE PRECISION) AS churned_days, CAST(q.basis AS TEXT) AS basis, CAST($${n + 1} AS DATE) AS as_of, CAST($${n + 2} AS TIMESTAMPTZ) AS computed_at
          FROM (${query.sql}) q`;
}

/**
 * Records the stage changes of the rows in `scoped('lifecycle_stages', scope)` (every customer's without a scope):
 * against each customer's last recorded stage before asOf in lifecycle_history, a history row and a Stage Changed
 * event each. A rerun of the day replaces the day's history and events: the day's events of the scope's customers
 * are found in the scope's copy of the events (`copied`) or deleted by their keys (`keys`, one per stage).
 */
async function recordStageChanges(tx: Queryable, kind: BackendKind, asOf: string, now: Date, within?: { scope: string; events: 'copied' | 'keys' }): Promise<number> {
  const scope = within?.scope;
  const inScope = (alias = '') => (scope ? ` AND ${alias}customer_id IN (SELECT customer_id FROM ${scope})` : '');
  await tx.execute(`DELETE FROM lifecycle_history WHERE changed_on = CAST($1 AS DATE)${inScope()}`, [asOf]);
  const dayEvents = (alias = '') => `${alias}name = 'Stage Changed' AND ${alias}source = 'siyu lifecycle' AND ${alias}message_id LIKE $1`;
  if (within?.events === 'copied') await deleteScopedEvents(tx, within.scope, dayEvents, [`stage:%:${asOf}:%`]);
  else if (within) {
    const keys = `SELECT s.customer_id, 'stage:' || s.customer_id || ':' || CAST(CAST($1 AS DATE) AS VARCHAR) || ':' || k.stage AS message_id
                  FROM ${within.scope} s CROSS JOIN (VALUES ${STAGES.map((x) => `('${x.code}')`).join(', ')}) AS k (stage)`;
    await tx.execute(`DELETE FROM events WHERE (customer_id, message_id) IN (${keys})`, [asOf]);
  } else await tx.execute(`DELETE FROM events WHERE ${dayEvents()}`, [`stage:%:${asOf}:%`]);
  // The stage each customer had before this day: the last change recorded on an earlier day. Reruns for the same
  // day therefore see the same changes, and replace that day's history and events instead of losing or doubling them.
  await createTempTable(
    tx,
    'stage_changes',
    `SELECT s.customer_id, e.to_stage AS from_stage, s.stage AS to_stage, CAST($1 AS DATE) AS changed_on, CAST($2 AS TIMESTAMPTZ) AS changed_at
     FROM ${scoped('lifecycle_stages', scope)} s LEFT JOIN (
       SELECT customer_id, to_stage, row_number() OVER (PARTITION BY customer_id ORDER BY changed_on DESC) AS k FROM lifecycle_history WHERE changed_on < CAST($1 AS DATE)${inScope()}
     ) e ON e.customer_id = s.customer_id AND e.k = 1
     WHERE e.to_stage IS NULL OR e.to_stage <> s.stage`,
    [asOf, now],
  );
  const changes = await tx.execute('INSERT INTO lifecycle_history (customer_id, from_stage, to_stage, changed_on, changed_at) SELECT customer_id, from_stage, to_stage, changed_on, changed_at FROM stage_changes');
  // The day's Stage Changed events are its history rows, so the engine derives them: no event passes through JavaScript.
  const properties = dialect(kind).jsonObject([['from', 'h.from_stage'], ['to', 'h.to_stage'], ['at', 'CAST(CAST($1 AS DATE) AS VARCHAR)']]);
  const stageEvents = `SELECT h.customer_id, 'stage:' || h.customer_id || ':' || CAST(CAST($1 AS DATE) AS VARCHAR) || ':' || h.to_stage AS message_id, 'Stage Changed' AS name,
            ${properties} AS properties, CAST($2 AS TIMESTAMPTZ) AS ts FROM stage_changes h`;
  const at = [asOf, new Date(`${asOf}T23:59:59Z`)];
  await tx.execute(
    `INSERT INTO events (customer_id, message_id, type, name, properties, ts, received_at, source)
     SELECT customer_id, message_id, 'track', name, properties, ts, CAST($3 AS TIMESTAMPTZ), 'siyu lifecycle' FROM (${stageEvents}) e`,
    [...at, now],
  );
  await queueWatchedEvents(tx, stageEvents, at);
  await tx.execute('DROP TABLE stage_changes');
  return changes;
}

const STAGE_COLUMNS = 'customer_id, stage, purchases, last_purchase_on, dormant_days, churned_days, basis, as_of, computed_at';

/**
 * The nightly stages (docs/segmentation.md, "The nightly job"): every customer is judged again from the attributes
 * (current, as the nightly job has just brought them up to date), as the full run judges, since a stage moves with
 * the calendar alone (dormant, churned, no longer new) and the category thresholds are population statistics; only
 * the rows that change are written, with their history and Stage Changed events, and left in `moved`. Returns how
 * many, or null when the attributes are not current (then run computeLifecycle).
 */
export async function restageLifecycle(tx: Queryable, kind: BackendKind, asOf: string, options: LifecycleOptions, moved: string): Promise<number | null> {
  const { newDays, kd, kc, bound, fixedD, fixedC } = lifecycleSettings(options);
  if (!(await attributesCurrent(tx, asOf))) return null;
  const { timezone } = await readBrandSettings(tx);
  const query = fullStageQuery(timezone, asOf, { kd, kc, bound, fixedD, fixedC }, true);
  const now = new Date();
  await createTempTable(tx, 'stage_next', stageRows(query, newDays), [...query.params, asOf, now]);
  return writeChangedRows(tx, {
    table: 'lifecycle_stages',
    values: STAGE_VALUES,
    next: 'stage_next',
    columns: STAGE_COLUMNS,
    compared: ['stage', 'purchases', 'last_purchase_on', 'dormant_days', 'churned_days', 'basis'],
    record: () => recordStageChanges(tx, kind, asOf, now, { scope: moved, events: 'keys' }),
    moved,
  });
}

/** The stage counts of lifecycle_stages and the from → to counts of the changes recorded on `asOf`. */
async function summariseStages(db: Queryable, asOf: string): Promise<Pick<LifecycleReport, 'stages' | 'transitions'>> {
  const counts = await db.query<{ stage: StageCode; n: number }>('SELECT stage, count(*) AS n FROM lifecycle_stages GROUP BY stage');
  const total = counts.reduce((sum, c) => sum + Number(c.n), 0);
  const transitions = await db.query<{ from_stage: StageCode | null; to_stage: StageCode; n: number }>(
    'SELECT from_stage, to_stage, count(*) AS n FROM lifecycle_history WHERE changed_on = CAST($1 AS DATE) GROUP BY from_stage, to_stage',
    [asOf],
  );
  const countOf = (code: StageCode) => Number(counts.find((c) => c.stage === code)?.n ?? 0);
  return {
    stages: STAGES.map((s) => ({ ...s, customers: countOf(s.code), share: countOf(s.code) / Math.max(1, total) })),
    transitions: transitions.map((t) => ({ from: t.from_stage, to: t.to_stage, customers: Number(t.n) })),
  };
}

/**
 * Incremental stages for the customers in `scope` as of `asOf`, with the settings of the last full run: their
 * purchase days are counted again (from the attributes the update has just written when `attributes` says so,
 * else from the scope's orders), but they keep the dormant and churned thresholds that run gave them (customers new
 * since, the fixed ones), so a new purchase is judged against the rhythm they had before it. Everyone else keeps
 * their stage until the next full run. In the caller's transaction; returns the customers updated.
 */
export async function updateLifecycleStages(tx: Queryable, kind: BackendKind, scope: string, asOf: string, options: LifecycleOptions, attributes = false): Promise<number> {
  const { newDays, fixedD, fixedC } = lifecycleSettings(options);
  const { timezone } = await readBrandSettings(tx);
  const own = attributes
    ? `own AS (
         SELECT customer_id, purchase_days AS purchases, recency_days, tenure_days, last_interpurchase_days AS last_gap
         FROM ${scoped('customer_attributes', scope)} WHERE purchase_days > 0 AND CAST($1 AS DATE) IS NOT NULL
       )`
    : ordersSources(timezone, '$1', scope);
  const query = {
    sql: `WITH ${own}
     SELECT u.customer_id, coalesce(o.purchases, 0) AS purchases, o.recency_days, o.last_gap, o.tenure_days,
            CASE WHEN o.purchases IS NULL THEN NULL ELSE coalesce(s.dormant_days, CAST($2 AS DOUBLE PRECISION)) END AS dormant_days,
            CASE WHEN o.purchases IS NULL THEN NULL ELSE coalesce(s.churned_days, CAST($3 AS DOUBLE PRECISION)) END AS churned_days,
            CASE WHEN o.purchases IS NULL THEN 'none' WHEN s.dormant_days IS NOT NULL THEN s.basis ELSE 'fixed' END AS basis
     FROM ${scoped('customers', scope)} u LEFT JOIN own o ON o.customer_id = u.customer_id LEFT JOIN lifecycle_stages s ON s.customer_id = u.customer_id
     WHERE u.merged_into IS NULL`,
    params: [asOf, fixedD, fixedC],
  };
  return (await writeStages(tx, kind, query, asOf, newDays, scope)).customers;
}

/** Validated lifecycle settings, defaults filled in. */
function lifecycleSettings(options: LifecycleOptions) {
  const newDays = options.newDays ?? 30;
  const kd = options.dormantMultiplier ?? 3;
  const kc = options.churnedMultiplier ?? 6;
  const bound = options.boundFactor ?? 2;
  const fixedD = options.dormantDays ?? 90;
  const fixedC = options.churnedDays ?? 180;
  for (const [name, value] of Object.entries({ newDays, dormantMultiplier: kd, churnedMultiplier: kc, dormantDays: fixedD, churnedDays: fixedC })) {
    if (!(Number.isFinite(value) && value > 0)) throw new SiyuError('validation', 'invalid_threshold', `${name} must be a positive number, not ${value}`);
  }
  if (!(bound >= 1)) throw new SiyuError('validation', 'invalid_threshold', `boundFactor must be at least 1, not ${bound}`);
  if (kc <= kd || fixedC <= fixedD) throw new SiyuError('validation', 'invalid_threshold', 'the churned threshold must be longer than the dormant one');
  return { newDays, kd, kc, bound, fixedD, fixedC };
}
