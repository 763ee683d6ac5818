import { dialect, localDay, localSeconds, onOrBefore, PURCHASES, type BackendKind, type Queryable } from '../store/index.ts';
import type { AttributeDefinition } from './attributes.ts';
import { scoped } from './scope.ts';

const AS_OF = 'CAST($1 AS DATE)';
/** The windows, in days, of the windowed order counts and spends. */
export const ATTRIBUTE_WINDOWS = [30, 90, 180, 365] as const;
/**
 * Up to this many channels, each customer's channel counts are filtered counts within the one aggregation pass;
 * beyond it (a brand that records something finer than a channel there), a GROUP BY per customer and channel.
 */
export const INLINE_CHANNELS = 16;
/** 2²⁰: room for a code or a gap in days below a count or a time, in a packed integer. */
const PACK = 1048576;

const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * The channels of the purchases the attribute query will read (of the scope's customers, with `scope`), in code
 * order: alphabetical, binary, the same on both engines. Code i + 1 is channels[i]; 0 stands for no channel.
 */
export async function purchaseChannels(db: Queryable, scope?: string): Promise<string[]> {
  const rows = await db.query<{ channel: string }>(`SELECT DISTINCT channel FROM ${scoped('orders', scope)} WHERE channel IS NOT NULL AND ${PURCHASES}`);
  return rows.map((r) => r.channel).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The most frequent of the codes in `counts` (code from + i has count counts[i]), the smallest on ties, or NULL when
 * every count is 0: a CASE over their maximum. The counts are filtered counts within the one aggregation pass (a
 * GROUP BY per value and a window to rank them took about 4 s each on 10M orders).
 */
function mostFrequent(counts: readonly string[], from: number): string {
  return `CASE greatest(${counts.join(', ')}) WHEN 0 THEN NULL ${counts.map((c, i) => `WHEN ${c} THEN ${from + i}`).join(' ')} END`;
}

const countsOf = (column: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `count(*) FILTER (WHERE ${column} = ${from + i})`);

/**
 * The one statement that computes every attribute; `$1` is the as-of day. `channels` is what purchaseChannels
 * returned for the same customers. With `scope` (see scope.ts), only those customers, from the scope's copies of
 * their orders, order lines and events. Siyu's own events (Stage Changed, Segment Entered and Exited) are not
 * activity and are not counted.
 *
 * Most order attributes come from one aggregation of the purchases by customer. What it cannot give takes a pass of
 * its own: the gaps between purchase days (a window), the favourite store (one count per customer and store), the
 * orders that are not purchases (few rows), and with more than INLINE_CHANNELS channels the channel counts.
 */
export function attributeQuery(kind: BackendKind, definitions: readonly AttributeDefinition[], timezone: string, channels: readonly string[], scope?: string): string {
  const [orders, lines, events] = [scoped('orders', scope), scoped('order_items', scope), scoped('events', scope)];
  // The local wall-clock seconds of each order, once; its day, ISO weekday (1970-01-01 was a Thursday) and hour follow.
  const days = 'floor(s / 86400)';
  const positiveMod = (value: string, n: number) => `CAST(((${value}) % ${n} + ${n}) % ${n} AS INTEGER)`;
  const eventDay = localDay(timezone, 'ts');
  const within = (days: number, column = 'day') => `${column} > ${AS_OF} - ${days}`;
  const inline = channels.length <= INLINE_CHANNELS;
  // Channels are numbered (codes, alphabetical from 1), so the first and favourite channel are integer minima and
  // maxima within the aggregation, rather than strings carried through a sort.
  const channelCode = channels.length ? `CASE channel ${channels.map((c, i) => `WHEN ${quote(c)} THEN ${i + 1}`).join(' ')} ELSE 0 END` : '0';
  const channelName = (code: string) => (channels.length ? `CASE ${code} ${channels.map((c, i) => `WHEN ${i + 1} THEN ${quote(c)}`).join(' ')} END` : 'CAST(NULL AS TEXT)');
  const channelCounts = countsOf('p.channel_code', 1, channels.length);
  return `
    WITH purchases AS ${dialect(kind).sharedCte} (
      SELECT customer_id, order_id, placed_at, status, DATE '1970-01-01' + CAST(${days} AS INTEGER) AS day, total_fen - refunded_fen AS fen, total_fen AS paid_fen,
             discount_fen, refunded_fen, coupon_code, store_id, ${positiveMod(`${days} + 3`, 7)} + 1 AS weekday, ${positiveMod('floor(s / 3600)', 24)} AS hour,
             channel${inline ? `, ${channelCode} AS channel_code` : ''}
      FROM (SELECT *, ${localSeconds(timezone)} AS s FROM ${orders} WHERE ${PURCHASES} AND ${onOrBefore(timezone, AS_OF)}) o
    ), ordered AS (
      -- Gaps between purchase days; same-day orders give a gap of 0, left out below.
      SELECT customer_id, day, day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap FROM purchases
    ), gap_stats AS (
      SELECT customer_id, count(*) FILTER (WHERE gap IS NULL OR gap > 0) AS days, avg(nullif(gap, 0)) AS mean_gap,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY nullif(gap, 0)) AS median_gap, stddev_samp(nullif(gap, 0)) AS sd_gap,
             -- the gap before the last purchase day: the latest day's gap, packed with the day into one maximum
             max(CAST(day - DATE '1970-01-01' AS BIGINT) * ${PACK} + nullif(gap, 0)) % ${PACK} AS last_gap
      FROM ordered GROUP BY customer_id
    ), ranked_store AS (
      SELECT customer_id, store_id, row_number() OVER (PARTITION BY customer_id ORDER BY count(*) DESC, store_id) AS k FROM purchases WHERE store_id IS NOT NULL GROUP BY customer_id, store_id
    ), other_orders AS (
      -- The orders that are not purchases: cancelled, or refunded in full.
      SELECT customer_id, count(*) FILTER (WHERE status = 'cancelled') AS cancelled, count(*) FILTER (WHERE status = 'refunded') AS refunded
      FROM ${orders} WHERE NOT (${PURCHASES}) AND ${onOrBefore(timezone, AS_OF)} GROUP BY customer_id
    ),${inline ? '' : ` channel_codes AS (
      SELECT channel, code FROM (VALUES ${channels.map((c, i) => `(${quote(c)}, ${i + 1})`).join(', ')}) AS v (channel, code)
    ), coded AS NOT MATERIALIZED (
      SELECT p.*, coalesce(c.code, 0) AS channel_code FROM purchases p LEFT JOIN channel_codes c ON c.channel = p.channel
    ), channel_counts AS (
      -- Per customer: channels used, and the most used (ties: alphabetical) as the code in the largest n·2²⁰ − code.
      SELECT customer_id, count(*) AS channels, ${PACK} - 1 - max(n * ${PACK} + ${PACK} - 1 - channel_code) % ${PACK} AS favourite_code
      FROM (SELECT customer_id, channel_code, count(*) AS n FROM coded WHERE channel_code > 0 GROUP BY customer_id, channel_code) c GROUP BY customer_id
    ),`} purchase_totals AS (
      SELECT p.customer_id, min(p.day) AS first_day, max(p.day) AS last_day, count(*) AS orders,
             ${ATTRIBUTE_WINDOWS.map((w) => `count(*) FILTER (WHERE ${within(w, 'p.day')}) AS orders_${w}d, sum(p.fen) FILTER (WHERE ${within(w, 'p.day')}) AS spend_${w}d_fen`).join(',\n             ')},
             max(p.fen) AS max_fen, min(p.fen) AS min_fen, sum(p.paid_fen) AS paid_fen, sum(p.discount_fen) AS discount_fen,
             sum(p.refunded_fen) AS refunded_fen, count(p.coupon_code) AS coupon_orders, count(*) FILTER (WHERE p.status = 'partially_refunded') AS partly_refunded,
             ${countsOf('p.weekday', 6, 7).join(' + ')} AS weekend_orders,
             ${mostFrequent(countsOf('p.weekday', 1, 7), 1)} AS favourite_weekday, ${mostFrequent(countsOf('p.hour', 0, 23), 0)} AS favourite_hour,
             ${inline ? `${channels.length ? mostFrequent(channelCounts, 1) : 'CAST(NULL AS INTEGER)'} AS favourite_code,
             ${channels.length ? channelCounts.map((c) => `CASE WHEN ${c} > 0 THEN 1 ELSE 0 END`).join(' + ') : '0'} AS used_channels,` : ''}
             -- the first purchase's channel: the code in the least (epoch milliseconds · 2²⁰ + code); same instant, alphabetical
             ${positiveMod(`min(CAST(floor(extract(epoch FROM p.placed_at) * 1000) AS BIGINT) * ${PACK} + p.channel_code)`, PACK)} AS first_code
      FROM ${inline ? 'purchases' : 'coded'} p GROUP BY p.customer_id
    ), o AS (
      -- The per-customer results of the other passes are joined after aggregating, on one row per customer. Spends
      -- net of refunds, and the 90 days before the last 90, are differences of the sums above.
      SELECT t.*, t.paid_fen - t.refunded_fen AS spend_fen,
             t.orders_180d - t.orders_90d AS orders_prev_90d, coalesce(t.spend_180d_fen, 0) - coalesce(t.spend_90d_fen, 0) AS spend_prev_90d_fen,
             g.days, g.mean_gap, g.median_gap, g.sd_gap, g.last_gap, ${channelName('t.first_code')} AS first_channel,
             ${inline ? 't.used_channels' : 'coalesce(cc.channels, 0)'} AS channels, ${channelName(inline ? 't.favourite_code' : 'cc.favourite_code')} AS favourite_channel,
             rs.store_id AS favourite_store, t.partly_refunded + coalesce(x.refunded, 0) AS refunded_orders, coalesce(x.cancelled, 0) AS cancelled_orders,
             t.orders + coalesce(x.cancelled, 0) + coalesce(x.refunded, 0) AS all_orders
      FROM purchase_totals t
      LEFT JOIN gap_stats g ON g.customer_id = t.customer_id
      LEFT JOIN ranked_store rs ON rs.customer_id = t.customer_id AND rs.k = 1
      LEFT JOIN other_orders x ON x.customer_id = t.customer_id${inline ? '' : `
      LEFT JOIN channel_counts cc ON cc.customer_id = t.customer_id`}
    ), lines AS (
      SELECT l.customer_id, l.sku, coalesce(l.category, '') AS category, l.quantity, l.unit_price_fen
      FROM ${lines} l JOIN purchases p ON p.customer_id = l.customer_id AND p.order_id = l.order_id
    ), ranked_category AS (
      SELECT customer_id, category, count(*) AS n, row_number() OVER (PARTITION BY customer_id ORDER BY count(*) DESC, category) AS k
      FROM lines WHERE category <> '' GROUP BY customer_id, category
    ), i AS (
      SELECT l.customer_id, sum(l.quantity) AS units, count(DISTINCT l.sku) AS skus, count(DISTINCT nullif(l.category, '')) AS categories,
             sum(l.quantity * l.unit_price_fen) AS value_fen, max(l.unit_price_fen) AS max_unit_fen,
             max(c1.category) AS top_category, max(c1.n) * 1.0 / count(*) AS top_category_share, max(c2.category) AS second_category
      FROM lines l LEFT JOIN ranked_category c1 ON c1.customer_id = l.customer_id AND c1.k = 1
           LEFT JOIN ranked_category c2 ON c2.customer_id = l.customer_id AND c2.k = 2
      GROUP BY l.customer_id
    ), e AS (
      SELECT customer_id, max(${eventDay}) AS last_day,
             count(*) FILTER (WHERE ${within(30, eventDay)}) AS events_30d,
             count(*) FILTER (WHERE type IN ('page', 'screen') AND ${within(30, eventDay)}) AS pages_30d,
             count(*) FILTER (WHERE name = 'Product Viewed' AND ${within(30, eventDay)}) AS product_views_30d,
             count(*) FILTER (WHERE name = 'Product Viewed' AND ${within(90, eventDay)}) AS product_views_90d,
             count(*) FILTER (WHERE name = 'Product Added' AND ${within(30, eventDay)}) AS cart_adds_30d,
             count(*) FILTER (WHERE name = 'Checkout Started' AND ${within(30, eventDay)}) AS checkouts_30d,
             count(DISTINCT ${eventDay}) FILTER (WHERE ${within(30, eventDay)}) AS active_days_30d
      FROM ${events} WHERE ${onOrBefore(timezone, AS_OF, 'ts')} AND (source IS NULL OR source NOT LIKE 'siyu %') GROUP BY customer_id
    )
    SELECT u.customer_id, ${definitions.map((d) => `${d.sql} AS "${d.name}"`).join(',\n           ')}
    FROM ${scoped('customers', scope)} u LEFT JOIN o ON o.customer_id = u.customer_id LEFT JOIN i ON i.customer_id = u.customer_id LEFT JOIN e ON e.customer_id = u.customer_id
    WHERE u.merged_into IS NULL`;
}
