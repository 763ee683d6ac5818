// The order KPIs of a period split by one dimension: where the orders came from (channel, store), who placed them
// (city, tier, stage, segment) or what was in them (category). docs/analytics.md, "Breakdowns".
import { assertNever } from '../core/errors.ts';
import type { Store } from '../store/index.ts';
import { fenRatio, NET, purchaseFilter, ratio, reportContext } from './context.ts';
import { FIRST_PURCHASES, refreshFirstPurchases } from './first-purchases.ts';
import { addDays, at, dayStarts, date, defaultPeriod, latestOrderDaySql, type Period } from './period.ts';

export const DIMENSIONS = ['channel', 'store', 'city', 'category', 'tier', 'stage', 'segment'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface BreakdownOptions {
  by: Dimension;
  from?: string;
  to?: string;
}

export interface BreakdownRow {
  /** The dimension's value; `(none)` for orders or customers without one. */
  value: string;
  gmvFen: number;
  /** This row's GMV ÷ the period's GMV (rows of `segment` overlap, so theirs may add up to more than 1). */
  gmvShare: number | null;
  orders: number;
  buyers: number;
  aovFen: number | null;
  spendPerBuyerFen: number | null;
  repeatRate: number | null;
  newBuyers: number;
  newBuyerShare: number | null;
}

export interface BreakdownReport {
  period: Period;
  by: Dimension;
  timezone: string;
  currency: string;
  /** For `segment`: the day membership is read on (the period's last day). */
  membershipDay: string | null;
  rows: BreakdownRow[];
}

/** The rows (customer_id, order_id, net, v) each order contributes to the dimension's values. */
function dimensionRows(by: Dimension, lastDay: string): string {
  switch (by) {
    case 'channel':
      return `SELECT customer_id, order_id, net, coalesce(channel, '(none)') AS v FROM o`;
    case 'store':
      return `SELECT customer_id, order_id, net, coalesce(store_id, '(none)') AS v FROM o`;
    case 'city':
      return `SELECT o.customer_id, o.order_id, o.net, coalesce(u.city, u.traits->>'city', '(none)') AS v FROM o LEFT JOIN customers u ON u.customer_id = o.customer_id`;
    case 'tier':
      return `SELECT o.customer_id, o.order_id, o.net, coalesce(t.tier, '(none)') AS v FROM o LEFT JOIN tier_scores t ON t.customer_id = o.customer_id`;
    case 'stage':
      return `SELECT o.customer_id, o.order_id, o.net, coalesce(s.stage, '(none)') AS v FROM o LEFT JOIN lifecycle_stages s ON s.customer_id = o.customer_id`;
    case 'segment':
      return `SELECT o.customer_id, o.order_id, o.net, coalesce(m.segment, '(none)') AS v FROM o
              LEFT JOIN segment_membership m ON m.customer_id = o.customer_id AND m.entered_on <= ${date(lastDay)} AND (m.left_on IS NULL OR m.left_on > ${date(lastDay)})`;
    case 'category':
      // An order's net is shared among its categories in proportion to their line value (quantity × unit price),
      // so the categories' GMV adds up to the period's.
      return `SELECT o.customer_id, o.order_id, coalesce(li.category, '(none)') AS v,
                     CASE WHEN li.category IS NULL AND lt.total IS NULL THEN CAST(o.net AS DOUBLE PRECISION)
                          WHEN lt.total > 0 THEN CAST(o.net AS DOUBLE PRECISION) * li.value / lt.total
                          ELSE CAST(o.net AS DOUBLE PRECISION) / lt.categories END AS net
              FROM o
              LEFT JOIN (SELECT i.customer_id, i.order_id, coalesce(i.category, '(none)') AS category, sum(CAST(i.quantity * i.unit_price_fen AS DOUBLE PRECISION)) AS value
                         FROM order_items i JOIN o ON o.customer_id = i.customer_id AND o.order_id = i.order_id GROUP BY 1, 2, 3) li
                ON li.customer_id = o.customer_id AND li.order_id = o.order_id
              LEFT JOIN (SELECT i.customer_id, i.order_id, sum(CAST(i.quantity * i.unit_price_fen AS DOUBLE PRECISION)) AS total, count(DISTINCT coalesce(i.category, '(none)')) AS categories
                         FROM order_items i JOIN o ON o.customer_id = i.customer_id AND o.order_id = i.order_id GROUP BY 1, 2) lt
                ON lt.customer_id = o.customer_id AND lt.order_id = o.order_id`;
    default:
      return assertNever(by);
  }
}

/** The period's order KPIs per value of `by`, largest GMV first (default period: the 7 days ending with the latest order's). */
export async function computeBreakdown(db: Store, options: BreakdownOptions): Promise<BreakdownReport> {
  const ctx = await reportContext(db);
  const period = await defaultPeriod(db, latestOrderDaySql(ctx.timezone), 7, options);
  const [lo, hi] = await dayStarts(db, ctx.timezone, [period.from, period.to]);
  const lastDay = addDays(period.to, -1);
  await refreshFirstPurchases(db, ctx);
  const rows = await db.query<{ v: string; gmv: number; orders: number; buyers: number; repeaters: number; fresh: number }>(
    `WITH o AS (SELECT customer_id, order_id, ${NET} AS net, channel, store_id FROM orders WHERE ${purchaseFilter(ctx, { from: lo, to: hi })}),
     r AS (${dimensionRows(options.by, lastDay)}),
     cv AS (SELECT v, customer_id, count(DISTINCT order_id) AS n, sum(net) AS g FROM r GROUP BY v, customer_id)
     SELECT cv.v, sum(cv.g) AS gmv, sum(cv.n) AS orders, count(*) AS buyers, count(*) FILTER (WHERE cv.n >= 2) AS repeaters,
            count(*) FILTER (WHERE fp.first_at >= ${at(lo!)}) AS fresh
     FROM cv LEFT JOIN ${FIRST_PURCHASES} fp ON fp.buyer_id = cv.customer_id GROUP BY cv.v`,
  );
  const [total] = await db.query<{ gmv: number | null }>(`SELECT sum(${NET}) AS gmv FROM orders WHERE ${purchaseFilter(ctx, { from: lo, to: hi })}`);
  const totalGmv = Number(total?.gmv ?? 0);
  const out = rows.map((r): BreakdownRow => {
    const gmvFen = Math.round(Number(r.gmv));
    const orders = Number(r.orders);
    const buyers = Number(r.buyers);
    const newBuyers = Number(r.fresh);
    return {
      value: r.v,
      gmvFen,
      gmvShare: ratio(gmvFen, totalGmv),
      orders,
      buyers,
      aovFen: fenRatio(gmvFen, orders),
      spendPerBuyerFen: fenRatio(gmvFen, buyers),
      repeatRate: ratio(Number(r.repeaters), buyers),
      newBuyers,
      newBuyerShare: ratio(newBuyers, buyers),
    };
  });
  out.sort((a, b) => b.gmvFen - a.gmvFen || a.value.localeCompare(b.value));
  return { period, by: options.by, timezone: ctx.timezone, currency: ctx.currency, membershipDay: options.by === 'segment' ? lastDay : null, rows: out };
}
