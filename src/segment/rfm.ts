import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { attributeMeasures, measuresFromAttributes, scopeMeasuresFromAttributes } from './attributes.ts';
import { recordLayerChanges, recordLayerRun } from './history.ts';
import { writeChangedRows } from './changed-rows.ts';
import { analyseRewritten, copyToScope, createTempTable, replaceScopeRows, scoped } from './scope.ts';
import { latestOrderDay, localDay, onOrBefore, PURCHASES, readBrandSettings, reportingCurrency, type Queryable, type Store } from '../store/index.ts';

/** The Chinese 8-class RFM model: high or low R, F and M against the population's mean or median. */
export const RFM_CLASSES = [
  { code: 'important_value', zh: '重要价值客户', en: 'Important value', r: true, f: true, m: true },
  { code: 'important_development', zh: '重要发展客户', en: 'Important development', r: true, f: false, m: true },
  { code: 'important_retention', zh: '重要保持客户', en: 'Important retention', r: false, f: true, m: true },
  { code: 'important_winback', zh: '重要挽留客户', en: 'Important win-back', r: false, f: false, m: true },
  { code: 'general_value', zh: '一般价值客户', en: 'General value', r: true, f: true, m: false },
  { code: 'general_development', zh: '一般发展客户', en: 'General development', r: true, f: false, m: false },
  { code: 'general_retention', zh: '一般保持客户', en: 'General retention', r: false, f: true, m: false },
  { code: 'general_winback', zh: '一般挽留客户', en: 'General win-back', r: false, f: false, m: false },
] as const;
export type RfmClassCode = (typeof RFM_CLASSES)[number]['code'];

export type RfmThreshold = 'mean' | 'median';

export interface RfmOptions {
  /** The reference day (YYYY-MM-DD, brand timezone, inclusive); default: the day of the latest order. */
  asOf?: string;
  /** Frequency and monetary count orders in the `windowDays` days up to asOf; default 365. */
  windowDays?: number;
  /** What high and low R, F, M are measured against in the 8-class model; default mean. */
  threshold?: RfmThreshold;
}

export interface RfmReport {
  asOf: string;
  windowDays: number;
  threshold: RfmThreshold;
  currency: string;
  customers: number;
  /** The population's thresholds: recency in days, orders, money in major units. */
  thresholds: { recencyDays: number; frequency: number; monetary: number };
  classes: { code: RfmClassCode; zh: string; en: string; customers: number; share: number; meanRecencyDays: number; meanFrequency: number; meanMonetary: number }[];
  /** Customers and mean monetary value (major units) per (R score, F score) quintile cell, for heatmaps. */
  grid: { r: number; f: number; customers: number; meanMonetary: number }[];
  /** Where the measures came from: the current computed attributes, or a scan of the orders. */
  measuredFrom: MeasuredFrom;
}

export type MeasuredFrom = 'attributes' | 'orders';

const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * Computes RFM for every customer with an order on or before asOf, in one set-based statement that writes
 * rfm_scores (replaced whole, in one transaction), then summarises it. Both schemes are computed together:
 * - quintile scores 1–5 = min(5, 1 + ⌊5 · percent_rank⌋) of each measure (the share of customers strictly worse), so ties
 *   share a score, the lowest their value reaches (NTILE would split ties arbitrarily, differently on each engine);
 * - the 8-class model: R is high when recency is below the threshold, F and M when above it.
 * Orders cancelled or refunded in full are left out; money is net of refunds, in the reporting currency.
 */
export async function computeRfm(store: Store, options: RfmOptions = {}): Promise<RfmReport> {
  const windowDays = options.windowDays ?? 365;
  const threshold = options.threshold ?? 'mean';
  if (!Number.isInteger(windowDays) || windowDays < 1) throw new SiyuError('validation', 'invalid_window', `the window must be a whole number of days ≥ 1, not ${windowDays}`);
  if (threshold !== 'mean' && threshold !== 'median') throw new SiyuError('validation', 'invalid_threshold', `the threshold must be mean or median, not ${JSON.stringify(threshold)}`);
  const { timezone, currency: brand } = await readBrandSettings(store);
  const currency = await reportingCurrency(store, brand);
  const asOf = options.asOf ?? (await latestOrderDay(store));
  if (!asOf) throw new SiyuError('not_found', 'no_orders', 'the store has no orders to compute RFM from; import orders first');
  parseDay(asOf, '--as-of');
  const level = levelOf(threshold);
  const started = new Date();
  // Right after `siyu attributes` (as in `siyu layers compute`) the measures are already there, per customer.
  const measuredFrom: MeasuredFrom = (await measuresFromAttributes(store, asOf, windowDays, currency)) ? 'attributes' : 'orders';
  const measures = measuredFrom === 'attributes' ? `base AS (${attributeMeasures(windowDays)})` : measuresSql(timezone);
  await store.transaction(async (tx) => {
    await tx.execute(`DELETE FROM ${RFM_VALUES}`);
    await tx.execute(
      `INSERT INTO ${RFM_VALUES} (${RFM_COLUMNS}) ${scoreRfm(measures, level)}`,
      [currency, asOf, windowDays, threshold, started],
    );
    await analyseRewritten(tx, RFM_VALUES);
    await recordLayerChanges(tx, 'rfm_class', asOf);
    await recordLayerRun(tx, 'rfm', asOf, { windowDays, threshold }, started);
  });
  return { ...(await summariseRfm(store, { asOf, windowDays, threshold, currency, level })), measuredFrom };
}

/** The table that stores RFM; the view rfm_scores adds recency in days (migration 023). */
export const RFM_VALUES = 'rfm_score_values';

/**
 * The rows of rfm_score_values (RFM_COLUMNS) scored from the CTE(s) `measures`, which end in `base`: each buyer's
 * recency_days, last_purchase_on, frequency and monetary_fen. $1 currency, $2 as-of day, $3 window, $4 threshold
 * kind, $5 the time computed. The full run and the nightly job both score with it, so they agree to the last digit.
 */
function scoreRfm(measures: string, level: (column: string) => string): string {
  return `WITH ${measures}, levels AS (
       SELECT ${level('recency_days')} AS r_level, ${level('frequency')} AS f_level, ${level('monetary_fen')} AS m_level FROM base
     ), flagged AS (
       SELECT b.*, b.recency_days < l.r_level AS r_high, b.frequency > l.f_level AS f_high, b.monetary_fen > l.m_level AS m_high,
              percent_rank() OVER (ORDER BY b.recency_days DESC) AS r_rank, percent_rank() OVER (ORDER BY b.frequency) AS f_rank,
              percent_rank() OVER (ORDER BY b.monetary_fen) AS m_rank
       FROM base b CROSS JOIN levels l
     )
     SELECT customer_id, last_purchase_on, frequency, monetary_fen, CAST($1 AS TEXT) AS currency,
            LEAST(5, 1 + CAST(floor(5 * r_rank) AS INTEGER)) AS r_score, LEAST(5, 1 + CAST(floor(5 * f_rank) AS INTEGER)) AS f_score, LEAST(5, 1 + CAST(floor(5 * m_rank) AS INTEGER)) AS m_score,
            ${CLASS_CASE} AS rfm_class, CAST($2 AS DATE) AS as_of, CAST($3 AS INTEGER) AS window_days, CAST($4 AS TEXT) AS threshold, CAST($5 AS TIMESTAMPTZ) AS computed_at
     FROM flagged`;
}

/**
 * The nightly RFM (docs/segmentation.md, "The nightly job"): the customers in `scope` get their measures from the
 * attributes just written for them (the scope's copy of customer_attributes), everyone else keeps the ones stored,
 * and every buyer is scored again from those (the levels and quintile cut points are population statistics: one
 * pass over stored values, no order read), exactly as the full run scores. Only the rows that differ from the
 * stored ones are written, with their history; the scope's customers without a purchase any more lose theirs.
 * The customers written are left in the table `moved`; returns how many, or null when the measures cannot come from
 * the attributes (then run computeRfm).
 */
export async function rescoreRfm(tx: Queryable, scope: string, asOf: string, moved: string): Promise<number | null> {
  const [run] = await tx.query<{ window_days: number; threshold: RfmThreshold; currency: string }>(`SELECT window_days, threshold, currency FROM ${RFM_VALUES} LIMIT 1`);
  const { currency: brand } = await readBrandSettings(tx);
  const currency = await reportingCurrency(tx, brand);
  if (!run || run.currency !== currency || !(await measuresFromAttributes(tx, asOf, run.window_days, currency))) return null;
  const measures = `base AS (
       SELECT customer_id, CAST(CAST($2 AS DATE) - last_purchase_on AS INTEGER) AS recency_days, last_purchase_on, frequency, monetary_fen
       FROM ${RFM_VALUES} v WHERE NOT EXISTS (SELECT 1 FROM ${scope} s WHERE s.customer_id = v.customer_id)
       UNION ALL
       SELECT customer_id, recency_days, last_purchase_on, frequency, monetary_fen FROM (${attributeMeasures(run.window_days, scoped('customer_attributes', scope))}) s
     )`;
  await createTempTable(tx, 'rfm_next', scoreRfm(measures, levelOf(run.threshold)), [currency, asOf, run.window_days, run.threshold, new Date()]);
  return writeChangedRows(tx, { table: 'rfm_scores', values: RFM_VALUES, next: 'rfm_next', columns: RFM_COLUMNS, compared: ['last_purchase_on', 'frequency', 'monetary_fen', 'r_score', 'f_score', 'm_score', 'rfm_class'], record: () => recordLayerChanges(tx, 'rfm_class', asOf, moved), moved });
}

const levelOf = (threshold: RfmThreshold) => (column: string) => (threshold === 'mean' ? `avg(${column})` : `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${column})`);

/** The 8-class code from the r_high, f_high and m_high flags. */
const CLASS_CASE = `CASE ${RFM_CLASSES.map((c) => `WHEN ${c.r ? '' : 'NOT '}r_high AND ${c.f ? '' : 'NOT '}f_high AND ${c.m ? '' : 'NOT '}m_high THEN ${quote(c.code)}`).join(' ')} END`;

/**
 * The CTEs `paid` and `base`: each customer's recency, frequency and monetary value as of $2 over the $3-day window,
 * in currency $1, from orders that count as purchases; with `scope`, only its customers (scope.ts).
 */
function measuresSql(timezone: string, scope?: string): string {
  return `paid AS (
         SELECT customer_id, ${localDay(timezone)} AS day, total_fen - refunded_fen AS fen
         FROM ${scoped('orders', scope)} WHERE ${PURCHASES} AND currency = $1 AND ${onOrBefore(timezone, '$2')}
       ), base AS (
         SELECT customer_id,
                CAST(CAST($2 AS DATE) - max(day) AS INTEGER) AS recency_days, max(day) AS last_purchase_on,
                CAST(count(*) FILTER (WHERE day > CAST($2 AS DATE) - CAST($3 AS INTEGER)) AS INTEGER) AS frequency,
                CAST(COALESCE(sum(fen) FILTER (WHERE day > CAST($2 AS DATE) - CAST($3 AS INTEGER)), 0) AS BIGINT) AS monetary_fen
         FROM paid GROUP BY customer_id
       )`;
}

/**
 * Incremental RFM: recomputes the measures of the customers in `scope` as of `asOf`, with the window, threshold
 * kind and currency of the standing scores, and scores them against the standing population rather than ranking
 * everyone again: the 8-class thresholds are the mean or median of rfm_scores, and each quintile score is the
 * highest whose lowest member (for recency, the highest) the customer reaches. Everyone else keeps their scores
 * until the next full run. The measures come from the attributes the update has just written when `attributes`
 * says so (the scope's copy of customer_attributes), else from the scope's orders. The new rows are also left in
 * the scope's copy of rfm_scores (there a copy of the scope's rows as they are before a first full run, when
 * nothing is updated). Returns the customers updated.
 */
export async function updateRfmScores(tx: Queryable, scope: string, asOf: string, attributes = false): Promise<number> {
  const [run] = await tx.query<{ window_days: number; threshold: RfmThreshold; currency: string }>(`SELECT window_days, threshold, currency FROM ${RFM_VALUES} LIMIT 1`);
  if (!run) {
    await copyToScope(tx, scope, 'rfm_scores');
    return 0;
  }
  const { timezone } = await readBrandSettings(tx);
  const level = levelOf(run.threshold);
  const fromAttributes = attributes && (await scopeMeasuresFromAttributes(tx, scope, run.window_days, run.currency));
  const measures = fromAttributes ? `base AS (${attributeMeasures(run.window_days, scoped('customer_attributes', scope))})` : measuresSql(timezone, scope);
  const reached = (measure: string, column: string, op: string) => `(SELECT coalesce(max(c.score), 1) FROM cuts c WHERE c.measure = '${measure}' AND b.${column} ${op} c.cut)`;
  // The standing population's levels and cut points come from one pass over rfm_scores.
  await createTempTable(
    tx,
    scoped('rfm_scores', scope),
    `WITH ${measures}, standing AS (
       SELECT ${level('recency_days')} AS r_level, ${level('frequency')} AS f_level, ${level('monetary_fen')} AS m_level,
              ${[1, 2, 3, 4, 5].map((k) => `max(recency_days) FILTER (WHERE r_score = ${k}) AS r${k}, min(frequency) FILTER (WHERE f_score = ${k}) AS f${k}, min(monetary_fen) FILTER (WHERE m_score = ${k}) AS m${k}`).join(', ')}
       FROM rfm_scores
     ), cuts AS (
       ${[1, 2, 3, 4, 5].map((k) => `SELECT 'r' AS measure, ${k} AS score, CAST(r${k} AS DOUBLE PRECISION) AS cut FROM standing UNION ALL SELECT 'f', ${k}, CAST(f${k} AS DOUBLE PRECISION) FROM standing UNION ALL SELECT 'm', ${k}, CAST(m${k} AS DOUBLE PRECISION) FROM standing`).join('\n       UNION ALL ')}
     ), flagged AS (
       SELECT b.*, b.recency_days < l.r_level AS r_high, b.frequency > l.f_level AS f_high, b.monetary_fen > l.m_level AS m_high,
              ${reached('r', 'recency_days', '<=')} AS r_score, ${reached('f', 'frequency', '>=')} AS f_score, ${reached('m', 'monetary_fen', '>=')} AS m_score
       FROM base b CROSS JOIN standing l
     )
     SELECT customer_id, recency_days, last_purchase_on, frequency, monetary_fen, CAST($1 AS TEXT) AS currency, r_score, f_score, m_score, ${CLASS_CASE} AS rfm_class,
            CAST($2 AS DATE) AS as_of, CAST($3 AS INTEGER) AS window_days, CAST($4 AS TEXT) AS threshold, CAST($5 AS TIMESTAMPTZ) AS computed_at
     FROM flagged`,
    [run.currency, asOf, run.window_days, run.threshold, new Date()],
  );
  // Customers of the scope with no purchase left lose their row, as a full run would give them none.
  const updated = await replaceScopeRows(tx, scope, 'rfm_scores', RFM_COLUMNS, RFM_VALUES);
  await recordLayerChanges(tx, 'rfm_class', asOf, scope);
  return updated;
}

const RFM_COLUMNS = 'customer_id, last_purchase_on, frequency, monetary_fen, currency, r_score, f_score, m_score, rfm_class, as_of, window_days, threshold, computed_at';

async function summariseRfm(
  store: Store,
  run: { asOf: string; windowDays: number; threshold: RfmThreshold; currency: string; level: (column: string) => string },
): Promise<Omit<RfmReport, 'measuredFrom'>> {
  const [levels] = await store.query<{ n: number; r: number | null; f: number | null; m: number | null }>(
    `SELECT count(*) AS n, ${run.level('recency_days')} AS r, ${run.level('frequency')} AS f, ${run.level('monetary_fen')} AS m FROM rfm_scores`,
  );
  const n = Number(levels?.n ?? 0);
  const byClass = await store.query<{ rfm_class: RfmClassCode; n: number; r: number; f: number; m: number }>(
    `SELECT rfm_class, count(*) AS n, avg(recency_days) AS r, avg(frequency) AS f, avg(monetary_fen) AS m FROM rfm_scores GROUP BY rfm_class`,
  );
  const grid = await store.query<{ r_score: number; f_score: number; n: number; m: number }>(
    `SELECT r_score, f_score, count(*) AS n, avg(monetary_fen) AS m FROM rfm_scores GROUP BY r_score, f_score ORDER BY r_score, f_score`,
  );
  return {
    asOf: run.asOf,
    windowDays: run.windowDays,
    threshold: run.threshold,
    currency: run.currency,
    customers: n,
    thresholds: { recencyDays: Number(levels?.r ?? 0), frequency: Number(levels?.f ?? 0), monetary: Number(levels?.m ?? 0) / 100 },
    classes: RFM_CLASSES.map((c) => {
      const row = byClass.find((b) => b.rfm_class === c.code);
      const count = Number(row?.n ?? 0);
      return { code: c.code, zh: c.zh, en: c.en, customers: count, share: n ? count / n : 0, meanRecencyDays: Number(row?.r ?? 0), meanFrequency: Number(row?.f ?? 0), meanMonetary: Number(row?.m ?? 0) / 100 };
    }),
    grid: grid.map((g) => ({ r: Number(g.r_score), f: Number(g.f_score), customers: Number(g.n), meanMonetary: Number(g.m) / 100 })),
  };
}
