import { readBrandSettings } from './settings.ts';
import type { Queryable } from './store.ts';

/** The orders that count as purchases in every layer and model: not cancelled and not refunded in full. */
export const PURCHASES = `status NOT IN ('cancelled', 'refunded')`;

/** SQL for the calendar day of a TIMESTAMPTZ column in the IANA zone `timezone` (the brand's day boundaries). */
export function localDay(timezone: string, column = 'placed_at'): string {
  return `CAST(${column} AT TIME ZONE '${timezone.replaceAll("'", "''")}' AS DATE)`;
}

/**
 * SQL that is true when the TIMESTAMPTZ `column` falls on or before the day `day` (a SQL DATE expression) in the IANA
 * zone `timezone`: the column is before the next local midnight. Unlike comparing localDay(…) with the day, it
 * converts no row to local time, so a scan that keeps few rows (an incremental update's customers) stays cheap.
 */
export function onOrBefore(timezone: string, day: string, column = 'placed_at'): string {
  return `(${column} < (CAST(CAST(${day} AS DATE) + 1 AS TIMESTAMP) AT TIME ZONE '${timezone.replaceAll("'", "''")}'))`;
}

/** The day of the latest order in the brand timezone (YYYY-MM-DD), or null for a store without orders. */
export async function latestOrderDay(db: Queryable): Promise<string | null> {
  const { timezone } = await readBrandSettings(db);
  const [row] = await db.query<{ day: string | null }>(`SELECT ${localDay(timezone, 'max(placed_at)')} AS day FROM orders`);
  return row?.day ?? null;
}
