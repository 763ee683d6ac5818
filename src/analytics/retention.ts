// Retention by first-purchase cohort: a week or month matrix and D1/D7/D30 ("returned within N days"), counting
// purchases, or with `basis: 'events'` purchases and any event of the customer's own. docs/analytics.md.
import { localDay, type Store } from '../store/index.ts';
import { ratio, reportContext } from './context.ts';
import { refreshFirstPurchases } from './first-purchases.ts';
import { cohortCtes, periodEnd, periodIndex, periodIndexSql, periodStart, type CohortGrain } from './cohort-sql.ts';
import { addDays, at, date, dayStarts, latestOrderDaySql, OWN_EVENTS } from './period.ts';

export type RetentionBasis = 'purchases' | 'events';
/** The N of the D-N retention figures. */
export const DAY_N = [1, 7, 30] as const;

export interface RetentionOptions {
  grain?: CohortGrain;
  basis?: RetentionBasis;
  /** Cohorts shown, ending with the one holding `to` (default: the latest data day); default 12. */
  cohorts?: number;
  /** A day in the last cohort shown; default the latest day with data. */
  to?: string;
}

export interface RetentionCell {
  /** Periods since the first purchase's own (0). */
  k: number;
  start: string;
  customers: number;
  share: number;
  /** False for the period that holds the data's last day: it may still grow. */
  isComplete: boolean;
}

export interface RetentionReport {
  grain: CohortGrain;
  basis: RetentionBasis;
  timezone: string;
  currency: string;
  /** The last local day with data (orders; with the events basis, orders or events). */
  dataEnd: string | null;
  cohorts: { start: string; customers: number; periods: RetentionCell[] }[];
  dayN: { days: number; eligible: number; returned: number; rate: number | null }[];
}

/** Retention of the first-purchase cohorts: counts and shares per period since, and D1/D7/D30. */
export async function computeRetention(db: Store, options: RetentionOptions = {}): Promise<RetentionReport> {
  const ctx = await reportContext(db);
  const grain = options.grain ?? 'month';
  const basis = options.basis ?? 'purchases';
  const count = options.cohorts ?? 12;
  const [orderEnd] = await db.query<{ day: string | null }>(latestOrderDaySql(ctx.timezone));
  let dataEnd = orderEnd?.day ?? null;
  if (basis === 'events') {
    const [eventEnd] = await db.query<{ day: string | null }>(`SELECT ${localDay(ctx.timezone, 'max(ts)')} AS day FROM events WHERE ${OWN_EVENTS}`);
    if (eventEnd?.day && (!dataEnd || eventEnd.day > dataEnd)) dataEnd = eventEnd.day;
  }
  const empty: RetentionReport = { grain, basis, timezone: ctx.timezone, currency: ctx.currency, dataEnd, cohorts: [], dayN: DAY_N.map((days) => ({ days, eligible: 0, returned: 0, rate: null })) };
  if (!dataEnd) return empty;
  const lastIndex = periodIndex(grain, options.to ?? dataEnd);
  const firstIndex = lastIndex - count + 1;
  const from = periodStart(grain, firstIndex);
  const [fromAt] = await dayStarts(db, ctx.timezone, [from]);
  const events = basis === 'events' ? `UNION ALL SELECT customer_id, ${localDay(ctx.timezone, 'ts')} AS day FROM events WHERE ${OWN_EVENTS} AND ts >= ${at(fromAt!)} AND customer_id IN (SELECT customer_id FROM c)` : '';
  await refreshFirstPurchases(db, ctx);
  // One statement feeds both the matrix and D-N from the cohorts' activity, joined once and kept (MATERIALIZED),
  // rather than scanning the orders once for each.
  const end = date(dataEnd);
  const dayNSql = DAY_N.map(
    (n) => `SELECT -${n}, count(*) FILTER (WHERE first_day + ${n} <= ${end}), count(*) FILTER (WHERE first_day + ${n} <= ${end} AND next_day <= first_day + ${n}) FROM nxt`,
  );
  const rows = await db.query<{ ci: number; k: number; n: number }>(
    `WITH ${cohortCtes(ctx, grain, firstIndex, lastIndex, fromAt!)},
     act AS (SELECT customer_id, day FROM p ${events}),
     j AS MATERIALIZED (SELECT c.customer_id, c.ci, c.first_day, act.day FROM c JOIN act ON act.customer_id = c.customer_id AND act.day >= c.first_day),
     a AS (SELECT DISTINCT customer_id, ci, ${periodIndexSql(grain, 'day')} - ci AS k FROM j),
     nxt AS (SELECT c.customer_id, c.first_day, min(j.day) AS next_day FROM c LEFT JOIN j ON j.customer_id = c.customer_id AND j.day > c.first_day GROUP BY c.customer_id, c.first_day)
     SELECT ci, k, count(*) AS n FROM a GROUP BY ci, k
     ${dayNSql.map((q) => `UNION ALL ${q}`).join('\n     ')}`,
  );
  // D-N rows come back as (ci = −N, k = eligible, n = returned); cohort indexes are never negative.
  const cells = rows.filter((r) => Number(r.ci) >= 0);
  const dn = Object.fromEntries(rows.filter((r) => Number(r.ci) < 0).flatMap((r) => [[`eligible_${-Number(r.ci)}`, Number(r.k)], [`returned_${-Number(r.ci)}`, Number(r.n)]]));
  const size = new Map<number, number>();
  const byCell = new Map<string, number>();
  for (const r of cells) {
    byCell.set(`${Number(r.ci)}:${Number(r.k)}`, Number(r.n));
    if (Number(r.k) === 0) size.set(Number(r.ci), Number(r.n));
  }
  const cohorts: RetentionReport['cohorts'] = [];
  const afterEnd = addDays(dataEnd, 1);
  for (let ci = firstIndex; ci <= lastIndex; ci++) {
    const customers = size.get(ci) ?? 0;
    if (!customers) continue;
    const periods: RetentionCell[] = [];
    for (let k = 0; ci + k <= periodIndex(grain, dataEnd); k++) {
      const n = byCell.get(`${ci}:${k}`) ?? 0;
      periods.push({ k, start: periodStart(grain, ci + k), customers: n, share: n / customers, isComplete: periodEnd(grain, ci + k) <= afterEnd });
    }
    cohorts.push({ start: periodStart(grain, ci), customers, periods });
  }
  const dayN = DAY_N.map((days) => {
    const eligible = Number(dn?.[`eligible_${days}`] ?? 0);
    const returned = Number(dn?.[`returned_${days}`] ?? 0);
    return { days, eligible, returned, rate: ratio(returned, eligible) };
  });
  return { ...empty, cohorts, dayN };
}

