import { SiyuError } from '../../core/errors.ts';
import { parseDay } from '../../core/validation.ts';
import { latestOrderDay, localDay, PURCHASES, readBrandSettings, reportingCurrency, type Columns, type Queryable } from '../../store/index.ts';
import { DAYS_PER_UNIT, type TimeUnit } from './value.ts';

/** Every buyer's repeat-buying history up to a calibration end, in one time unit, as typed arrays. */
export interface Histories {
  customerIds: string[];
  /** Repeat purchase days in calibration. */
  x: Float64Array;
  /** Time from the first purchase day to the last one in calibration. */
  tx: Float64Array;
  /** Time from the first purchase day to the calibration end. */
  T: Float64Array;
  /** Mean value of the repeat purchase days in calibration, in major units (yuan); NaN without repeats. */
  meanRepeatValue: Float64Array;
  /** Purchase days after the calibration end, up to the holdout end (0 without a holdout). */
  holdout: Float64Array;
  calibrationEnd: string;
  holdoutEnd: string | null;
  timeUnit: TimeUnit;
  currency: string;
  timezone: string;
}

export interface HistoryOptions {
  /** Last day of calibration (YYYY-MM-DD, brand timezone, inclusive); default: the day of the latest order. */
  calibrationEnd?: string;
  /** Last day of the holdout, for evaluation. */
  holdoutEnd?: string;
  timeUnit: TimeUnit;
  /**
   * Discrete opportunities (BG/BB): the time unit's periods, counted back from the calibration end so every period is
   * complete. x = periods with a purchase after the first purchase's period, tx = the last such period's position
   * among them, T = n, the periods after the first purchase's period; purchases within one period merge, and the
   * holdout counts periods with a purchase among the whole periods that fit before its end.
   */
  discrete?: boolean;
}

/** Where and how a history query looks: the brand's day boundaries and currency, and the periods it covers. */
export interface HistoryQuery {
  sql: string;
  params: unknown[];
  calibrationEnd: string;
  currency: string;
  timezone: string;
}

type HistoryContext = Omit<HistoryQuery, 'sql' | 'params'>;

/**
 * The one set-based query behind every buyer's (x, tx, T, m̄), the same on both engines: orders that were cancelled
 * or refunded in full are left out, orders on the same day in the brand timezone merge into one purchase (as in
 * Fader, Hardie & Lee 2005), and money is the paid amount net of partial refunds, in the reporting currency. Its
 * columns: customer_id, x, recency_days, age_days, mean_repeat_fen, holdout (doubles, so no BIGINT to convert).
 */
export async function historyQuery(db: Queryable, options: HistoryOptions): Promise<HistoryQuery> {
  const { timezone, currency: brand } = await readBrandSettings(db);
  const currency = await reportingCurrency(db, brand);
  const calibrationEnd = options.calibrationEnd ?? (await latestOrderDay(db));
  if (!calibrationEnd) throw new SiyuError('not_found', 'no_orders', 'the store has no orders to build purchase histories from; import orders first');
  parseDay(calibrationEnd, '--calibration-end');
  if (options.holdoutEnd !== undefined) parseDay(options.holdoutEnd, '--holdout-end');
  if (options.holdoutEnd !== undefined && options.holdoutEnd <= calibrationEnd) {
    throw new SiyuError('validation', 'invalid_holdout', `the holdout end (${options.holdoutEnd}) must be after the calibration end (${calibrationEnd})`);
  }
  const day = localDay(timezone);
  const unit = DAYS_PER_UNIT[options.timeUnit];
  const holdoutPeriods = options.holdoutEnd ? Math.floor((Date.parse(options.holdoutEnd) - Date.parse(calibrationEnd)) / 86_400_000 / unit) : 0;
  return {
    sql: options.discrete ? discreteSql(day, unit) : continuousSql(day),
    params: [currency, calibrationEnd, options.discrete ? holdoutPeriods : (options.holdoutEnd ?? calibrationEnd)],
    calibrationEnd,
    currency,
    timezone,
  };
}

/**
 * A result column as doubles divided by `divide`, SQL NULL as NaN. A plain loop: Float64Array.from with a map
 * function walks an iterator and takes several times as long on a million values.
 */
export function numberColumn(column: unknown[] | undefined, divide = 1): Float64Array {
  const out = new Float64Array(column?.length ?? 0);
  for (let i = 0; i < out.length; i++) {
    const v = column![i];
    out[i] = v === null || v === undefined ? NaN : Number(v) / divide;
  }
  return out;
}

/** What the recency and age columns of a history query are divided by: days per time unit, or 1 for periods. */
export function storedTimeScale(options: HistoryOptions): number {
  return options.discrete ? 1 : DAYS_PER_UNIT[options.timeUnit];
}

/** Histories from the columns of a history query, or of clv_histories, which holds them. */
function toHistories(columns: Columns, context: HistoryContext, options: HistoryOptions): Histories {
  const scale = storedTimeScale(options);
  const n = columns.customer_id?.length ?? 0;
  return {
    customerIds: (columns.customer_id ?? []) as string[],
    x: numberColumn(columns.x),
    tx: numberColumn(columns.recency_days, scale),
    T: numberColumn(columns.age_days, scale),
    meanRepeatValue: numberColumn(columns.mean_repeat_fen, 100),
    holdout: columns.holdout ? numberColumn(columns.holdout) : new Float64Array(n),
    calibrationEnd: context.calibrationEnd,
    holdoutEnd: options.holdoutEnd ?? null,
    timeUnit: options.timeUnit,
    currency: context.currency,
    timezone: context.timezone,
  };
}

/** Builds every buyer's history (see historyQuery), column by column: a million customers without an object each. */
export async function loadHistories(db: Queryable, options: HistoryOptions): Promise<Histories> {
  const query = await historyQuery(db, options);
  return toHistories(await db.queryColumns(`SELECT * FROM (${query.sql}) AS h ORDER BY customer_id`, query.params), query, options);
}

/**
 * Builds every buyer's history into clv_histories, tagged with `fitId` and replacing what was there, inside the SQL
 * engine: nothing crosses to JavaScript. `siyu clv fit` fits on these rows and `siyu clv score` scores them, so the
 * scores come from the histories the fit saw, and the pair runs the history query once.
 */
export async function saveHistories(tx: Queryable, options: HistoryOptions, fitId: string): Promise<HistoryContext> {
  const query = await historyQuery(tx, options);
  await tx.execute('DELETE FROM clv_histories');
  await tx.execute(
    `INSERT INTO clv_histories (customer_id, x, recency_days, age_days, mean_repeat_fen, fit_id)
     SELECT customer_id, x, recency_days, age_days, mean_repeat_fen, $${query.params.length + 1} FROM (${query.sql}) AS h`,
    [...query.params, fitId],
  );
  return { calibrationEnd: query.calibrationEnd, currency: query.currency, timezone: query.timezone };
}

/** The currency histories are built in: the brand's reporting currency. */
export async function historyCurrency(db: Queryable): Promise<string> {
  const { currency } = await readBrandSettings(db);
  return reportingCurrency(db, currency);
}

/**
 * Continuous time: purchase days, with recency and age in days. $1 currency, $2 calibration end, $3 holdout end.
 * One aggregation over the purchase days, with no window: the first day's spend, which the repeat mean leaves out,
 * is read from the minimum of day · 10¹³ + spend (|spend| < 10¹³ fen, a hundred billion yuan, on one day), less the
 * first day · 10¹³.
 */
function continuousSql(day: string): string {
  const packed = `(day - DATE '1970-01-01') * ${DAY_SHIFT}`;
  return `WITH ${purchaseDays(day)}, histories AS (
     SELECT customer_id,
            count(*) FILTER (WHERE day <= CAST($2 AS DATE)) - 1 AS x,
            max(day) FILTER (WHERE day <= CAST($2 AS DATE)) - min(day) AS recency_days,
            CAST($2 AS DATE) - min(day) AS age_days,
            sum(fen) FILTER (WHERE day <= CAST($2 AS DATE)) - (min(${packed} + fen) - (min(day) - DATE '1970-01-01') * ${DAY_SHIFT}) AS repeat_fen,
            count(*) FILTER (WHERE day > CAST($2 AS DATE) AND day <= CAST($3 AS DATE)) AS holdout
     FROM days GROUP BY customer_id HAVING min(day) <= CAST($2 AS DATE)
   )
   SELECT customer_id, CAST(x AS DOUBLE PRECISION) AS x, CAST(recency_days AS DOUBLE PRECISION) AS recency_days,
          CAST(age_days AS DOUBLE PRECISION) AS age_days,
          CAST(repeat_fen AS DOUBLE PRECISION) / CAST(nullif(x, 0) AS DOUBLE PRECISION) AS mean_repeat_fen,
          CAST(holdout AS DOUBLE PRECISION) AS holdout
   FROM histories`;
}

/** The CTE `days`: each customer's purchase days in the brand's day boundaries ($1 currency), with the day's spend net of refunds. */
function purchaseDays(day: string): string {
  return `days AS (
     SELECT customer_id, ${day} AS day, sum(total_fen - refunded_fen) AS fen
     FROM orders WHERE ${PURCHASES} AND currency = $1
     GROUP BY customer_id, ${day}
   )`;
}

/** Days since 1970 are shifted by this much to pack a day and a spend in fen into one number (see continuousSql). */
const DAY_SHIFT = '10000000000000';

/**
 * The discrete-opportunity histories of `Histories` (`discrete`), in periods of `unit` days: period k before the
 * calibration end D holds the days d with k·unit ≤ D − d < (k+1)·unit, so period 0 ends on D; holdout period j holds
 * the days with j·unit < d − D ≤ (j+1)·unit. recency_days and age_days hold periods here; $3 is the number of whole
 * holdout periods.
 */
function discreteSql(day: string, unit: number): string {
  return `WITH ${purchaseDays(day)}, periods AS (
     SELECT customer_id,
            CASE WHEN day <= CAST($2 AS DATE) THEN CAST(floor((CAST($2 AS DATE) - day) / ${unit}.0) AS INTEGER) END AS back,
            CASE WHEN day > CAST($2 AS DATE) THEN CAST(floor((day - CAST($2 AS DATE) - 1) / ${unit}.0) AS INTEGER) END AS ahead,
            sum(fen) AS fen
     FROM days GROUP BY 1, 2, 3
   ), firsts AS (
     SELECT customer_id, max(back) AS n FROM periods GROUP BY customer_id
   )
   SELECT p.customer_id,
          CAST(count(*) FILTER (WHERE p.back < f.n) AS DOUBLE PRECISION) AS x,
          CAST(f.n - min(p.back) AS DOUBLE PRECISION) AS recency_days,
          CAST(f.n AS DOUBLE PRECISION) AS age_days,
          CAST(avg(p.fen) FILTER (WHERE p.back < f.n) AS DOUBLE PRECISION) AS mean_repeat_fen,
          CAST(count(*) FILTER (WHERE p.ahead < CAST($3 AS INTEGER)) AS DOUBLE PRECISION) AS holdout
   FROM periods p JOIN firsts f ON f.customer_id = p.customer_id
   WHERE f.n IS NOT NULL
   GROUP BY p.customer_id, f.n`;
}

/**
 * Purchase days in each week after `calibrationEnd` up to `holdoutEnd` (week k holds days 7k+1 … 7k+7 after it), by
 * customers who had bought by the calibration end: what a holdout's forecast is tracked against.
 */
export async function holdoutWeeklyPurchases(db: Queryable, currency: string, timezone: string, calibrationEnd: string, holdoutEnd: string): Promise<number[]> {
  const day = localDay(timezone);
  const rows = await db.query<{ week: number; n: number }>(
    `WITH ${purchaseDays(day)}, known AS (SELECT customer_id FROM days GROUP BY customer_id HAVING min(day) < CAST($2 AS DATE))
     SELECT CAST(floor((d.day - CAST($2 AS DATE) - 1) / 7.0) AS INTEGER) AS week, count(*) AS n
     FROM days d JOIN known k ON k.customer_id = d.customer_id
     WHERE d.day > CAST($2 AS DATE) AND d.day <= CAST($3 AS DATE) GROUP BY 1 ORDER BY 1`,
    [currency, calibrationEnd, holdoutEnd],
  );
  const weeks = Math.ceil((Date.parse(holdoutEnd) - Date.parse(calibrationEnd)) / 86_400_000 / 7);
  const counts = new Array<number>(weeks).fill(0);
  for (const r of rows) counts[Number(r.week)] = Number(r.n);
  return counts;
}

/** Cumulative repeat purchase days by week since `start` (YYYY-MM-DD), through `end`, for tracking plots. */
export async function weeklyRepeatPurchases(db: Queryable, currency: string, timezone: string, start: string, end: string): Promise<number[]> {
  const day = localDay(timezone);
  const rows = await db.query<{ week: number; n: number }>(
    `WITH ${purchaseDays(day)}, ranked AS (SELECT day, row_number() OVER (PARTITION BY customer_id ORDER BY day) AS k FROM days)
     SELECT CAST(floor((day - CAST($2 AS DATE)) / 7.0) AS INTEGER) AS week, count(*) AS n FROM ranked
     WHERE k > 1 AND day >= CAST($2 AS DATE) AND day <= CAST($3 AS DATE) GROUP BY 1 ORDER BY 1`,
    [currency, start, end],
  );
  const weeks = Math.floor((Date.parse(end) - Date.parse(start)) / 86_400_000 / 7) + 1;
  const counts = new Array<number>(weeks).fill(0);
  for (const r of rows) counts[Number(r.week)] = Number(r.n);
  let total = 0;
  return counts.map((n) => (total += n));
}

