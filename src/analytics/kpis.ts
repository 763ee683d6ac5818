// The headline KPIs of a period against its comparison period, each with a series for sparklines and its
// definition (definitions.ts). Every figure is set-based SQL on the orders and events; see docs/analytics.md.
import { localDay, type Queryable, type Store } from '../store/index.ts';
import { fenRatio, NET, purchaseFilter, ratio, reportContext, type ReportContext } from './context.ts';
import { FIRST_PURCHASES, refreshFirstPurchases } from './first-purchases.ts';
import { KPI_DEFINITIONS, KPI_KEYS, type KpiKey, type MetricDefinition } from './definitions.ts';
import { addDays, bucketFor, bucketSql, bucketStarts, comparisonPeriod, dayStarts, defaultPeriod, latestOrderDaySql, OWN_EVENTS, at, type Bucket, type Comparison, type Period } from './period.ts';

export interface KpiOptions {
  from?: string;
  to?: string;
  /** What the period is compared with: the previous period of equal length (default) or the same dates a year before. */
  compare?: Comparison;
  /** N of the new-buyer N-day repurchase rate; default 30. */
  repurchaseDays?: number;
}

export interface KpiMetric extends Omit<MetricDefinition, 'zh' | 'en'> {
  key: KpiKey;
  value: number | null;
  previous: number | null;
  /** value − previous (for ratios: in share points, 0.05 = 5 points); null when either is null. */
  change: number | null;
  /** (value − previous) ÷ previous; null when previous is 0 or null. */
  changeRatio: number | null;
  /** The metric over each bucket of the period, each bucket taken as a period of its own. */
  series: { start: string; value: number | null }[];
  definition: { zh: MetricDefinition['zh']; en: MetricDefinition['en'] };
}

export interface KpiReport {
  period: Period;
  comparison: Period & { kind: Comparison };
  timezone: string;
  currency: string;
  bucket: Bucket;
  repurchaseDays: number;
  metrics: KpiMetric[];
}

type Figures = Record<KpiKey, number | null>;

/**
 * The KPIs of [from, to) (default: the 7 days ending with the latest order's day) against the comparison period.
 */
export async function computeKpis(db: Store, options: KpiOptions = {}): Promise<KpiReport> {
  const ctx = await reportContext(db);
  const period = await defaultPeriod(db, latestOrderDaySql(ctx.timezone), 7, options);
  const compare = options.compare ?? 'previous';
  const previous = comparisonPeriod(period, compare);
  const repurchaseDays = options.repurchaseDays ?? 30;
  const bucket = bucketFor(period);
  await refreshFirstPurchases(db, ctx);
  const current = await periodFigures(db, ctx, period, bucket, repurchaseDays);
  const before = await periodFigures(db, ctx, previous, bucketFor(previous), repurchaseDays);
  const starts = bucketStarts(period, bucket);
  const metrics = KPI_KEYS.map((key): KpiMetric => {
    const { zh, en, unit } = KPI_DEFINITIONS[key];
    const value = current.total[key];
    const prior = before.total[key];
    return {
      key,
      unit,
      value,
      previous: prior,
      change: value === null || prior === null ? null : value - prior,
      changeRatio: value === null || !prior ? null : (value - prior) / prior,
      series: starts.map((start, i) => ({ start, value: current.series[i]![key] })),
      definition: { zh, en },
    };
  });
  return { period, comparison: { ...previous, kind: compare }, timezone: ctx.timezone, currency: ctx.currency, bucket, repurchaseDays, metrics };
}

interface OrderRow {
  kind: 'b' | 't' | 'nb' | 'nt' | 'a' | 'at' | 'l' | 'lt' | 'r';
  b: number | null;
  gmv: number | null;
  orders: number | null;
  buyers: number | null;
  repeaters: number | null;
}

/** The KPIs of one period, in total and per bucket. */
async function periodFigures(db: Queryable, ctx: ReportContext, period: Period, bucket: Bucket, repurchaseDays: number): Promise<{ total: Figures; series: Figures[] }> {
  const [lo, hi, hiN] = await dayStarts(db, ctx.timezone, [period.from, period.to, addDays(period.to, repurchaseDays)]);
  const day = localDay(ctx.timezone);
  const bucketOf = (expr: string) => bucketSql(bucket, expr, period);
  // One statement, so the period's orders are read once for the order figures and for activity (o and cb are kept,
  // MATERIALIZED, for their several readers); activity rows come back with their count in `buyers`.
  const rows = await db.query<OrderRow>(
    `WITH o AS MATERIALIZED (SELECT customer_id, placed_at, ${NET} AS net, ${day} AS day FROM orders WHERE ${purchaseFilter(ctx, { from: lo, to: hiN })}),
     inp AS (SELECT customer_id, net, day, ${bucketOf('day')} AS b FROM o WHERE placed_at < ${at(hi!)}),
     cb AS MATERIALIZED (SELECT customer_id, b, count(*) AS n, sum(net) AS g FROM inp GROUP BY customer_id, b),
     cp AS (SELECT customer_id, count(*) AS n, sum(net) AS g, min(day) AS first_day FROM inp GROUP BY customer_id),
     fresh AS (SELECT cp.customer_id, cp.first_day FROM cp JOIN ${FIRST_PURCHASES} fp ON fp.buyer_id = cp.customer_id WHERE fp.first_at >= ${at(lo!)}),
     rep AS (SELECT f.customer_id, ${bucketOf('f.first_day')} AS b, count(*) >= 2 AS again
             FROM fresh f JOIN o ON o.customer_id = f.customer_id AND o.day <= f.first_day + ${repurchaseDays} GROUP BY f.customer_id, f.first_day),
     ev AS MATERIALIZED (SELECT DISTINCT customer_id, ${bucketOf(localDay(ctx.timezone, 'ts'))} AS b FROM events WHERE ${OWN_EVENTS} AND ts >= ${at(lo!)} AND ts < ${at(hi!)}),
     -- Active: the buyers of each bucket (cb, distinct already) and the event-only customer-buckets beside them, so
     -- only the events' few rows are compared rather than the union of both deduplicated.
     evx AS (SELECT customer_id, b FROM ev WHERE NOT EXISTS (SELECT 1 FROM cb WHERE cb.customer_id = ev.customer_id AND cb.b = ev.b)),
     act AS MATERIALIZED (SELECT customer_id, b FROM cb UNION ALL SELECT customer_id, b FROM evx),
     reg AS MATERIALIZED (SELECT customer_id, ${bucketOf(localDay(ctx.timezone, 'coalesce(registered_at, created_at)'))} AS rb FROM customers
             WHERE merged_into IS NULL AND coalesce(registered_at, created_at) < ${at(hi!)}),
     late AS MATERIALIZED (SELECT a.customer_id, a.b, r.customer_id AS known FROM act a LEFT JOIN reg r ON r.customer_id = a.customer_id WHERE r.customer_id IS NULL OR r.rb > a.b)
     SELECT 'b' AS kind, b, sum(g) AS gmv, sum(n) AS orders, count(*) AS buyers, count(*) FILTER (WHERE n >= 2) AS repeaters FROM cb GROUP BY b
     UNION ALL SELECT 't', NULL, sum(g), sum(n), count(*), count(*) FILTER (WHERE n >= 2) FROM cp
     UNION ALL SELECT 'nb', b, NULL, NULL, count(*), count(*) FILTER (WHERE again) FROM rep GROUP BY b
     UNION ALL SELECT 'nt', NULL, NULL, NULL, count(*), count(*) FILTER (WHERE again) FROM rep
     UNION ALL SELECT 'a', b, NULL, NULL, count(*), NULL FROM act GROUP BY b
     UNION ALL SELECT 'at', NULL, NULL, NULL, (SELECT count(*) FROM cp) + (SELECT count(DISTINCT customer_id) FROM ev WHERE NOT EXISTS (SELECT 1 FROM cp WHERE cp.customer_id = ev.customer_id)), NULL
     UNION ALL SELECT 'l', b, NULL, NULL, count(*), NULL FROM late GROUP BY b
     UNION ALL SELECT 'lt', NULL, NULL, NULL, count(DISTINCT customer_id), NULL FROM late WHERE known IS NULL
     UNION ALL SELECT 'r', CASE WHEN rb < 0 THEN -1 ELSE rb END, NULL, NULL, count(*), NULL FROM reg GROUP BY 2`,
  );
  const orderRows = rows;
  const activityRows = rows.filter((r) => ['a', 'at', 'l', 'lt', 'r'].includes(r.kind)).map((r) => ({ kind: r.kind, b: r.b, n: Number(r.buyers) }));
  const buckets = bucketStarts(period, bucket).length;
  const pick = <R extends { kind: string; b: number | null }>(rows: R[], kind: string, b: number | null) => rows.find((r) => r.kind === kind && (b === null || Number(r.b) === b));
  const registeredBy = (b: number) => activityRows.filter((r) => r.kind === 'r' && Number(r.b) <= b).reduce((s, r) => s + Number(r.n), 0);
  const figures = (b: number | null): Figures => {
    const o = pick(orderRows, b === null ? 't' : 'b', b);
    const fresh = pick(orderRows, b === null ? 'nt' : 'nb', b);
    const gmv = Number(o?.gmv ?? 0);
    const orders = Number(o?.orders ?? 0);
    const buyers = Number(o?.buyers ?? 0);
    const newBuyers = Number(fresh?.buyers ?? 0);
    const active = Number(pick(activityRows, b === null ? 'at' : 'a', b)?.n ?? 0);
    const base = (b === null ? registeredBy(Number.MAX_SAFE_INTEGER) : registeredBy(b)) + Number(pick(activityRows, b === null ? 'lt' : 'l', b)?.n ?? 0);
    return {
      gmvFen: gmv,
      orders,
      buyers,
      aovFen: fenRatio(gmv, orders),
      spendPerBuyerFen: fenRatio(gmv, buyers),
      repeatRate: ratio(Number(o?.repeaters ?? 0), buyers),
      newBuyers,
      newBuyerShare: ratio(newBuyers, buyers),
      newBuyerRepurchaseRate: ratio(Number(fresh?.repeaters ?? 0), newBuyers),
      activeCustomers: active,
      activeRatio: ratio(active, base),
    };
  };
  return { total: figures(null), series: Array.from({ length: buckets }, (_, b) => figures(b)) };
}
