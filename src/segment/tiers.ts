import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { attributeMeasures, measuresFromAttributes, scopeMeasuresFromAttributes } from './attributes.ts';
import { recordLayerChanges, recordLayerRun } from './history.ts';
import type { MeasuredFrom } from './rfm.ts';
import { writeChangedRows } from './changed-rows.ts';
import { analyseRewritten, copyToScope, createTempTable, replaceScopeRows, scoped } from './scope.ts';
import { latestOrderDay, localDay, onOrBefore, PURCHASES, readBrandSettings, reportingCurrency, type Queryable, type Store } from '../store/index.ts';

export const TIERS = [
  { code: 'head', zh: '头部', en: 'Head' },
  { code: 'waist', zh: '腰部', en: 'Waist' },
  { code: 'tail', zh: '尾部', en: 'Tail' },
] as const;
export type TierCode = (typeof TIERS)[number]['code'];

export interface TierOptions {
  /** What customers are ranked by: money paid in the window (default), or predicted 12-month CLV from clv_scores. */
  basis?: 'monetary' | 'clv';
  /** Share of customers in the head (default 0.2) and in the waist (default 0.3); the rest is the tail. */
  headShare?: number;
  waistShare?: number;
  /** monetary basis: the reference day (default: day of the latest order) and window (default 365 days). */
  asOf?: string;
  windowDays?: number;
}

export interface TierReport {
  basis: 'monetary' | 'clv';
  asOf: string;
  currency: string;
  customers: number;
  tiers: { code: TierCode; zh: string; en: string; customers: number; share: number; minValue: number; totalValue: number; valueShare: number }[];
  /** Where money paid came from: the current computed attributes, or a scan of the orders; CLV tiers read clv_scores. */
  measuredFrom: MeasuredFrom | 'clv_scores';
}

/**
 * Splits customers into head, waist and tail by value, in one SQL statement that replaces tier_scores: a customer is
 * in the head when fewer than headShare of customers are worth more (percent_rank over value, descending), so equal
 * values always share a tier. Customers worth nothing are in the tail.
 */
export async function computeTiers(store: Store, options: TierOptions = {}): Promise<TierReport> {
  const basis = options.basis ?? 'monetary';
  const head = options.headShare ?? 0.2;
  const waist = options.waistShare ?? 0.3;
  if (!(head > 0 && waist >= 0 && head + waist < 1)) throw new SiyuError('validation', 'invalid_shares', `the head (${head}) and waist (${waist}) shares must be positive and sum to less than 1`);
  if (basis !== 'monetary' && basis !== 'clv') throw new SiyuError('validation', 'invalid_basis', `the tier basis must be monetary or clv, not ${JSON.stringify(basis)}`);
  const { timezone, currency: brand } = await readBrandSettings(store);
  let values: string;
  let params: unknown[];
  let asOf: string;
  let currency: string;
  let measuredFrom: TierReport['measuredFrom'] = 'clv_scores';
  if (basis === 'clv') {
    const [latest] = await store.query<{ as_of: string; currency: string }>('SELECT as_of, currency FROM clv_runs ORDER BY scored_at DESC LIMIT 1');
    if (!latest?.as_of) throw new SiyuError('not_found', 'no_clv_scores', 'no CLV scores to rank by; run `siyu clv fit` and `siyu clv score` first, or use --by monetary');
    [asOf, currency] = [latest.as_of, latest.currency];
    values = 'SELECT customer_id, clv_12m_fen AS value_fen FROM clv_scores';
    params = [];
  } else {
    currency = await reportingCurrency(store, brand);
    const latest = options.asOf ?? (await latestOrderDay(store));
    if (!latest) throw new SiyuError('not_found', 'no_orders', 'the store has no orders to rank customers by; import orders first');
    asOf = parseDay(latest, '--as-of');
    const windowDays = options.windowDays ?? 365;
    // Right after `siyu attributes` (as in `siyu layers compute`) the money paid is already there, per customer.
    const fromAttributes = await measuresFromAttributes(store, asOf, windowDays, currency);
    measuredFrom = fromAttributes ? 'attributes' : 'orders';
    values = fromAttributes ? `SELECT customer_id, monetary_fen AS value_fen FROM (${attributeMeasures(windowDays)}) m` : monetarySql(timezone);
    params = fromAttributes ? [] : [asOf, windowDays, currency];
  }
  const n = params.length;
  const started = new Date();
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM tier_scores');
    await tx.execute(`INSERT INTO tier_scores (${TIER_COLUMNS}) ${rankTiers(values, n)}`, [...params, head, head + waist, basis, asOf, started]);
    await analyseRewritten(tx, 'tier_scores');
    await recordLayerChanges(tx, 'tier', asOf);
    await recordLayerRun(tx, 'tiers', asOf, { basis, headShare: head, waistShare: waist, windowDays: options.windowDays ?? 365 }, started);
  });
  const rows = await store.query<{ tier: TierCode; n: number; min_fen: number; total_fen: number }>(
    'SELECT tier, count(*) AS n, min(value_fen) AS min_fen, sum(value_fen) AS total_fen FROM tier_scores GROUP BY tier',
  );
  const customers = rows.reduce((s, r) => s + Number(r.n), 0);
  const total = rows.reduce((s, r) => s + Number(r.total_fen), 0);
  return {
    basis,
    asOf,
    currency,
    customers,
    tiers: TIERS.map((t) => {
      const row = rows.find((r) => r.tier === t.code);
      const count = Number(row?.n ?? 0);
      const sum = Number(row?.total_fen ?? 0);
      return { ...t, customers: count, share: customers ? count / customers : 0, minValue: Number(row?.min_fen ?? 0) / 100, totalValue: sum / 100, valueShare: total ? sum / total : 0 };
    }),
    measuredFrom,
  };
}

/**
 * Every customer of `values` (customer_id, value_fen) in a tier: the head while fewer than the head share ($n+1) are
 * worth more (percent_rank over value, descending), the waist below the head and waist shares together ($n+2), the
 * tail after, or with nothing paid; then basis ($n+3), as-of day ($n+4) and time ($n+5). `n` is the number of
 * parameters `values` takes first. The full run and the nightly job both rank with it.
 */
function rankTiers(values: string, n: number): string {
  return `SELECT customer_id,
              CASE WHEN value_fen > 0 AND percent_rank() OVER (ORDER BY value_fen DESC) < $${n + 1} THEN 'head'
                   WHEN value_fen > 0 AND percent_rank() OVER (ORDER BY value_fen DESC) < $${n + 2} THEN 'waist'
                   ELSE 'tail' END AS tier,
              CAST($${n + 3} AS TEXT) AS basis, CAST(value_fen AS BIGINT) AS value_fen, CAST($${n + 4} AS DATE) AS as_of, CAST($${n + 5} AS TIMESTAMPTZ) AS computed_at
       FROM (${values}) v`;
}

/**
 * The nightly tiers (docs/segmentation.md, "The nightly job"), by money paid: the customers in `scope` get theirs
 * from the attributes just written for them (the scope's copy of customer_attributes), everyone else keeps the value
 * stored, and everyone is ranked again from those values, exactly as the full run ranks (the thresholds are
 * population statistics); only the rows that change are written, with their history, and left in `moved`. Returns
 * how many, or null when the run's basis is CLV or the money cannot come from the attributes (then run computeTiers).
 */
export async function rerankTiers(tx: Queryable, scope: string, asOf: string, options: TierOptions, moved: string): Promise<number | null> {
  const basis = options.basis ?? 'monetary';
  const windowDays = options.windowDays ?? 365;
  const head = options.headShare ?? 0.2;
  const waist = options.waistShare ?? 0.3;
  const [stored] = await tx.query<{ basis: string }>('SELECT basis FROM tier_scores LIMIT 1');
  const { currency: brand } = await readBrandSettings(tx);
  const currency = await reportingCurrency(tx, brand);
  if (basis !== 'monetary' || (stored && stored.basis !== 'monetary') || !(await measuresFromAttributes(tx, asOf, windowDays, currency))) return null;
  const values = `SELECT customer_id, value_fen FROM tier_scores v WHERE NOT EXISTS (SELECT 1 FROM ${scope} s WHERE s.customer_id = v.customer_id)
                  UNION ALL SELECT customer_id, monetary_fen AS value_fen FROM (${attributeMeasures(windowDays, scoped('customer_attributes', scope))}) m`;
  await createTempTable(tx, 'tier_next', rankTiers(values, 0), [head, head + waist, basis, asOf, new Date()]);
  return writeChangedRows(tx, { table: 'tier_scores', values: 'tier_scores', next: 'tier_next', columns: TIER_COLUMNS, compared: ['tier', 'value_fen'], record: () => recordLayerChanges(tx, 'tier', asOf, moved), moved });
}

/** Each customer's money paid in the $2 days up to $1, in currency $3; with `scope`, only its customers (scope.ts). */
function monetarySql(timezone: string, scope?: string): string {
  const day = localDay(timezone);
  return `SELECT customer_id, CAST(COALESCE(sum(total_fen - refunded_fen) FILTER (WHERE ${day} > CAST($1 AS DATE) - CAST($2 AS INTEGER)), 0) AS BIGINT) AS value_fen
          FROM ${scoped('orders', scope)} WHERE ${PURCHASES} AND currency = $3 AND ${onOrBefore(timezone, '$1')} GROUP BY customer_id`;
}

/**
 * Incremental tiers: recomputes the money paid of the customers in `scope` as of `asOf` with the last run's window,
 * and places them against the standing tiers' lowest values (head, then waist; nothing paid is tail) rather than
 * ranking everyone again. The money comes from the attributes the update has just written when `attributes` says
 * so (the scope's copy of customer_attributes), else from the scope's orders; the new rows are also left in the
 * scope's copy of tier_scores. Tiers by CLV change when CLV is rescored, so they are left alone, as they are before
 * a first full run (the copy then holds the scope's rows as they are). Returns the customers updated.
 */
export async function updateTierScores(tx: Queryable, scope: string, asOf: string, windowDays: number, attributes = false): Promise<number> {
  const [run] = await tx.query<{ basis: string }>('SELECT basis FROM tier_scores LIMIT 1');
  if (run?.basis !== 'monetary') {
    await copyToScope(tx, scope, 'tier_scores');
    return 0;
  }
  const { timezone, currency: brand } = await readBrandSettings(tx);
  const currency = await reportingCurrency(tx, brand);
  const fromAttributes = attributes && (await scopeMeasuresFromAttributes(tx, scope, windowDays, currency));
  const values = fromAttributes ? `SELECT customer_id, monetary_fen AS value_fen FROM (${attributeMeasures(windowDays, scoped('customer_attributes', scope))}) m` : monetarySql(timezone, scope);
  // The measures' own parameters come first (none from the attributes; $1 asOf, $2 window, $3 currency from orders).
  const params: unknown[] = fromAttributes ? [] : [asOf, windowDays, currency];
  await createTempTable(
    tx,
    scoped('tier_scores', scope),
    `WITH cuts AS (
       SELECT min(value_fen) FILTER (WHERE tier = 'head' AND value_fen > 0) AS head, min(value_fen) FILTER (WHERE tier = 'waist' AND value_fen > 0) AS waist FROM tier_scores
     )
     SELECT v.customer_id, CASE WHEN v.value_fen > 0 AND v.value_fen >= c.head THEN 'head' WHEN v.value_fen > 0 AND v.value_fen >= c.waist THEN 'waist' ELSE 'tail' END AS tier,
            CAST('monetary' AS TEXT) AS basis, CAST(v.value_fen AS BIGINT) AS value_fen, CAST($${params.length + 1} AS DATE) AS as_of, CAST($${params.length + 2} AS TIMESTAMPTZ) AS computed_at
     FROM (${values}) v CROSS JOIN cuts c`,
    [...params, asOf, new Date()],
  );
  // Customers of the scope with no purchase left lose their row, as a full run would give them none.
  const updated = await replaceScopeRows(tx, scope, 'tier_scores', TIER_COLUMNS);
  await recordLayerChanges(tx, 'tier', asOf, scope);
  return updated;
}

const TIER_COLUMNS = 'customer_id, tier, basis, value_fen, as_of, computed_at';
