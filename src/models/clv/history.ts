import { SiyuError } from '../../core/errors.ts';
import { parseDay } from '../../core/validation.ts';
import { latestOrderDay, localDay, PURCHASES, readBrandSettings, reportingCurrency, type Queryable } from '../../store/index.ts';
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
}

/**
 * Builds every buyer's (x, tx, T, m̄) in one set-based query, the same on both engines: orders that were cancelled
 * or refunded in full are left out, orders on the same day in the brand timezone merge into one purchase (as in
 * Fader, Hardie & Lee 2005), and money is the paid amount net of partial refunds, in the reporting currency.
 */
export async function loadHistories(db: Queryable, options: HistoryOptions): Promise<Histories> {
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
  const rows = await db.query<{ customer_id: string; x: number; recency_days: number; age_days: number; mean_repeat_fen: number | null; holdout: number }>(
    `WITH days AS (
       SELECT customer_id, ${day} AS day, sum(total_fen - refunded_fen) AS fen
       FROM orders WHERE ${PURCHASES} AND currency = $1
       GROUP BY customer_id, ${day}
     ), ranked AS (
       SELECT customer_id, day, fen, row_number() OVER (PARTITION BY customer_id ORDER BY day) AS k FROM days
     )
     SELECT customer_id,
            count(*) FILTER (WHERE k > 1 AND day <= CAST($2 AS DATE)) AS x,
            max(day) FILTER (WHERE day <= CAST($2 AS DATE)) - min(day) AS recency_days,
            CAST($2 AS DATE) - min(day) AS age_days,
            avg(fen) FILTER (WHERE k > 1 AND day <= CAST($2 AS DATE)) AS mean_repeat_fen,
            count(*) FILTER (WHERE day > CAST($2 AS DATE) AND day <= CAST($3 AS DATE)) AS holdout
     FROM ranked GROUP BY customer_id HAVING min(day) <= CAST($2 AS DATE)
     ORDER BY customer_id`,
    [currency, calibrationEnd, options.holdoutEnd ?? calibrationEnd],
  );
  const unit = DAYS_PER_UNIT[options.timeUnit];
  return {
    customerIds: rows.map((r) => r.customer_id),
    x: Float64Array.from(rows, (r) => Number(r.x)),
    tx: Float64Array.from(rows, (r) => Number(r.recency_days) / unit),
    T: Float64Array.from(rows, (r) => Number(r.age_days) / unit),
    meanRepeatValue: Float64Array.from(rows, (r) => (r.mean_repeat_fen === null ? NaN : Number(r.mean_repeat_fen) / 100)),
    holdout: Float64Array.from(rows, (r) => Number(r.holdout)),
    calibrationEnd,
    holdoutEnd: options.holdoutEnd ?? null,
    timeUnit: options.timeUnit,
    currency,
    timezone,
  };
}

/** Cumulative repeat purchase days by week since `start` (YYYY-MM-DD), through `end`, for tracking plots. */
export async function weeklyRepeatPurchases(db: Queryable, currency: string, timezone: string, start: string, end: string): Promise<number[]> {
  const day = localDay(timezone);
  const rows = await db.query<{ week: number; n: number }>(
    `WITH days AS (
       SELECT customer_id, ${day} AS day FROM orders WHERE ${PURCHASES} AND currency = $1 GROUP BY customer_id, ${day}
     ), ranked AS (SELECT day, row_number() OVER (PARTITION BY customer_id ORDER BY day) AS k FROM days)
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

