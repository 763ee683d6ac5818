import { createHash } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { recordLayerRun } from './history.ts';
import { latestOrderDay, readBrandSettings, type Queryable, type Store } from '../store/index.ts';
import { ageYearsSql } from './age.ts';
import { ATTRIBUTE_WINDOWS as windows, attributeQuery, purchaseChannels } from './attribute-query.ts';
import { analyseRewritten, createTempTable, replaceScopeRows, scoped } from './scope.ts';

/**
 * One computed attribute: a SQL expression over the per-customer aggregates below, evaluated for every customer
 * in one statement. `o` holds order aggregates, `i` order-line aggregates, `e` event aggregates and `u` the
 * customer row; `$1` is the as-of day.
 */
export interface AttributeDefinition {
  name: string;
  zh: string;
  en: string;
  description: string;
  type: 'number' | 'text' | 'date';
  sql: string;
  /**
   * Built-in day counts that depend only on the calendar: SQL over the stored attributes (`v."name"`) and `DAY`, the
   * row's as-of day, that the customer_attributes view derives them with when read, so the nightly job need not
   * rewrite every customer to move them on by a day (docs/segmentation.md, "The nightly job"). Not stored.
   */
  read?: string;
}

const AS_OF = 'CAST($1 AS DATE)';
const AGE_YEARS_SQL = ageYearsSql(AS_OF);
const yuan = (fen: string) => `${fen} / 100.0`;

/** The built-in registry. Brands add their own (`siyu attributes define`); a brand attribute may not reuse a name. */
export const BUILT_IN_ATTRIBUTES: readonly AttributeDefinition[] = [
  { name: 'recency_days', zh: '最近购买距今天数', en: 'Days since last purchase', description: 'Days from the last purchase day to the as-of day.', type: 'number', sql: `${AS_OF} - o.last_day`, read: 'DAY - v.last_order_date' },
  { name: 'tenure_days', zh: '首购距今天数', en: 'Days since first purchase', description: 'Days from the first purchase day to the as-of day.', type: 'number', sql: `${AS_OF} - o.first_day`, read: 'DAY - v.first_order_date' },
  { name: 'first_order_date', zh: '首单日期', en: 'First order date', description: 'Day of the first purchase, brand timezone.', type: 'date', sql: 'o.first_day' },
  { name: 'last_order_date', zh: '最近下单日期', en: 'Last order date', description: 'Day of the last purchase, brand timezone.', type: 'date', sql: 'o.last_day' },
  { name: 'orders_lifetime', zh: '累计订单数', en: 'Orders, lifetime', description: 'Orders that count as purchases, to the as-of day.', type: 'number', sql: 'coalesce(o.orders, 0)' },
  ...windows.map((w): AttributeDefinition => ({ name: `orders_${w}d`, zh: `近${w}天订单数`, en: `Orders, last ${w} days`, description: `Purchase orders in the ${w} days to the as-of day.`, type: 'number', sql: `coalesce(o.orders_${w}d, 0)` })),
  { name: 'monetary_lifetime', zh: '累计消费金额', en: 'Spend, lifetime', description: 'Paid minus refunded, in yuan.', type: 'number', sql: `coalesce(${yuan('o.spend_fen')}, 0)` },
  ...windows.map((w): AttributeDefinition => ({ name: `monetary_${w}d`, zh: `近${w}天消费金额`, en: `Spend, last ${w} days`, description: `Paid minus refunded in the ${w} days to the as-of day, in yuan.`, type: 'number', sql: `coalesce(${yuan(`o.spend_${w}d_fen`)}, 0)` })),
  { name: 'aov', zh: '客单价', en: 'Average order value', description: 'Spend per order, lifetime, in yuan.', type: 'number', sql: `${yuan('o.spend_fen')} / nullif(o.orders, 0)` },
  { name: 'aov_365d', zh: '近一年客单价', en: 'Average order value, last year', description: 'Spend per order in the last 365 days, in yuan.', type: 'number', sql: `${yuan('o.spend_365d_fen')} / nullif(o.orders_365d, 0)` },
  { name: 'max_order_value', zh: '最高单笔金额', en: 'Largest order', description: 'The largest single purchase, in yuan.', type: 'number', sql: yuan('o.max_fen') },
  { name: 'min_order_value', zh: '最低单笔金额', en: 'Smallest order', description: 'The smallest single purchase, in yuan.', type: 'number', sql: yuan('o.min_fen') },
  { name: 'purchase_days', zh: '购买天数', en: 'Purchase days', description: 'Distinct days with a purchase (same-day orders count once).', type: 'number', sql: 'coalesce(o.days, 0)' },
  { name: 'mean_interpurchase_days', zh: '平均回购间隔', en: 'Mean days between purchases', description: 'Mean gap between purchase days; empty below 2.', type: 'number', sql: 'o.mean_gap' },
  { name: 'median_interpurchase_days', zh: '回购间隔中位数', en: 'Median days between purchases', description: 'Median gap between purchase days; empty below 2.', type: 'number', sql: 'o.median_gap' },
  { name: 'last_interpurchase_days', zh: '最近回购间隔', en: 'Last days between purchases', description: 'Days between the last two purchase days; empty below 2.', type: 'number', sql: 'o.last_gap' },
  { name: 'interpurchase_cv', zh: '回购间隔变异系数', en: 'Gap regularity (CV)', description: 'Standard deviation over mean of the gaps: 0 is clockwork.', type: 'number', sql: 'o.sd_gap / nullif(o.mean_gap, 0)' },
  { name: 'is_repeat_buyer', zh: '是否复购', en: 'Repeat buyer', description: '1 with two or more purchase days, else 0.', type: 'number', sql: 'CASE WHEN o.days >= 2 THEN 1 ELSE 0 END' },
  { name: 'order_trend_90d', zh: '订单趋势', en: 'Order trend', description: 'Orders in the last 90 days minus the 90 before.', type: 'number', sql: 'coalesce(o.orders_90d, 0) - coalesce(o.orders_prev_90d, 0)' },
  { name: 'spend_trend_90d', zh: '消费趋势', en: 'Spend trend', description: 'Spend in the last 90 days minus the 90 before, in yuan.', type: 'number', sql: `coalesce(${yuan('o.spend_90d_fen')}, 0) - coalesce(${yuan('o.spend_prev_90d_fen')}, 0)` },
  { name: 'coupon_order_share', zh: '用券订单占比', en: 'Orders with a coupon', description: 'Share of purchase orders that used a coupon: discount sensitivity.', type: 'number', sql: 'o.coupon_orders * 1.0 / nullif(o.orders, 0)' },
  { name: 'discount_share', zh: '折扣占比', en: 'Discount share', description: 'Discount over list value (paid + discount), lifetime.', type: 'number', sql: 'o.discount_fen * 1.0 / nullif(o.discount_fen + o.paid_fen, 0)' },
  { name: 'refund_rate', zh: '退款率', en: 'Refund rate', description: 'Share of all orders refunded in part or in full.', type: 'number', sql: 'o.refunded_orders * 1.0 / nullif(o.all_orders, 0)' },
  { name: 'refunded_amount', zh: '退款金额', en: 'Refunded', description: 'Money refunded, lifetime, in yuan.', type: 'number', sql: `coalesce(${yuan('o.refunded_fen')}, 0)` },
  { name: 'cancelled_orders', zh: '取消订单数', en: 'Cancelled orders', description: 'Orders cancelled, lifetime.', type: 'number', sql: 'coalesce(o.cancelled_orders, 0)' },
  { name: 'favourite_channel', zh: '偏好渠道', en: 'Favourite channel', description: 'The channel of most purchase orders (ties: alphabetical).', type: 'text', sql: 'o.favourite_channel' },
  { name: 'channels_used', zh: '购买渠道数', en: 'Channels used', description: 'Distinct channels with a purchase.', type: 'number', sql: 'coalesce(o.channels, 0)' },
  { name: 'first_channel', zh: '首单渠道', en: 'First channel', description: 'The channel of the first purchase (same instant: alphabetical).', type: 'text', sql: 'o.first_channel' },
  { name: 'favourite_store', zh: '常去门店', en: 'Favourite store', description: 'The store of most purchase orders (ties: alphabetical).', type: 'text', sql: 'o.favourite_store' },
  { name: 'favourite_weekday', zh: '偏好星期', en: 'Favourite weekday', description: 'ISO weekday (1 = Monday) of most purchases, brand timezone.', type: 'number', sql: 'o.favourite_weekday' },
  { name: 'favourite_hour', zh: '偏好时段', en: 'Favourite hour', description: 'Hour of day (0-23) of most purchases, brand timezone.', type: 'number', sql: 'o.favourite_hour' },
  { name: 'weekend_order_share', zh: '周末下单占比', en: 'Weekend orders', description: 'Share of purchases on Saturday or Sunday.', type: 'number', sql: 'o.weekend_orders * 1.0 / nullif(o.orders, 0)' },
  { name: 'units_lifetime', zh: '累计购买件数', en: 'Units bought', description: 'Units over all purchase lines.', type: 'number', sql: 'coalesce(i.units, 0)' },
  { name: 'units_per_order', zh: '件单价', en: 'Units per order', description: 'Units per purchase order.', type: 'number', sql: 'i.units * 1.0 / nullif(o.orders, 0)' },
  { name: 'distinct_skus', zh: '购买商品数', en: 'Distinct SKUs', description: 'Different SKUs bought.', type: 'number', sql: 'coalesce(i.skus, 0)' },
  { name: 'distinct_categories', zh: '购买品类数', en: 'Categories bought', description: 'Different categories bought.', type: 'number', sql: 'coalesce(i.categories, 0)' },
  { name: 'top_category', zh: '偏好品类', en: 'Favourite category', description: 'The category of most purchase lines (ties: alphabetical).', type: 'text', sql: 'i.top_category' },
  { name: 'top_category_share', zh: '偏好品类占比', en: 'Favourite category share', description: "Share of purchase lines in the favourite category: category affinity.", type: 'number', sql: 'i.top_category_share' },
  { name: 'second_category', zh: '第二偏好品类', en: 'Second category', description: 'The category of the second most purchase lines.', type: 'text', sql: 'i.second_category' },
  { name: 'average_unit_price', zh: '平均件单价', en: 'Average unit price', description: 'Mean unit price paid per unit, in yuan.', type: 'number', sql: `${yuan('i.value_fen')} / nullif(i.units, 0)` },
  { name: 'max_unit_price', zh: '最高件单价', en: 'Highest unit price', description: 'The most expensive unit bought, in yuan.', type: 'number', sql: yuan('i.max_unit_fen') },
  { name: 'last_visit_date', zh: '最近访问日期', en: 'Last visit date', description: 'Day of the last page, screen or track event, brand timezone.', type: 'date', sql: 'e.last_day' },
  { name: 'days_since_last_visit', zh: '最近访问距今天数', en: 'Days since last visit', description: 'Days from the last page, screen or track event to the as-of day.', type: 'number', sql: `${AS_OF} - e.last_day`, read: 'DAY - v.last_visit_date' },
  { name: 'events_30d', zh: '近30天互动次数', en: 'Events, last 30 days', description: 'Every event in the last 30 days.', type: 'number', sql: 'coalesce(e.events_30d, 0)' },
  { name: 'page_views_30d', zh: '近30天页面浏览', en: 'Page views, last 30 days', description: 'page and screen events in the last 30 days.', type: 'number', sql: 'coalesce(e.pages_30d, 0)' },
  { name: 'product_views_30d', zh: '近30天商品浏览', en: 'Product views, last 30 days', description: 'Product Viewed events in the last 30 days.', type: 'number', sql: 'coalesce(e.product_views_30d, 0)' },
  { name: 'product_views_90d', zh: '近90天商品浏览', en: 'Product views, last 90 days', description: 'Product Viewed events in the last 90 days.', type: 'number', sql: 'coalesce(e.product_views_90d, 0)' },
  { name: 'cart_adds_30d', zh: '近30天加购次数', en: 'Add-to-carts, last 30 days', description: 'Product Added events in the last 30 days.', type: 'number', sql: 'coalesce(e.cart_adds_30d, 0)' },
  { name: 'checkouts_30d', zh: '近30天发起结算', en: 'Checkouts started, last 30 days', description: 'Checkout Started events in the last 30 days.', type: 'number', sql: 'coalesce(e.checkouts_30d, 0)' },
  { name: 'cart_abandonments_30d', zh: '近30天弃购次数', en: 'Cart abandonments, last 30 days', description: 'Checkouts started minus orders in the last 30 days (events and orders share no key).', type: 'number', sql: 'greatest(coalesce(e.checkouts_30d, 0) - coalesce(o.orders_30d, 0), 0)' },
  { name: 'view_to_order_ratio_90d', zh: '浏览转化率', en: 'Views per order', description: 'Product views per purchase order in the last 90 days.', type: 'number', sql: 'e.product_views_90d * 1.0 / nullif(o.orders_90d, 0)' },
  { name: 'active_days_30d', zh: '近30天活跃天数', en: 'Active days, last 30 days', description: 'Days with any event in the last 30 days.', type: 'number', sql: 'coalesce(e.active_days_30d, 0)' },
  { name: 'registration_date', zh: '注册日期', en: 'Registration date', description: 'Day of registration (or of the profile’s creation), UTC.', type: 'date', sql: 'CAST(coalesce(u.registered_at, u.created_at) AS DATE)' },
  { name: 'registered_days', zh: '注册天数', en: 'Days since registration', description: 'Days from registration (or the profile’s creation) to the as-of day.', type: 'number', sql: `${AS_OF} - CAST(coalesce(u.registered_at, u.created_at) AS DATE)`, read: 'DAY - v.registration_date' },
  { name: 'days_to_first_order', zh: '注册到首单天数', en: 'Days from registration to first order', description: 'How long the customer took to buy for the first time.', type: 'number', sql: 'o.first_day - CAST(coalesce(u.registered_at, u.created_at) AS DATE)' },
  { name: 'registration_channel', zh: '注册渠道', en: 'Registration channel', description: 'The channel on the profile.', type: 'text', sql: 'u.channel' },
  { name: 'has_phone', zh: '有手机号', en: 'Has a phone', description: '1 when the profile holds a phone number.', type: 'number', sql: 'CASE WHEN u.phone IS NULL THEN 0 ELSE 1 END' },
  { name: 'has_email', zh: '有邮箱', en: 'Has an email', description: '1 when the profile holds an email address.', type: 'number', sql: 'CASE WHEN u.email IS NULL THEN 0 ELSE 1 END' },
  // The birthday itself is sealed: the age reads the plain birth_year kept beside it (age.ts).
  { name: 'age_years', zh: '年龄', en: 'Age', description: 'Whole years by birth year: the as-of year minus the birth year (one more than the exact age before the birthday in that year).', type: 'number', sql: AGE_YEARS_SQL },
];

/**
 * Computes every attribute for every customer as of a day (default: the latest order day) in one statement on
 * both engines, and replaces `customer_attributes` (one typed column per attribute) in one transaction. No value
 * crosses to JavaScript.
 */
export async function computeAttributes(store: Store, options: { asOf?: string } = {}): Promise<{ asOf: string; customers: number; attributes: number }> {
  const latest = options.asOf ?? (await latestOrderDay(store));
  if (!latest) throw new SiyuError('not_found', 'no_orders', 'the store has no orders to compute attributes from; import orders first');
  const asOf = parseDay(latest, '--as-of');
  const definitions = await attributeDefinitions(store);
  const started = new Date();
  const { timezone } = await readBrandSettings(store);
  const customers = await store.transaction(async (tx) => {
    const written = await writeAttributes(tx, definitions, asOf);
    await recordLayerRun(tx, 'attributes', asOf, { timezone, definitions: definitionsFingerprint(definitions) }, started);
    return written;
  });
  return { asOf, customers, attributes: definitions.length };
}

/**
 * Whether customer_attributes holds, for every customer, what scanning the orders as of `asOf` would give now: its
 * last computation (full, or an update that followed one) was as of that day in the brand's current timezone, and
 * no order or customer has changed since it started (a merge changes the customer; an import of order lines
 * changes their orders). RFM, value tiers and lifecycle stages then read their measures from it instead of
 * scanning the orders again, which is what makes the nightly `siyu layers compute` cheap after its attributes step.
 */
export async function attributesCurrent(db: Queryable, asOf: string): Promise<boolean> {
  const [run] = await db.query<{ as_of: string; options: unknown; started_at: Date }>(`SELECT as_of, options, started_at FROM layer_runs WHERE layer = 'attributes'`);
  if (!run || run.as_of !== asOf) return false;
  const options = (typeof run.options === 'string' ? JSON.parse(run.options) : run.options) as { timezone?: string };
  const { timezone } = await readBrandSettings(db);
  if (options.timezone !== timezone) return false;
  const [changed] = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM orders WHERE updated_at >= CAST($1 AS TIMESTAMPTZ)) + (SELECT count(*) FROM customers WHERE updated_at >= CAST($1 AS TIMESTAMPTZ)) AS n`,
    [run.started_at],
  );
  return Number(changed?.n) === 0;
}

/**
 * Whether each customer's recency, orders and spend over `windowDays` in `currency` can be read from
 * customer_attributes (recency_days, orders_<w>d, monetary_<w>d) instead of the orders: the attributes are current,
 * they have that window, and every order is in that currency (the attributes add currencies together).
 */
export async function measuresFromAttributes(db: Queryable, asOf: string, windowDays: number, currency: string): Promise<boolean> {
  if (!(windows as readonly number[]).includes(windowDays) || !(await attributesCurrent(db, asOf))) return false;
  const [other] = await db.query('SELECT 1 AS found FROM orders WHERE currency <> $1 LIMIT 1', [currency]);
  return !other;
}

/**
 * Whether an incremental update can read its customers' measures over `windowDays` in `currency` from the attributes
 * it has just written for them (the scope's copy of customer_attributes): the window is one of the attributes', and
 * every order of the scope's customers is in that currency.
 */
export async function scopeMeasuresFromAttributes(db: Queryable, scope: string, windowDays: number, currency: string): Promise<boolean> {
  if (!(windows as readonly number[]).includes(windowDays)) return false;
  const [other] = await db.query(`SELECT 1 AS found FROM ${scoped('orders', scope)} WHERE currency <> $1 LIMIT 1`, [currency]);
  return !other;
}

/**
 * SQL for each buyer's recency in days, orders and money paid in fen over `windowDays` (one of the attribute
 * windows), read from customer_attributes: the columns recency_days, last_purchase_on, frequency and monetary_fen per
 * customer_id.
 */
export function attributeMeasures(windowDays: number, table = 'customer_attributes'): string {
  return `SELECT customer_id, CAST(recency_days AS INTEGER) AS recency_days, last_order_date AS last_purchase_on, CAST(orders_${windowDays}d AS INTEGER) AS frequency,
                 CAST(round(monetary_${windowDays}d * 100) AS BIGINT) AS monetary_fen
          FROM ${table} WHERE recency_days IS NOT NULL`;
}

/** The column type that holds an attribute of each type. */
const COLUMN_TYPES: Record<AttributeDefinition['type'], string> = { number: 'DOUBLE PRECISION', text: 'TEXT', date: 'DATE' };
/** customer_attributes' own columns; every other column is an attribute. */
const ROW_COLUMNS = new Set(['customer_id', 'as_of', 'computed_at']);
/** The table that stores the attributes; the view customer_attributes adds the derived ones (migration 023). */
export const ATTRIBUTE_VALUES = 'customer_attribute_values';
/** A row's as-of day in the view: the later of the day it was written and the attributes' last run. */
const VIEW_DAY = 'greatest(v.as_of, r.as_of)';

/** The attributes stored in customer_attribute_values: every one but those derived when read. */
export const storedAttributes = (definitions: readonly AttributeDefinition[]): AttributeDefinition[] => definitions.filter((d) => !d.read);

/**
 * Gives customer_attribute_values exactly one column per stored attribute, of the attribute's type: missing ones are
 * added, and ones no attribute has any more, or of another type, are dropped (a changed attribute's old values
 * with them). Then, if its columns are not already those, the view customer_attributes is made again: every
 * attribute in definition order, the derived ones (`read`) computed from the stored dates and the row's as-of day.
 */
export async function ensureAttributeColumns(tx: Queryable, definitions: readonly AttributeDefinition[]): Promise<void> {
  const columnsOf = (table: string) =>
    tx.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position',
      [table],
    );
  const existing = await columnsOf(ATTRIBUTE_VALUES);
  const have = new Map(existing.filter((c) => !ROW_COLUMNS.has(c.column_name)).map((c) => [c.column_name, c.data_type.toUpperCase()]));
  const sameType = (type: string, want: string) => type === want || (want === 'DOUBLE PRECISION' && type === 'DOUBLE') || (want === 'TEXT' && (type === 'VARCHAR' || type === 'CHARACTER VARYING'));
  const wanted = new Map(storedAttributes(definitions).map((d) => [d.name, COLUMN_TYPES[d.type]]));
  const viewColumns = ['customer_id', 'as_of', 'computed_at', ...definitions.map((d) => d.name)];
  const view = (await columnsOf('customer_attributes')).map((c) => c.column_name);
  const stale = [...have].some(([name, type]) => !wanted.has(name) || !sameType(type, wanted.get(name)!)) || [...wanted.keys()].some((name) => !have.has(name));
  if (!stale && view.join(',') === viewColumns.join(',')) return;
  // PostgreSQL keeps a view's columns as they were when it was made, and refuses to drop a column it reads.
  await tx.execute('DROP VIEW IF EXISTS customer_attributes');
  for (const [name, type] of have) {
    if (!wanted.has(name) || !sameType(type, wanted.get(name)!)) {
      await tx.execute(`ALTER TABLE ${ATTRIBUTE_VALUES} DROP COLUMN "${name}"`);
      have.delete(name);
    }
  }
  for (const [name, type] of wanted) if (!have.has(name)) await tx.execute(`ALTER TABLE ${ATTRIBUTE_VALUES} ADD COLUMN "${name}" ${type}`);
  const column = (d: AttributeDefinition) => (d.read ? `CAST(${d.read.replaceAll('DAY', VIEW_DAY)} AS ${COLUMN_TYPES[d.type]}) AS "${d.name}"` : `v."${d.name}"`);
  await tx.execute(
    `CREATE VIEW customer_attributes AS
     SELECT v.customer_id, ${VIEW_DAY} AS as_of, v.computed_at${definitions.map((d) => `, ${column(d)}`).join('')}
     FROM ${ATTRIBUTE_VALUES} v LEFT JOIN layer_runs r ON r.layer = 'attributes'`,
  );
}

/**
 * Replaces the attributes of every customer, or only of the customers listed in the table `scope` (a one-column
 * table of customer_id, for incremental updates), as of `asOf`, inside the caller's transaction. Each stored
 * attribute goes to its own column, cast to its type; numbers that are not finite become NULL. With a scope, the
 * new rows, derived attributes included, are also left in the scope's copy of customer_attributes (scope.ts), which
 * the update's later steps read instead of looking for them among everyone's.
 */
export async function writeAttributes(tx: Queryable, definitions: readonly AttributeDefinition[], asOf: string, scope?: string): Promise<number> {
  const { timezone } = await readBrandSettings(tx);
  await ensureAttributeColumns(tx, definitions);
  const value = (d: AttributeDefinition) => {
    const column = `a."${d.name}"`;
    if (d.type === 'number') return `CASE WHEN abs(CAST(${column} AS DOUBLE PRECISION)) < 1e308 THEN CAST(${column} AS DOUBLE PRECISION) END AS "${d.name}"`;
    return `CAST(${column} AS ${COLUMN_TYPES[d.type]}) AS "${d.name}"`;
  };
  const channels = await purchaseChannels(tx, scope);
  const stored = `customer_id, as_of, computed_at, ${storedAttributes(definitions).map((d) => `"${d.name}"`).join(', ')}`;
  const select = (written: readonly AttributeDefinition[]) =>
    `SELECT a.customer_id, CAST($1 AS DATE) AS as_of, CAST($2 AS TIMESTAMPTZ) AS computed_at, ${written.map(value).join(', ')}
     FROM (${attributeQuery(tx.kind, definitions, timezone, channels, scope)}) AS a`;
  if (!scope) {
    await tx.execute(`DELETE FROM ${ATTRIBUTE_VALUES}`);
    const written = await tx.execute(`INSERT INTO ${ATTRIBUTE_VALUES} (${stored}) ${select(storedAttributes(definitions))}`, [asOf, new Date()]);
    await analyseRewritten(tx, ATTRIBUTE_VALUES);
    return written;
  }
  await createTempTable(tx, scoped('customer_attributes', scope), select(definitions), [asOf, new Date()]);
  return replaceScopeRows(tx, scope, 'customer_attributes', stored, ATTRIBUTE_VALUES);
}

/**
 * A short digest of the attribute definitions (names, types and SQL): the nightly job computes only the customers
 * who can have changed when it equals the last full computation's, and everyone again when an attribute was
 * defined, changed or dropped since.
 */
export function definitionsFingerprint(definitions: readonly AttributeDefinition[]): string {
  return createHash('sha256').update(JSON.stringify(definitions.map((d) => [d.name, d.type, d.sql, d.read ?? null]))).digest('hex').slice(0, 16);
}

/** One customer's attributes by name (numbers, text, dates as YYYY-MM-DD), or null before they are computed. */
export async function customerAttributes(db: Queryable, customerId: string): Promise<Record<string, unknown> | null> {
  const [row] = await db.query<Record<string, unknown>>('SELECT * FROM customer_attributes WHERE customer_id = $1', [customerId]);
  return row ? Object.fromEntries(Object.entries(row).filter(([k]) => !ROW_COLUMNS.has(k))) : null;
}

/** The built-in attributes followed by the brand's own, in that order. */
export async function attributeDefinitions(db: Queryable): Promise<AttributeDefinition[]> {
  const own = await db.query<AttributeDefinition>('SELECT name, zh, en, description, type, sql FROM attribute_definitions ORDER BY name');
  return [...BUILT_IN_ATTRIBUTES, ...own];
}

const ATTRIBUTE_TYPES = ['number', 'text', 'date'] as const;

/**
 * Adds (or replaces) one of the brand's own attributes. The name must be new snake_case, the type number, text or
 * date, and the SQL one expression over o, i, e, u and $1: it is compiled with every other attribute before it is
 * saved, so a typo fails here with the database's message rather than at the next computation.
 */
export async function defineAttribute(store: Store, definition: AttributeDefinition): Promise<AttributeDefinition> {
  const { name, type, sql } = definition;
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new SiyuError('validation', 'invalid_attribute', `an attribute name is snake_case (a-z, 0-9, _), starting with a letter, not ${JSON.stringify(name)}`, { details: [{ path: 'name', message: 'not snake_case' }] });
  if (BUILT_IN_ATTRIBUTES.some((a) => a.name === name)) throw new SiyuError('conflict', 'built_in_attribute', `${name} is a built-in attribute; choose another name`);
  if (!(ATTRIBUTE_TYPES as readonly string[]).includes(type)) throw new SiyuError('validation', 'invalid_attribute', `type must be one of ${ATTRIBUTE_TYPES.join(', ')}, not ${JSON.stringify(type)}`, { details: [{ path: 'type', message: 'unknown type' }] });
  if (!sql.trim() || /;|--|\/\*/.test(sql)) throw new SiyuError('validation', 'invalid_attribute', 'sql must be one expression, without ";" or comments', { details: [{ path: 'sql', message: 'not a single expression' }] });
  const { timezone } = await readBrandSettings(store);
  const others = (await attributeDefinitions(store)).filter((d) => d.name !== name);
  try {
    await store.query(`SELECT * FROM (${attributeQuery(store.kind, [...others, definition], timezone, [])}) checked LIMIT 0`, ['2000-01-01']);
  } catch (error) {
    throw new SiyuError('validation', 'invalid_attribute_sql', `attribute ${name}: the SQL does not compile: ${(error as Error).message.split(' (in:')[0]}`, { details: [{ path: 'sql', message: 'does not compile' }], cause: error });
  }
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM attribute_definitions WHERE name = $1', [name]);
    await tx.insertRows('attribute_definitions', ['name', 'zh', 'en', 'description', 'type', 'sql', 'created_at'], [[name, definition.zh, definition.en, definition.description, type, sql, new Date()]]);
    // Its column exists at once (empty until the next computation), so segments can name it straight away.
    await ensureAttributeColumns(tx, await attributeDefinitions(tx));
  });
  return definition;
}

/** Removes one of the brand's attributes; false when there was none. */
export async function dropAttribute(store: Store, name: string): Promise<boolean> {
  if (BUILT_IN_ATTRIBUTES.some((a) => a.name === name)) throw new SiyuError('conflict', 'built_in_attribute', `${name} is built in and cannot be dropped`);
  return store.transaction(async (tx) => {
    const dropped = (await tx.execute('DELETE FROM attribute_definitions WHERE name = $1', [name])) > 0;
    await ensureAttributeColumns(tx, await attributeDefinitions(tx));
    return dropped;
  });
}
