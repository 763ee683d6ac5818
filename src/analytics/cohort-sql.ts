// First-purchase cohorts: the shared SQL of retention and LTV cohorts, and the calendar of week and month indexes.
import { localDay } from '../store/index.ts';
import { NET, purchaseFilter, type ReportContext } from './context.ts';
import { FIRST_PURCHASES } from './first-purchases.ts';
import { addDays, date } from './period.ts';

export type CohortGrain = 'week' | 'month';

/** 1970-01-05 was a Monday: weeks are counted from it, so each starts on a Monday. */
const MONDAY = '1970-01-05';

/** SQL for the week or month index of a DATE expression: weeks since 1970-01-05, or year × 12 + month − 1. */
export function periodIndexSql(grain: CohortGrain, day: string): string {
  if (grain === 'week') return `CAST(floor(CAST(${day} - ${date(MONDAY)} AS INTEGER) / 7) AS INTEGER)`;
  return `CAST(extract(year FROM ${day}) * 12 + extract(month FROM ${day}) - 1 AS INTEGER)`;
}

/** The same index in JavaScript, for a YYYY-MM-DD day. */
export function periodIndex(grain: CohortGrain, day: string): number {
  if (grain === 'week') return Math.floor((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${MONDAY}T00:00:00Z`)) / (7 * 86_400_000));
  return Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7)) - 1;
}

/** The first day of a week or month index. */
export function periodStart(grain: CohortGrain, index: number): string {
  if (grain === 'week') return addDays(MONDAY, index * 7);
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}-01`;
}

/** The day after the last day of a week or month index. */
export const periodEnd = (grain: CohortGrain, index: number): string => periodStart(grain, index + 1);

/**
 * CTEs `c` (customers whose first purchase falls in cohorts [fromIndex, toIndex]: customer_id, first_day, ci the
 * cohort index), read from analytics_first_purchases (refreshed by the caller), and `p` (their purchases, all placed
 * from `fromAt`, the first cohort's first local midnight: customer_id, local day, net). Keeping only the cohorts'
 * customers before computing local days matters: most orders in a year are by customers acquired before it.
 */
export function cohortCtes(ctx: ReportContext, grain: CohortGrain, fromIndex: number, toIndex: number, fromAt: Date): string {
  return `c AS (SELECT buyer_id AS customer_id, first_day, ${periodIndexSql(grain, 'first_day')} AS ci FROM ${FIRST_PURCHASES}
           WHERE first_day >= ${date(periodStart(grain, fromIndex))} AND first_day < ${date(periodEnd(grain, toIndex))}),
     p AS (SELECT customer_id, ${localDay(ctx.timezone)} AS day, ${NET} AS net FROM orders
           WHERE ${purchaseFilter(ctx, { from: fromAt })} AND customer_id IN (SELECT customer_id FROM c))`;
}
