import { SiyuError } from '../../core/errors.ts';
import { parseDay } from '../../core/validation.ts';
import { localDay, PURCHASES, readBrandSettings, reportingCurrency, type Queryable } from '../../store/index.ts';
import { bgNbdProbabilityAlive, fitBgNbd } from '../clv/bg-nbd.ts';
import { loadHistories } from '../clv/history.ts';
import { groupSummaries } from '../clv/summary.ts';

/** Every feature, in model order, with how to say it to operations staff when it pushes a customer toward churning. */
export const CHURN_FEATURES = [
  { name: 'recency_days', zh: (v: number) => `距上次购买已 ${v.toFixed(0)} 天`, en: (v: number) => `${v.toFixed(0)} days since the last purchase` },
  { name: 'overdue_ratio', zh: (v: number) => `已超过平均回购间隔的 ${v.toFixed(1)} 倍`, en: (v: number) => `${v.toFixed(1)}× their usual gap between purchases` },
  { name: 'one_minus_p_alive', zh: (v: number) => `BG/NBD 判断仍活跃的概率仅 ${((1 - v) * 100).toFixed(0)}%`, en: (v: number) => `BG/NBD puts P(alive) at ${((1 - v) * 100).toFixed(0)}%` },
  { name: 'orders_lifetime', zh: (v: number) => `累计仅 ${v.toFixed(0)} 单`, en: (v: number) => `only ${v.toFixed(0)} orders in all` },
  { name: 'orders_90d', zh: (v: number) => `近 90 天 ${v.toFixed(0)} 单`, en: (v: number) => `${v.toFixed(0)} orders in the last 90 days` },
  { name: 'order_trend', zh: (v: number) => `近 90 天订单比前 90 天${v < 0 ? '减少' : '增加'} ${Math.abs(v).toFixed(0)} 单`, en: (v: number) => `${Math.abs(v).toFixed(0)} ${v < 0 ? 'fewer' : 'more'} orders than the 90 days before` },
  { name: 'spend_trend', zh: (v: number) => `近 90 天消费比前 90 天${v < 0 ? '下降' : '上升'} ¥${Math.abs(v).toFixed(0)}`, en: (v: number) => `spend ${v < 0 ? 'down' : 'up'} ¥${Math.abs(v).toFixed(0)} on the 90 days before` },
  { name: 'spend_365d', zh: (v: number) => `近一年消费 ¥${v.toFixed(0)}`, en: (v: number) => `¥${v.toFixed(0)} spent in the last year` },
  { name: 'aov', zh: (v: number) => `客单价 ¥${v.toFixed(0)}`, en: (v: number) => `average order ¥${v.toFixed(0)}` },
  { name: 'tenure_days', zh: (v: number) => `成为顾客 ${v.toFixed(0)} 天`, en: (v: number) => `a customer for ${v.toFixed(0)} days` },
  { name: 'gap_cv', zh: (v: number) => `购买节奏不规律（变异系数 ${v.toFixed(2)}）`, en: (v: number) => `irregular buying (gap CV ${v.toFixed(2)})` },
  { name: 'categories', zh: (v: number) => `只买过 ${v.toFixed(0)} 个品类`, en: (v: number) => `bought from ${v.toFixed(0)} categories` },
  { name: 'top_category_share', zh: (v: number) => `${(v * 100).toFixed(0)}% 的购买集中在一个品类`, en: (v: number) => `${(v * 100).toFixed(0)}% of lines in one category` },
  { name: 'channels', zh: (v: number) => `在 ${v.toFixed(0)} 个渠道购买`, en: (v: number) => `bought through ${v.toFixed(0)} channels` },
  { name: 'coupon_share', zh: (v: number) => `${(v * 100).toFixed(0)}% 的订单用券`, en: (v: number) => `${(v * 100).toFixed(0)}% of orders used a coupon` },
  { name: 'refund_share', zh: (v: number) => `${(v * 100).toFixed(0)}% 的订单退款`, en: (v: number) => `${(v * 100).toFixed(0)}% of orders refunded` },
  { name: 'views_30d', zh: (v: number) => `近 30 天浏览 ${v.toFixed(0)} 次`, en: (v: number) => `${v.toFixed(0)} product views in 30 days` },
  { name: 'cart_adds_30d', zh: (v: number) => `近 30 天加购 ${v.toFixed(0)} 次`, en: (v: number) => `${v.toFixed(0)} add-to-carts in 30 days` },
  { name: 'abandoned_checkouts_30d', zh: (v: number) => `近 30 天放弃结算 ${v.toFixed(0)} 次`, en: (v: number) => `${v.toFixed(0)} abandoned checkouts in 30 days` },
  { name: 'days_since_event', zh: (v: number) => `已 ${v.toFixed(0)} 天没有任何互动`, en: (v: number) => `no activity for ${v.toFixed(0)} days` },
] as const;

export type ChurnFeatureName = (typeof CHURN_FEATURES)[number]['name'];

export interface ChurnDataset {
  cutoff: string;
  horizonDays: number;
  customerIds: string[];
  /** One row per customer, features in CHURN_FEATURES order. */
  rows: Float64Array[];
  /** 1 = no purchase in the `horizonDays` after the cutoff; only when the data reach that far. */
  labels: Uint8Array | null;
}

/**
 * Features of every customer who bought on or before `cutoff` (a day of the brand calendar), computed only from
 * what was known by the end of that day, in one set-based statement on both engines, plus 1 − P(alive) from a
 * BG/NBD model fitted on the same history. With `labels`, also whether each customer bought again in the
 * `horizonDays` after the cutoff. Training at one cutoff and checking at a later one keeps the future out.
 */
export async function churnDataset(db: Queryable, cutoff: string, options: { horizonDays?: number; labels?: boolean } = {}): Promise<ChurnDataset> {
  parseDay(cutoff, 'cutoff');
  const horizonDays = options.horizonDays ?? 90;
  const { timezone, currency: brand } = await readBrandSettings(db);
  const currency = await reportingCurrency(db, brand);
  const day = localDay(timezone, 'o.placed_at');
  const eventDay = localDay(timezone, 'e.ts');
  const rows = await db.query<Record<string, number | string | null>>(
    `WITH c AS (SELECT CAST($1 AS DATE) AS cutoff),
     purchases AS (
       SELECT o.customer_id, ${day} AS day, sum(o.total_fen - o.refunded_fen) AS fen,
              max(CASE WHEN o.coupon_code IS NOT NULL THEN 1 ELSE 0 END) AS coupon, max(o.channel) AS channel
       FROM orders o WHERE o.${PURCHASES} AND o.currency = $2 AND ${day} <= (SELECT cutoff FROM c)
       GROUP BY o.customer_id, ${day}
     ), gaps AS (
       SELECT customer_id, day, fen, coupon, channel, day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap FROM purchases
     ), base AS (
       SELECT customer_id,
              (SELECT cutoff FROM c) - max(day) AS recency_days,
              (SELECT cutoff FROM c) - min(day) AS tenure_days,
              count(*) AS orders_lifetime,
              count(*) FILTER (WHERE day > (SELECT cutoff FROM c) - 30) AS orders_30d,
              count(*) FILTER (WHERE day > (SELECT cutoff FROM c) - 90) AS orders_90d,
              count(*) FILTER (WHERE day > (SELECT cutoff FROM c) - 180 AND day <= (SELECT cutoff FROM c) - 90) AS orders_prev_90d,
              coalesce(sum(fen) FILTER (WHERE day > (SELECT cutoff FROM c) - 90), 0) AS spend_90d,
              coalesce(sum(fen) FILTER (WHERE day > (SELECT cutoff FROM c) - 180 AND day <= (SELECT cutoff FROM c) - 90), 0) AS spend_prev_90d,
              coalesce(sum(fen) FILTER (WHERE day > (SELECT cutoff FROM c) - 365), 0) AS spend_365d,
              avg(fen) AS aov_fen,
              avg(gap) AS mean_gap, stddev_samp(gap) AS sd_gap,
              avg(coupon) AS coupon_share,
              count(DISTINCT channel) AS channels
       FROM gaps GROUP BY customer_id
     ), refunds AS (
       SELECT o.customer_id, avg(CASE WHEN o.status IN ('refunded', 'partially_refunded') THEN 1.0 ELSE 0.0 END) AS refund_share
       FROM orders o WHERE ${day} <= (SELECT cutoff FROM c) GROUP BY o.customer_id
     ), lines AS (
       SELECT i.customer_id, coalesce(i.category, '') AS category, count(*) AS n
       FROM order_items i JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = i.order_id
       WHERE o.${PURCHASES} AND ${day} <= (SELECT cutoff FROM c) GROUP BY i.customer_id, coalesce(i.category, '')
     ), mix AS (
       SELECT customer_id, count(*) AS categories, max(n) * 1.0 / sum(n) AS top_category_share FROM lines GROUP BY customer_id
     ), activity AS (
       SELECT e.customer_id,
              count(*) FILTER (WHERE e.name = 'Product Viewed' AND ${eventDay} > (SELECT cutoff FROM c) - 30) AS views_30d,
              count(*) FILTER (WHERE e.name = 'Product Added' AND ${eventDay} > (SELECT cutoff FROM c) - 30) AS cart_adds_30d,
              count(*) FILTER (WHERE e.name = 'Checkout Started' AND ${eventDay} > (SELECT cutoff FROM c) - 30) AS checkouts_30d,
              (SELECT cutoff FROM c) - max(${eventDay}) AS days_since_event
       FROM events e WHERE ${eventDay} <= (SELECT cutoff FROM c) GROUP BY e.customer_id
     ), later AS (
       SELECT o.customer_id, count(*) AS n FROM orders o
       WHERE o.${PURCHASES} AND ${day} > (SELECT cutoff FROM c) AND ${day} <= (SELECT cutoff FROM c) + CAST($3 AS INTEGER)
       GROUP BY o.customer_id
     )
     SELECT b.*, coalesce(r.refund_share, 0) AS refund_share, coalesce(m.categories, 0) AS categories,
            coalesce(m.top_category_share, 1) AS top_category_share,
            coalesce(a.views_30d, 0) AS views_30d, coalesce(a.cart_adds_30d, 0) AS cart_adds_30d, coalesce(a.checkouts_30d, 0) AS checkouts_30d,
            coalesce(a.days_since_event, b.recency_days) AS days_since_event, coalesce(l.n, 0) AS later_orders
     FROM base b LEFT JOIN refunds r ON r.customer_id = b.customer_id LEFT JOIN mix m ON m.customer_id = b.customer_id
          LEFT JOIN activity a ON a.customer_id = b.customer_id LEFT JOIN later l ON l.customer_id = b.customer_id
     ORDER BY b.customer_id`,
    [cutoff, currency, horizonDays],
  );
  if (rows.length === 0) throw new SiyuError('not_found', 'no_buyers', `no customer bought on or before ${cutoff}; churn needs purchase history`);

  // 1 − P(alive) from BG/NBD on the history to the cutoff, in weeks.
  const histories = await loadHistories(db, { calibrationEnd: cutoff, timeUnit: 'week' });
  const fit = fitBgNbd(groupSummaries(histories.x, histories.tx, histories.T).summary);
  const pAlive = new Map(histories.customerIds.map((id, i) => [id, bgNbdProbabilityAlive(fit.params, histories.x[i]!, histories.tx[i]!, histories.T[i]!)]));

  const num = (v: number | string | null | undefined) => (v === null || v === undefined ? 0 : Number(v));
  const features = rows.map((r) => {
    const orders = num(r.orders_lifetime);
    const meanGap = r.mean_gap === null ? num(r.tenure_days) + 1 : num(r.mean_gap);
    const values: Record<ChurnFeatureName, number> = {
      recency_days: num(r.recency_days),
      overdue_ratio: num(r.recency_days) / Math.max(meanGap, 1),
      one_minus_p_alive: 1 - (pAlive.get(String(r.customer_id)) ?? 1),
      orders_lifetime: orders,
      orders_90d: num(r.orders_90d),
      order_trend: num(r.orders_90d) - num(r.orders_prev_90d),
      spend_trend: (num(r.spend_90d) - num(r.spend_prev_90d)) / 100,
      spend_365d: num(r.spend_365d) / 100,
      aov: num(r.aov_fen) / 100,
      tenure_days: num(r.tenure_days),
      gap_cv: r.sd_gap === null || !meanGap ? 0 : num(r.sd_gap) / meanGap,
      categories: num(r.categories),
      top_category_share: num(r.top_category_share),
      channels: num(r.channels),
      coupon_share: num(r.coupon_share),
      refund_share: num(r.refund_share),
      views_30d: num(r.views_30d),
      cart_adds_30d: num(r.cart_adds_30d),
      // Checkouts started without an order the same month: an approximation, since events and orders are not linked.
      abandoned_checkouts_30d: Math.max(0, num(r.checkouts_30d) - num(r.orders_30d)),
      days_since_event: num(r.days_since_event),
    };
    return Float64Array.from(CHURN_FEATURES, (f) => values[f.name]);
  });
  return {
    cutoff,
    horizonDays,
    customerIds: rows.map((r) => String(r.customer_id)),
    rows: features,
    labels: options.labels ? Uint8Array.from(rows, (r) => (num(r.later_orders) === 0 ? 1 : 0)) : null,
  };
}
