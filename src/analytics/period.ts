// Periods of local days in the brand timezone: [from, to), `to` excluded, each day from local midnight to local
// midnight. Queries filter on the instants of those midnights (so an index or zone map on the timestamp helps) and
// bucket rows by their local day with the store's localDay.
import { SiyuError } from '../core/errors.ts';
import { fixedOffset, localDay, type Queryable } from '../store/index.ts';

/** Local days [from, to) in the brand timezone, as YYYY-MM-DD. */
export interface Period {
  from: string;
  to: string;
}

export type Comparison = 'previous' | 'year';
export type Bucket = 'day' | 'week' | 'month';

const DAY_MS = 86_400_000;
/** Periods longer than this are refused: ten years of daily buckets is already more than any chart shows. */
export const MAX_PERIOD_DAYS = 3660;

const epochDay = (day: string): number => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const fromEpochDay = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);

export const addDays = (day: string, days: number): string => fromEpochDay(epochDay(day) + days);
export const daysBetween = (from: string, to: string): number => epochDay(to) - epochDay(from);

/** The same calendar dates one year earlier (29 February becomes 1 March). */
function yearBefore(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  return d.toISOString().slice(0, 10);
}

/** Checks a period a caller gave, naming the field at fault. */
export function checkPeriod(period: Period): Period {
  const days = daysBetween(period.from, period.to);
  if (!(days >= 1)) throw new SiyuError('validation', 'invalid_period', `to (${period.to}) must be after from (${period.from})`, { details: [{ path: 'to', message: 'must be after from' }] });
  if (days > MAX_PERIOD_DAYS) throw new SiyuError('validation', 'invalid_period', `a period may span at most ${MAX_PERIOD_DAYS} days, not ${days}`, { details: [{ path: 'from', message: `at most ${MAX_PERIOD_DAYS} days before to` }] });
  return period;
}

/** The period a report is compared with: the one of equal length just before, or the same dates a year earlier. */
export function comparisonPeriod(period: Period, compare: Comparison): Period {
  if (compare === 'year') return { from: yearBefore(period.from), to: yearBefore(period.to) };
  const days = daysBetween(period.from, period.to);
  return { from: addDays(period.from, -days), to: period.from };
}

/**
 * The default period: the `days` local days that end with the latest day holding data (a store's data may stop
 * before today, as the demo brand's does), found by `latestSql` (a query returning `day`, a DATE or NULL).
 */
export async function defaultPeriod(db: Queryable, latestSql: string, days: number, given: Partial<Period> = {}): Promise<Period> {
  if (given.from && given.to) return checkPeriod({ from: given.from, to: given.to });
  if (given.to) return checkPeriod({ from: addDays(given.to, -days), to: given.to });
  if (given.from) return checkPeriod({ from: given.from, to: addDays(given.from, days) });
  const [row] = await db.query<{ day: string | null }>(latestSql);
  const to = row?.day ? addDays(String(row.day).slice(0, 10), 1) : addDays(new Date().toISOString().slice(0, 10), 1);
  return { from: addDays(to, -days), to };
}

/** SQL returning the latest local day of the orders (`day`), for defaultPeriod. */
export const latestOrderDaySql = (timezone: string): string => `SELECT ${localDay(timezone, 'max(placed_at)')} AS day FROM orders`;
/** SQL returning the latest local day of the events customers sent themselves, for defaultPeriod. */
export const latestEventDaySql = (timezone: string): string => `SELECT ${localDay(timezone, 'max(ts)')} AS day FROM events WHERE ${OWN_EVENTS}`;

/** Events a customer made (not Siyu's own Stage Changed and similar, whose source starts with "siyu "). */
export const OWN_EVENTS = `type IN ('track', 'page', 'screen') AND (source IS NULL OR source NOT LIKE 'siyu %')`;

/**
 * The instant each local day starts in `timezone`. For a zone with a fixed offset (fixedOffset) it is arithmetic;
 * otherwise the engine converts, as localDay does, so both agree on daylight-saving days.
 */
export async function dayStarts(db: Queryable, timezone: string, days: readonly string[]): Promise<Date[]> {
  const offset = fixedOffset(timezone);
  const inSpan = (day: string) => day >= '2000-01-02' && Number(day.slice(0, 4)) <= new Date().getUTCFullYear() + 1;
  if (offset !== null && days.every(inSpan)) return days.map((day) => new Date(epochDay(day) * DAY_MS - offset * 1000));
  const zone = `'${timezone.replaceAll("'", "''")}'`;
  const columns = days.map((day, i) => `CAST(CAST(DATE '${checkDay(day)}' AS TIMESTAMP) AT TIME ZONE ${zone} AS TIMESTAMPTZ) AS d${i}`);
  const [row] = await db.query<Record<string, Date>>(`SELECT ${columns.join(', ')}`);
  return days.map((_, i) => new Date(row![`d${i}`]!));
}

function checkDay(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new SiyuError('internal', 'bad_day', `not a day: ${day}`);
  return day;
}

/** A TIMESTAMPTZ literal for an instant, for the bounds of a scan (constants let the engine prune). */
export const at = (instant: Date): string => `CAST('${instant.toISOString().slice(0, 19).replace('T', ' ')}+00' AS TIMESTAMPTZ)`;
/** A DATE literal. */
export const date = (day: string): string => `DATE '${checkDay(day)}'`;

/** The bucket a period's series uses: days up to five weeks, weeks up to half a year, else months. */
export function bucketFor(period: Period): Bucket {
  const days = daysBetween(period.from, period.to);
  return days <= 35 ? 'day' : days <= 183 ? 'week' : 'month';
}

/** SQL for the 0-based bucket of the local day `dayExpr` (a DATE) within `period`: weeks are counted from `from`. */
export function bucketSql(bucket: Bucket, dayExpr: string, period: Period): string {
  const start = date(period.from);
  if (bucket === 'day') return `CAST(${dayExpr} - ${start} AS INTEGER)`;
  if (bucket === 'week') return `CAST(floor(CAST(${dayExpr} - ${start} AS INTEGER) / 7) AS INTEGER)`;
  const [y, m] = period.from.split('-').map(Number) as [number, number];
  return `CAST(extract(year FROM ${dayExpr}) * 12 + extract(month FROM ${dayExpr}) - ${y * 12 + m} AS INTEGER)`;
}

/** The first day of each bucket of a period, in order. */
export function bucketStarts(period: Period, bucket: Bucket): string[] {
  const out: string[] = [];
  if (bucket === 'month') {
    for (let d = new Date(`${period.from}T00:00:00Z`), first = true; d.toISOString().slice(0, 10) < period.to; first = false) {
      out.push(first ? period.from : d.toISOString().slice(0, 10));
      d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    }
    return out;
  }
  const step = bucket === 'day' ? 1 : 7;
  for (let day = period.from; day < period.to; day = addDays(day, step)) out.push(day);
  return out;
}
