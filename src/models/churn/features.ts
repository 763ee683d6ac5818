import { SiyuError } from '../../core/errors.ts';
import { parseDay } from '../../core/validation.ts';
import { localDay, PURCHASES, readBrandSettings, reportingCurrency, type Queryable } from '../../store/index.ts';
import { FREQUENCY, type FrequencyModelName } from '../clv/frequency.ts';
import { loadHistories } from '../clv/history.ts';
import { groupSummaries } from '../clv/summary.ts';
import { DAYS_PER_UNIT } from '../clv/value.ts';

/** What a reason sentence may name: the horizon, the repeat-buying model behind p_no_purchase, the money symbol. */
export interface ReasonContext {
  horizonDays: number;
  model: string;
  money: string;
}

type Say = (v: number, c: ReasonContext) => string;
interface FeatureDefinition {
  name: string;
  /** Feature groups are kept or dropped together when features are chosen (selection.ts). */
  group: 'recency' | 'frequency' | 'model' | 'trend' | 'monetary' | 'breadth' | 'returns' | 'activity' | 'season';
  /** Which side of the typical customer the sentence describes as risky: a reason needs the value on that side. */
  risky: 'high' | 'low';
  zh: Say;
  en: Say;
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const m = (c: ReasonContext, v: number) => `${c.money}${Math.abs(v).toFixed(0)}`;

/**
 * Every feature, in dataset order, with how to say it to operations staff when it pushes a customer toward churning.
 * Each sentence names the quantity the model used, in its units.
 */
export const CHURN_FEATURES = [
  { name: 'recency_days', group: 'recency', risky: 'high', zh: (v) => `距上次购买已 ${v.toFixed(0)} 天`, en: (v) => `${v.toFixed(0)} days since the last purchase` },
  { name: 'overdue_ratio', group: 'recency', risky: 'high', zh: (v) => `距上次购买的天数是平均回购间隔的 ${v.toFixed(1)} 倍`, en: (v) => `${v.toFixed(1)}× their mean gap between purchase days since the last one` },
  {
    name: 'p_no_purchase',
    group: 'model',
    risky: 'high',
    zh: (v, c) => `${c.model} 预测未来 ${c.horizonDays} 天不购买的概率为 ${pct(v)}`,
    en: (v, c) => `${c.model} puts P(no purchase in the next ${c.horizonDays} days) at ${pct(v)}`,
  },
  { name: 'orders_lifetime', group: 'frequency', risky: 'low', zh: (v) => `累计仅 ${v.toFixed(0)} 个购买日`, en: (v) => `only ${v.toFixed(0)} purchase days in all` },
  { name: 'orders_90d', group: 'frequency', risky: 'low', zh: (v) => `近 90 天仅 ${v.toFixed(0)} 个购买日`, en: (v) => `only ${v.toFixed(0)} purchase days in the last 90 days` },
  { name: 'tenure_days', group: 'frequency', risky: 'low', zh: (v) => `首次购买至今仅 ${v.toFixed(0)} 天`, en: (v) => `first purchase only ${v.toFixed(0)} days ago` },
  { name: 'gap_cv', group: 'frequency', risky: 'high', zh: (v) => `购买间隔不规律（变异系数 ${v.toFixed(2)}）`, en: (v) => `irregular gaps between purchase days (CV ${v.toFixed(2)})` },
  {
    name: 'order_trend',
    group: 'trend',
    risky: 'low',
    zh: (v) => `近 90 天购买日比前 90 天${v < 0 ? '少' : '多'} ${Math.abs(v).toFixed(0)} 个`,
    en: (v) => `${Math.abs(v).toFixed(0)} ${v < 0 ? 'fewer' : 'more'} purchase days than in the 90 days before`,
  },
  {
    name: 'spend_trend',
    group: 'trend',
    risky: 'low',
    zh: (v, c) => `近 90 天消费比前 90 天${v < 0 ? '下降' : '上升'} ${m(c, v)}`,
    en: (v, c) => `spend ${v < 0 ? 'down' : 'up'} ${m(c, v)} on the 90 days before`,
  },
  { name: 'spend_365d', group: 'monetary', risky: 'low', zh: (v, c) => `近一年消费仅 ${m(c, v)}`, en: (v, c) => `only ${m(c, v)} spent in the last year` },
  { name: 'aov', group: 'monetary', risky: 'low', zh: (v, c) => `每个购买日平均消费仅 ${m(c, v)}`, en: (v, c) => `only ${m(c, v)} a purchase day on average` },
  { name: 'categories', group: 'breadth', risky: 'low', zh: (v) => `只买过 ${v.toFixed(0)} 个品类`, en: (v) => `bought from only ${v.toFixed(0)} categories` },
  { name: 'skus', group: 'breadth', risky: 'low', zh: (v) => `只买过 ${v.toFixed(0)} 种商品`, en: (v) => `bought only ${v.toFixed(0)} different products` },
  { name: 'top_category_share', group: 'breadth', risky: 'high', zh: (v) => `${pct(v)} 的购买行集中在一个品类`, en: (v) => `${pct(v)} of order lines in one category` },
  { name: 'channels', group: 'breadth', risky: 'low', zh: (v) => `只在 ${v.toFixed(0)} 个渠道购买`, en: (v) => `bought through only ${v.toFixed(0)} channels` },
  { name: 'coupon_share', group: 'returns', risky: 'high', zh: (v) => `${pct(v)} 的购买日用券`, en: (v) => `${pct(v)} of purchase days used a coupon` },
  { name: 'refund_share', group: 'returns', risky: 'high', zh: (v) => `${pct(v)} 的订单退款`, en: (v) => `${pct(v)} of orders refunded` },
  { name: 'cancel_share', group: 'returns', risky: 'high', zh: (v) => `${pct(v)} 的订单被取消`, en: (v) => `${pct(v)} of orders cancelled` },
  { name: 'views_30d', group: 'activity', risky: 'low', zh: (v) => `近 30 天仅浏览 ${v.toFixed(0)} 次`, en: (v) => `only ${v.toFixed(0)} product views in 30 days` },
  { name: 'cart_adds_30d', group: 'activity', risky: 'low', zh: (v) => `近 30 天仅加购 ${v.toFixed(0)} 次`, en: (v) => `only ${v.toFixed(0)} add-to-carts in 30 days` },
  { name: 'abandoned_checkouts_30d', group: 'activity', risky: 'high', zh: (v) => `近 30 天放弃结算 ${v.toFixed(0)} 次`, en: (v) => `${v.toFixed(0)} abandoned checkouts in 30 days` },
  { name: 'days_since_event', group: 'activity', risky: 'high', zh: (v) => `已 ${v.toFixed(0)} 天没有任何互动`, en: (v) => `no activity for ${v.toFixed(0)} days` },
  {
    name: 'season_last_year',
    group: 'season',
    risky: 'low',
    zh: (v, c) => `去年同期（未来 ${c.horizonDays} 天对应的日期）仅 ${v.toFixed(0)} 个购买日`,
    en: (v, c) => `only ${v.toFixed(0)} purchase days in the same ${c.horizonDays} days last year`,
  },
] as const satisfies readonly FeatureDefinition[];

export type ChurnFeatureName = (typeof CHURN_FEATURES)[number]['name'];
export type FeatureGroup = FeatureDefinition['group'];

export interface ChurnDataset {
  cutoff: string;
  horizonDays: number;
  /** The repeat-buying model behind p_no_purchase, and the currency money features are in. */
  frequencyModel: FrequencyModelName;
  currency: string;
  customerIds: string[];
  /** One row per customer, features in CHURN_FEATURES order. */
  rows: Float64Array[];
  /** P(alive) from the same repeat-buying model, per customer: shown beside the scores, never used as one. */
  pAlive: Float64Array;
  /** 1 = no purchase in the `horizonDays` after the cutoff; only when the data reach that far. */
  labels: Uint8Array | null;
}

/**
 * Features of every customer who bought on or before `cutoff` (a day of the brand calendar), computed only from
 * what was known by the end of that day, in one set-based statement on both engines, plus P(no purchase in the
 * horizon) from a repeat-buying model (`frequencyModel`, default BG/NBD) fitted on the same history. With `labels`, also whether each customer bought again in the
 * `horizonDays` after the cutoff. Training at one cutoff and checking at a later one keeps the future out.
 */
export async function churnDataset(db: Queryable, cutoff: string, options: { horizonDays?: number; labels?: boolean; frequencyModel?: FrequencyModelName } = {}): Promise<ChurnDataset> {
  parseDay(cutoff, 'cutoff');
  const horizonDays = options.horizonDays ?? 90;
  const frequencyModel = options.frequencyModel ?? 'bgnbd';
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
              count(*) FILTER (WHERE day > (SELECT cutoff FROM c) - 365 AND day <= (SELECT cutoff FROM c) - 365 + CAST($3 AS INTEGER)) AS season_last_year,
              coalesce(sum(fen) FILTER (WHERE day > (SELECT cutoff FROM c) - 90), 0) AS spend_90d,
              coalesce(sum(fen) FILTER (WHERE day > (SELECT cutoff FROM c) - 180 AND day <= (SELECT cutoff FROM c) - 90), 0) AS spend_prev_90d,
              coalesce(sum(fen) FILTER (WHERE day > (SELECT cutoff FROM c) - 365), 0) AS spend_365d,
              avg(fen) AS aov_fen,
              avg(gap) AS mean_gap, stddev_samp(gap) AS sd_gap,
              avg(coupon) AS coupon_share,
              count(DISTINCT channel) AS channels
       FROM gaps GROUP BY customer_id
     ), refunds AS (
       SELECT o.customer_id, avg(CASE WHEN o.status IN ('refunded', 'partially_refunded') THEN 1.0 ELSE 0.0 END) AS refund_share,
              avg(CASE WHEN o.status = 'cancelled' THEN 1.0 ELSE 0.0 END) AS cancel_share
       FROM orders o WHERE ${day} <= (SELECT cutoff FROM c) GROUP BY o.customer_id
     ), lines AS (
       SELECT i.customer_id, coalesce(i.category, '') AS category, count(*) AS n
       FROM order_items i JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = i.order_id
       WHERE o.${PURCHASES} AND ${day} <= (SELECT cutoff FROM c) GROUP BY i.customer_id, coalesce(i.category, '')
     ), mix AS (
       SELECT customer_id, count(*) AS categories, max(n) * 1.0 / sum(n) AS top_category_share FROM lines GROUP BY customer_id
     ), products AS (
       SELECT i.customer_id, count(DISTINCT i.sku) AS skus
       FROM order_items i JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = i.order_id
       WHERE o.${PURCHASES} AND ${day} <= (SELECT cutoff FROM c) GROUP BY i.customer_id
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
     SELECT b.*, coalesce(r.refund_share, 0) AS refund_share, coalesce(r.cancel_share, 0) AS cancel_share, coalesce(m.categories, 0) AS categories,
            coalesce(p.skus, 0) AS skus,
            coalesce(m.top_category_share, 1) AS top_category_share,
            coalesce(a.views_30d, 0) AS views_30d, coalesce(a.cart_adds_30d, 0) AS cart_adds_30d, coalesce(a.checkouts_30d, 0) AS checkouts_30d,
            coalesce(a.days_since_event, b.recency_days) AS days_since_event, coalesce(l.n, 0) AS later_orders
     FROM base b LEFT JOIN refunds r ON r.customer_id = b.customer_id LEFT JOIN mix m ON m.customer_id = b.customer_id
          LEFT JOIN activity a ON a.customer_id = b.customer_id LEFT JOIN later l ON l.customer_id = b.customer_id
          LEFT JOIN products p ON p.customer_id = b.customer_id
     ORDER BY b.customer_id`,
    [cutoff, currency, horizonDays],
  );
  if (rows.length === 0) throw new SiyuError('not_found', 'no_buyers', `no customer bought on or before ${cutoff}; churn needs purchase history`);

  const noPurchase = await noPurchaseByCustomer(db, cutoff, horizonDays, frequencyModel);

  const num = (v: number | string | null | undefined) => (v === null || v === undefined ? 0 : Number(v));
  const features = rows.map((r) => {
    const orders = num(r.orders_lifetime);
    const meanGap = r.mean_gap === null ? num(r.tenure_days) + 1 : num(r.mean_gap);
    const values: Record<ChurnFeatureName, number> = {
      recency_days: num(r.recency_days),
      overdue_ratio: num(r.recency_days) / Math.max(meanGap, 1),
      p_no_purchase: noPurchase.get(String(r.customer_id))?.quiet ?? 1,
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
      cancel_share: num(r.cancel_share),
      skus: num(r.skus),
      season_last_year: num(r.season_last_year),
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
    frequencyModel,
    currency,
    customerIds: rows.map((r) => String(r.customer_id)),
    pAlive: Float64Array.from(rows, (r) => noPurchase.get(String(r.customer_id))?.alive ?? 1),
    rows: features,
    labels: options.labels ? Uint8Array.from(rows, (r) => (num(r.later_orders) === 0 ? 1 : 0)) : null,
  };
}

/**
 * P(no purchase in the `horizonDays` after the cutoff | history to the cutoff) for every buyer, from `model` fitted on
 * those histories in weeks (BG/BB: weekly opportunities). The costly factor, P(Y = 0 | active), depends on (x, T)
 * alone and is computed once per distinct pair. A first purchase on the cutoff day (T = 0) counts as active.
 */
async function noPurchaseByCustomer(db: Queryable, cutoff: string, horizonDays: number, model: FrequencyModelName): Promise<Map<string, { quiet: number; alive: number }>> {
  const m = FREQUENCY[model];
  const h = await loadHistories(db, { calibrationEnd: cutoff, timeUnit: 'week', discrete: m.discrete });
  const { summary } = groupSummaries(h.x, h.tx, h.T);
  const out = new Map<string, { quiet: number; alive: number }>();
  if (summary.x.length === 0) return out;
  const { params } = m.fit(summary);
  const horizon = horizonDays / DAYS_PER_UNIT.week;
  const quiet = new Map<string, number>();
  h.customerIds.forEach((id, i) => {
    const [x, tx, T] = [h.x[i]!, h.tx[i]!, h.T[i]!];
    const key = `${x}|${T}`;
    let q = quiet.get(key);
    if (q === undefined) quiet.set(key, (q = m.noPurchaseIfActive(params, horizon, x, T)));
    const active = T > 0 ? m.probabilityActive(params, x, tx, T) : 1;
    out.set(id, { quiet: 1 - active + active * q, alive: T > 0 ? m.probabilityAlive(params, x, tx, T) : 1 });
  });
  return out;
}

/** The symbol money is written with in reasons; the currency code where there is no common one. */
export function moneySymbol(currency: string): string {
  return ({ CNY: '¥', GBP: '£', USD: '$', EUR: '€', JPY: '¥', HKD: 'HK$' } as Record<string, string>)[currency] ?? `${currency} `;
}
