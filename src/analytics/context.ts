import { PURCHASES, readBrandSettings, reportingCurrency, type Queryable } from '../store/index.ts';
import { at } from './period.ts';

/** What every report is measured in: the brand timezone's days and one currency. */
export interface ReportContext {
  timezone: string;
  /** The reporting currency: the brand's, else the most common order currency (store/settings.ts). */
  currency: string;
}

export async function reportContext(db: Queryable): Promise<ReportContext> {
  const { timezone, currency } = await readBrandSettings(db);
  return { timezone, currency: await reportingCurrency(db, currency) };
}

/** A SQL string literal. */
export const text = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * The WHERE condition of the orders every report counts: purchases (not cancelled, not refunded in full) in the
 * reporting currency, placed in [from, to) when bounds are given. `alias` prefixes the columns (e.g. `o.`).
 */
export function purchaseFilter(ctx: ReportContext, bounds: { from?: Date; to?: Date } = {}, alias = ''): string {
  const parts = [PURCHASES.replace('status', `${alias}status`), `${alias}currency = ${text(ctx.currency)}`];
  if (bounds.from) parts.push(`${alias}placed_at >= ${at(bounds.from)}`);
  if (bounds.to) parts.push(`${alias}placed_at < ${at(bounds.to)}`);
  return parts.join(' AND ');
}

/** Net paid of an order: what the customer paid less what was refunded. */
export const NET = '(total_fen - refunded_fen)';

/** A ratio, or null when its denominator is zero. */
export const ratio = (num: number, den: number): number | null => (den ? num / den : null);
/** A money ratio rounded to whole fen, or null when its denominator is zero. */
export const fenRatio = (num: number, den: number): number | null => (den ? Math.round(num / den) : null);
