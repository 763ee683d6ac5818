import { readBrandSettings } from './settings.ts';
import type { Queryable } from './store.ts';

/** The orders that count as purchases in every layer and model: not cancelled and not refunded in full. */
export const PURCHASES = `status NOT IN ('cancelled', 'refunded')`;

const quoted = (timezone: string) => `'${timezone.replaceAll("'", "''")}'`;

/** The span in which a zone's offset is probed (see fixedOffset): from 2000 to two years after the process started. */
const PROBE_FROM = Date.UTC(2000, 0, 1);
const PROBE_TO = Date.UTC(new Date().getUTCFullYear() + 2, 0, 1);
const PROBE_STEP_MS = 7 * 86_400_000;
const offsets = new Map<string, number | null>();

/**
 * The seconds east of UTC that `timezone` keeps from 2000 to two years ahead, or null when its offset changes in
 * that span (daylight saving time, a change of rules) or Intl does not know the zone. The offset is read weekly, so
 * any change that lasts a week or more is seen. Within that span a local time is then plain arithmetic on the epoch,
 * about five times cheaper in DuckDB than its ICU zone conversion (0.17 s against 0.87 s on 10M orders).
 */
export function fixedOffset(timezone: string): number | null {
  if (offsets.has(timezone)) return offsets.get(timezone)!;
  let offset: number | null = null;
  try {
    const format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
    const at = (ms: number) => format.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '';
    const first = at(PROBE_FROM);
    let same = true;
    for (let ms = PROBE_FROM + PROBE_STEP_MS; same && ms < PROBE_TO; ms += PROBE_STEP_MS) same = at(ms) === first;
    const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(first);
    if (same && match) offset = match[1] ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 3600 + Number(match[3]) * 60) : 0;
  } catch {
    offset = null; // an unknown zone: the engine's conversion reports it
  }
  offsets.set(timezone, offset);
  return offset;
}

/** SQL choosing `fast` for instants of the TIMESTAMPTZ `column` within the fixed-offset span, else `slow`. */
function withinFixedSpan(column: string, fast: string, slow: string): string {
  const literal = (ms: number) => `TIMESTAMPTZ '${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}+00'`;
  return `(CASE WHEN ${column} >= ${literal(PROBE_FROM)} AND ${column} < ${literal(PROBE_TO)} THEN ${fast} ELSE ${slow} END)`;
}

/**
 * SQL for the calendar day of a TIMESTAMPTZ column in the IANA zone `timezone` (the brand's day boundaries). For a
 * zone with a fixed offset (see fixedOffset) the day is counted from the epoch, the same on both engines; instants
 * outside that span, and other zones, go through the engine's zone conversion.
 */
export function localDay(timezone: string, column = 'placed_at'): string {
  const converted = `CAST(${column} AT TIME ZONE ${quoted(timezone)} AS DATE)`;
  const offset = fixedOffset(timezone);
  if (offset === null) return converted;
  return withinFixedSpan(column, `DATE '1970-01-01' + CAST(floor((extract(epoch FROM ${column}) + ${offset}) / 86400) AS INTEGER)`, converted);
}

/**
 * SQL for the wall-clock time of a TIMESTAMPTZ column in `timezone` as seconds since 1970-01-01 00:00 (local time
 * read as if it were UTC), from which the day, weekday and hour follow by arithmetic; fast as localDay is.
 */
export function localSeconds(timezone: string, column = 'placed_at'): string {
  const converted = `extract(epoch FROM ${column} AT TIME ZONE ${quoted(timezone)})`;
  const offset = fixedOffset(timezone);
  if (offset === null) return converted;
  return withinFixedSpan(column, `(extract(epoch FROM ${column}) + ${offset})`, converted);
}

/**
 * SQL that is true when the TIMESTAMPTZ `column` falls on or before the day `day` (a SQL DATE expression) in the IANA
 * zone `timezone`: the column is before the next local midnight. Unlike comparing localDay(…) with the day, it
 * converts no row to local time, so a scan that keeps few rows (an incremental update's customers) stays cheap.
 */
export function onOrBefore(timezone: string, day: string, column = 'placed_at'): string {
  return `(${column} < (CAST(CAST(${day} AS DATE) + 1 AS TIMESTAMP) AT TIME ZONE ${quoted(timezone)}))`;
}

/** The day of the latest order in the brand timezone (YYYY-MM-DD), or null for a store without orders. */
export async function latestOrderDay(db: Queryable): Promise<string | null> {
  const { timezone } = await readBrandSettings(db);
  const [row] = await db.query<{ day: string | null }>(`SELECT ${localDay(timezone, 'max(placed_at)')} AS day FROM orders`);
  return row?.day ?? null;
}
