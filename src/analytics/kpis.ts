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
type PeriodFigures = { total: Figures; series: Figures[] };

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
  const [current, before] = (await periodFigures(db, ctx, [{ period, bucket }, { period: previous, bucket: bucketFor(previous) }], repurchaseDays)) as [PeriodFigures, PeriodFigures];
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

/**
 * The KPIs of each period, in total and per bucket, in one statement: the orders of all the periods (each with its
 * repurchase window) are read once, and every row is tagged with its period (`per`), so a period and its comparison
 * cost one scan of the orders, not two.
 */
async function periodFigures(db: Queryable, ctx: ReportContext, periods: { period: Period; bucket: Bucket }[], repurchaseDays: number): Promise<PeriodFigures[]> {
  const starts = await dayStarts(db, ctx.timezone, periods.flatMap(({ period }) => [period.from, period.to, addDays(period.to, repurchaseDays)]));
  const bounds = periods.map((p, i) => ({ ...p, lo: starts[3 * i]!, hi: starts[3 * i + 1]!, hiN: starts[3 * i + 2]! }));
  const day = localDay(ctx.timezone);
  const eventDay = localDay(ctx.timezone, 'ts');
  const registered = localDay(ctx.timezone, 'coalesce(registered_at, created_at)');
  // The same expression for each period, chosen by the row's period.
  const perPeriod = (sql: (b: (typeof bounds)[number]) => string, per = 'per') => (bounds.length === 1 ? sql(bounds[0]!) : `CASE ${per} ${bounds.map((b, i) => `WHEN ${i} THEN ${sql(b)}`).join(' ')} END`);
  const bucketOf = (expr: string, per = 'per') => perPeriod((b) => bucketSql(b.bucket, expr, b.period), per);
  const tagged = (select: (b: (typeof bounds)[number], i: number) => string) => bounds.map(select).join(' UNION ALL ');
  // The orders of each period with its repurchase window: for a comparison a year back, two separate ranges, not
  // the year between them.
  const ranges = bounds.map((b) => `(placed_at >= ${at(b.lo)} AND placed_at < ${at(b.hiN)})`).join(' OR ');
  // Activity rows come back with their count in `buyers`; o and cb are kept, MATERIALIZED, for their several readers.
  const rows = await db.query<OrderRow & { per: number }>(
    `WITH o AS MATERIALIZED (SELECT customer_id, placed_at, ${NET} AS net, ${day} AS day FROM orders WHERE ${purchaseFilter(ctx)} AND (${ranges})),
     inp0 AS (${tagged((b, i) => `SELECT ${i} AS per, customer_id, net, day FROM o WHERE placed_at >= ${at(b.lo)} AND placed_at < ${at(b.hi)}`)}),
     inp AS (SELECT per, customer_id, net, day, ${bucketOf('day')} AS b FROM inp0),
     cb AS MATERIALIZED (SELECT per, customer_id, b, count(*) AS n, sum(net) AS g FROM inp GROUP BY per, customer_id, b),
     cp AS MATERIALIZED (SELECT per, customer_id, count(*) AS n, sum(net) AS g, min(day) AS first_day FROM inp GROUP BY per, customer_id),
     fresh AS (SELECT cp.per, cp.customer_id, cp.first_day FROM cp JOIN ${FIRST_PURCHASES} fp ON fp.buyer_id = cp.customer_id WHERE fp.first_at >= ${perPeriod((b) => at(b.lo), 'cp.per')}),
     rep AS (SELECT f.per, f.customer_id, ${bucketOf('f.first_day', 'f.per')} AS b, count(*) >= 2 AS again
             FROM fresh f JOIN o ON o.customer_id = f.customer_id AND o.day >= f.first_day AND o.day <= f.first_day + ${repurchaseDays} GROUP BY f.per, f.customer_id, f.first_day),
     ev0 AS (${tagged((b, i) => `SELECT ${i} AS per, customer_id, ${eventDay} AS d FROM events WHERE ${OWN_EVENTS} AND ts >= ${at(b.lo)} AND ts < ${at(b.hi)}`)}),
     ev AS MATERIALIZED (SELECT DISTINCT per, customer_id, ${bucketOf('d')} AS b FROM ev0),
     -- Active: the buyers of each bucket (cb, distinct already) and the event-only customer-buckets beside them, so
     -- only the events' few rows are compared rather than the union of both deduplicated.
     evx AS (SELECT per, customer_id, b FROM ev WHERE NOT EXISTS (SELECT 1 FROM cb WHERE cb.per = ev.per AND cb.customer_id = ev.customer_id AND cb.b = ev.b)),
     act AS MATERIALIZED (SELECT per, customer_id, b FROM cb UNION ALL SELECT per, customer_id, b FROM evx),
     reg0 AS (${tagged((b, i) => `SELECT ${i} AS per, customer_id, ${registered} AS d FROM customers WHERE merged_into IS NULL AND coalesce(registered_at, created_at) < ${at(b.hi)}`)}),
     reg AS MATERIALIZED (SELECT per, customer_id, ${bucketOf('d')} AS rb FROM reg0),
     late AS MATERIALIZED (SELECT a.per, a.customer_id, a.b, r.customer_id AS known FROM act a LEFT JOIN reg r ON r.per = a.per AND r.customer_id = a.customer_id WHERE r.customer_id IS NULL OR r.rb > a.b),
     evc AS (SELECT per, count(DISTINCT customer_id) AS n FROM ev WHERE NOT EXISTS (SELECT 1 FROM cp WHERE cp.per = ev.per AND cp.customer_id = ev.customer_id) GROUP BY per),
     buyers AS (SELECT per, count(*) AS n FROM cp GROUP BY per)
     SELECT per, 'b' AS kind, b, sum(g) AS gmv, sum(n) AS orders, count(*) AS buyers, count(*) FILTER (WHERE n >= 2) AS repeaters FROM cb GROUP BY per, b
     UNION ALL SELECT per, 't', NULL, sum(g), sum(n), count(*), count(*) FILTER (WHERE n >= 2) FROM cp GROUP BY per
     UNION ALL SELECT per, 'nb', b, NULL, NULL, count(*), count(*) FILTER (WHERE again) FROM rep GROUP BY per, b
     UNION ALL SELECT per, 'nt', NULL, NULL, NULL, count(*), count(*) FILTER (WHERE again) FROM rep GROUP BY per
     UNION ALL SELECT per, 'a', b, NULL, NULL, count(*), NULL FROM act GROUP BY per, b
     UNION ALL SELECT coalesce(bu.per, e.per), 'at', NULL, NULL, NULL, coalesce(bu.n, 0) + coalesce(e.n, 0), NULL FROM buyers bu FULL JOIN evc e ON e.per = bu.per
     UNION ALL SELECT per, 'l', b, NULL, NULL, count(*), NULL FROM late GROUP BY per, b
     UNION ALL SELECT per, 'lt', NULL, NULL, NULL, count(DISTINCT customer_id), NULL FROM late WHERE known IS NULL GROUP BY per
     UNION ALL SELECT per, 'r', CASE WHEN rb < 0 THEN -1 ELSE rb END, NULL, NULL, count(*), NULL FROM reg GROUP BY per, 3`,
  );
  return bounds.map((b, i) => figuresOf(rows.filter((r) => Number(r.per) === i), b.period, b.bucket));
}

/** A period's KPIs, in total and per bucket, from its rows of the statement above. */
function figuresOf(rows: OrderRow[], period: Period, bucket: Bucket): PeriodFigures {
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
