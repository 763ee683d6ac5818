// The LTV cohort table: cumulative net paid per customer by first-purchase month × months since, observed from the
// orders, and for the months not yet over the latest CLV fit's forecast (forecast.ts). docs/analytics.md.
import type { Store } from '../store/index.ts';
import { fenRatio, reportContext } from './context.ts';
import { cohortCtes, periodEnd, periodIndex, periodIndexSql, periodStart } from './cohort-sql.ts';
import { forecastCohorts, type ForecastFit } from './forecast.ts';
import { refreshFirstPurchases } from './first-purchases.ts';
import { addDays, dayStarts, latestOrderDaySql } from './period.ts';

export interface CohortOptions {
  /** Acquisition months shown, ending with the one holding `to` (default: the latest order's month); default 12. */
  cohorts?: number;
  /** Months since acquisition shown (columns 0 … months); default 12. */
  months?: number;
  to?: string;
}

export type CellState = 'observed' | 'partial' | 'forecast';

export interface LtvCell {
  /** Months since the acquisition month (0 = that month). */
  k: number;
  month: string;
  /** Cumulative net paid per cohort customer to the end of this month, in fen. */
  valueFen: number;
  /** observed: the month is over; partial: it holds the last data day and no forecast exists; forecast: the model's. */
  state: CellState;
}

export interface LtvCohortReport {
  timezone: string;
  currency: string;
  dataEnd: string | null;
  forecast: { fitId: string; model: string; timeUnit: string; calibrationEnd: string } | null;
  /** Why there are no forecast cells, when there are none. */
  forecastNote: string | null;
  cohorts: { month: string; customers: number; cells: LtvCell[] }[];
}

/** The LTV cohort table, with the CLV model's forecast for the months not yet over when a scored fit exists. */
export async function computeLtvCohorts(db: Store, options: CohortOptions = {}): Promise<LtvCohortReport> {
  const ctx = await reportContext(db);
  const months = options.months ?? 12;
  const [latest] = await db.query<{ day: string | null }>(latestOrderDaySql(ctx.timezone));
  const dataEnd = latest?.day ?? null;
  const report: LtvCohortReport = { timezone: ctx.timezone, currency: ctx.currency, dataEnd, forecast: null, forecastNote: null, cohorts: [] };
  if (!dataEnd) return { ...report, forecastNote: 'no orders' };
  const lastIndex = periodIndex('month', options.to ?? dataEnd);
  const firstIndex = lastIndex - (options.cohorts ?? 12) + 1;
  const [fromAt] = await dayStarts(db, ctx.timezone, [periodStart('month', firstIndex)]);
  await refreshFirstPurchases(db, ctx);
  const rows = await db.query<{ ci: number; k: number; net: number }>(
    `WITH ${cohortCtes(ctx, 'month', firstIndex, lastIndex, fromAt!)}
     SELECT c.ci, ${periodIndexSql('month', 'p.day')} - c.ci AS k, sum(p.net) AS net FROM c JOIN p ON p.customer_id = c.customer_id GROUP BY 1, 2
     UNION ALL SELECT ci, -1, count(*) FROM c GROUP BY ci`,
  );
  const endIndex = periodIndex('month', dataEnd);
  const afterEnd = addDays(dataEnd, 1);
  const sizes = new Map<number, number>();
  const net = new Map<string, number>();
  for (const r of rows) {
    if (Number(r.k) < 0) sizes.set(Number(r.ci), Number(r.net));
    else net.set(`${Number(r.ci)}:${Number(r.k)}`, Number(r.net));
  }
  const present = [...sizes.keys()].sort((a, b) => a - b);
  const forecast = await forecastCohorts(db, present.map((ci) => ({ ci, lastK: months })), dataEnd);
  const fit: ForecastFit | null = forecast.fit;
  for (const ci of present) {
    const customers = sizes.get(ci)!;
    const cells: LtvCell[] = [];
    let cumulative = 0;
    for (let k = 0; k <= months; k++) {
      const month = periodStart('month', ci + k).slice(0, 7);
      if (ci + k <= endIndex) cumulative += net.get(`${ci}:${k}`) ?? 0;
      const isOver = periodEnd('month', ci + k) <= afterEnd;
      if (isOver) {
        cells.push({ k, month, valueFen: fenRatio(cumulative, customers)!, state: 'observed' });
      } else if (forecast.fit) {
        const expected = forecast.expectedFen.get(`${ci}:${k}`) ?? 0;
        cells.push({ k, month, valueFen: fenRatio(cumulative + expected, customers)!, state: 'forecast' });
      } else if (ci + k === endIndex) {
        cells.push({ k, month, valueFen: fenRatio(cumulative, customers)!, state: 'partial' });
      }
    }
    report.cohorts.push({ month: periodStart('month', ci).slice(0, 7), customers, cells });
  }
  return { ...report, forecast: fit, forecastNote: forecast.fit ? null : forecast.reason };
}
