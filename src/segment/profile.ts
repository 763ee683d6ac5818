import { SiyuError } from '../core/errors.ts';
import { decryptJson, findEncryptedColumn, identityValue, keyRingFor, openPii } from '../privacy/index.ts';
import type { Store } from '../store/index.ts';
import { BUILT_IN_ATTRIBUTES, customerAttributes } from './attributes.ts';

/** Whether a caller may see personal data unmasked: the customers:read_pii permission and a reason decide (src/access). */
export interface PiiPolicy {
  reveal: boolean;
}

/** Keeps the first 3 and last 4 digits of a mainland mobile number (+86 138****8000); elsewhere the last 4 only. */
export function maskPhone(phone: string): string {
  const cn = /^(?:\+86)?(1\d{2})\d{4}(\d{4})$/.exec(phone);
  if (cn) return `${phone.startsWith('+86') ? '+86 ' : ''}${cn[1]}****${cn[2]}`;
  return `${phone.slice(0, Math.min(3, Math.max(phone.length - 4, 0)))}${'*'.repeat(Math.max(phone.length - 7, 0))}${phone.slice(-4)}`;
}

/** Keeps the first character of the local part and the domain: w***@example.com. */
export const maskEmail = (email: string): string => email.replace(/^(.)[^@]*@/, (_, first: string) => `${first}***@`);

/** Keeps the first character of a name: 王**. */
export const maskName = (name: string): string => [...name].map((ch, i) => (i === 0 ? ch : '*')).join('');

/** Keeps the year of a birthday: 1990-**-**. */
export const maskBirthday = (birthday: string): string => `${birthday.slice(0, 4)}-**-**`;

/** Profile columns that are personal data, and how each is masked. */
export const PII_PROFILE_FIELDS: Record<string, (value: string) => string> = { name: maskName, phone: maskPhone, email: maskEmail, birthday: maskBirthday };

/** Identity types whose values are personal data and are masked. */
const PII_IDENTITIES: Record<string, (value: string) => string> = { phone: maskPhone, email: maskEmail };
/** Trait keys masked the same way. */
const PII_TRAITS: Record<string, (value: string) => string> = { phone: maskPhone, mobile: maskPhone, email: maskEmail, name: maskName, address: () => '***' };

/** The attributes a profile shows first: the ones operations staff look at every morning. */
const TOP_ATTRIBUTES = ['recency_days', 'orders_lifetime', 'monetary_lifetime', 'monetary_365d', 'aov', 'median_interpurchase_days', 'top_category', 'favourite_channel', 'coupon_order_share', 'refund_rate', 'product_views_30d', 'cart_abandonments_30d'];

export interface CustomerProfile {
  customerId: string;
  /** The id asked for, when it was merged into this profile. */
  mergedFrom: string | null;
  piiMasked: boolean;
  profile: { name: string | null; phone: string | null; email: string | null; gender: string | null; birthday: string | null; city: string | null; channel: string | null; registeredAt: Date | null };
  identities: { type: string; value: string; source: string | null }[];
  traits: Record<string, unknown>;
  orders: { count: number; paidFen: number; refundedFen: number; first: Date | null; last: Date | null; currency: string | null };
  attributes: { name: string; zh: string; en: string; value: unknown }[];
  layers: {
    rfm: { class: string; r: number; f: number; m: number; asOf: string } | null;
    stage: { stage: string; since: string | null; asOf: string } | null;
    tier: { tier: string; basis: string; asOf: string } | null;
    clv: { pAlive: number; pNoPurchase90d: number | null; clv12mFen: number; expectedOrders90d: number; asOf: string } | null;
    churn: { risk: number; pNoPurchase: number | null; horizonDays: number | null; reasons: { zh: string; en: string }[]; asOf: string } | null;
    cluster: { cluster: number; name: string; asOf: string } | null;
  };
  tags: { tag: string; source: string; setBy: string }[];
  segments: { name: string; asOf: string }[];
  recentEvents: { type: string; name: string | null; ts: Date; properties: unknown }[];
}

/**
 * The 360° view of one customer: profile, identities, traits, order summary, top attributes, layers (RFM, stage,
 * tier, CLV, churn, cluster), current segments and the 20 latest events. An id that was merged away resolves to its
 * survivor. Personal data (phone, email, name, birthday, and the same in identities and traits) is masked unless the policy
 * says the caller may see it.
 */
export async function customerProfile(db: Store, id: string, pii: PiiPolicy = { reveal: false }): Promise<CustomerProfile> {
  const ring = await keyRingFor(db);
  const [row] = await db.query<{ customer_id: string; merged_into: string | null }>('SELECT customer_id, merged_into FROM customers WHERE customer_id = $1', [id]);
  if (!row) throw new SiyuError('not_found', 'unknown_customer', `no customer ${JSON.stringify(id)}`);
  const customerId = row.merged_into ?? row.customer_id;
  const [c] = await db.query<{ name: string | null; phone: string | null; email: string | null; gender: string | null; birthday: string | null; city: string | null; channel: string | null; registered_at: Date | null; traits: Record<string, unknown> | null }>(
    'SELECT name, phone, email, gender, birthday, city, channel, registered_at, traits FROM customers WHERE customer_id = $1',
    [customerId],
  );
  const mask = <T extends string | null>(value: T, fn: (v: string) => string): T => (pii.reveal || value === null ? value : (fn(value) as T));
  const identities = (await db.query<{ type: string; value: string; secret: string | null; source: string | null }>('SELECT type, value, secret, source FROM identities WHERE customer_id = $1', [customerId]))
    .map((i) => ({ type: i.type, value: identityValue(ring, i), source: i.source }))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const [orders] = await db.query<{ n: number; paid: number | null; refunded: number | null; first: Date | null; last: Date | null; currency: string | null }>(
    `SELECT count(*) AS n, sum(total_fen) FILTER (WHERE status <> 'cancelled') AS paid, sum(refunded_fen) AS refunded, min(placed_at) AS first, max(placed_at) AS last, max(currency) AS currency
     FROM orders WHERE customer_id = $1`,
    [customerId],
  );
  const attributes = await customerAttributes(db, customerId);
  const [rfm] = await db.query<{ rfm_class: string; r_score: number; f_score: number; m_score: number; as_of: string }>('SELECT rfm_class, r_score, f_score, m_score, as_of FROM rfm_scores WHERE customer_id = $1', [customerId]);
  const [stage] = await db.query<{ stage: string; as_of: string; since: string | null }>(
    `SELECT s.stage, s.as_of, (SELECT max(h.changed_on) FROM lifecycle_history h WHERE h.customer_id = s.customer_id AND h.to_stage = s.stage) AS since
     FROM lifecycle_stages s WHERE s.customer_id = $1`,
    [customerId],
  );
  const [tier] = await db.query<{ tier: string; basis: string; as_of: string }>("SELECT t.tier, t.basis, greatest(t.as_of, r.as_of) AS as_of FROM tier_scores t LEFT JOIN layer_runs r ON r.layer = 'tiers' WHERE t.customer_id = $1", [customerId]);
  const [clv] = await db.query<{ p_alive: number; p_no_purchase_90d: number | null; clv_12m_fen: number; expected_orders_90d: number; as_of: string }>(
    'SELECT p_alive, p_no_purchase_90d, clv_12m_fen, expected_orders_90d, as_of FROM clv_scores WHERE customer_id = $1',
    [customerId],
  );
  const [churn] = await db.query<{ risk: number; p_no_purchase: number | null; horizon_days: number | null; reasons: { zh: string; en: string }[] | string; as_of: string }>(
    'SELECT risk, p_no_purchase, horizon_days, reasons, as_of FROM churn_scores WHERE customer_id = $1',
    [customerId],
  );
  const orNull = (v: number | null) => (v === null ? null : Number(v));
  const [cluster] = await db.query<{ cluster: number; name: string; as_of: string }>('SELECT cluster, name, as_of FROM customer_clusters WHERE customer_id = $1', [customerId]);
  const segments = await db.query<{ segment: string; as_of: string }>(
    `SELECT m.segment, (SELECT max(r.as_of) FROM segment_refreshes r WHERE r.segment = m.segment) AS as_of FROM segment_membership m
     WHERE m.customer_id = $1 AND m.left_on IS NULL ORDER BY m.segment`,
    [customerId],
  );
  const propertiesColumn = findEncryptedColumn('events', 'properties')!;
  const events = (await db.query<{ type: string; name: string | null; ts: Date; properties: unknown; message_id: string }>('SELECT type, name, ts, properties, message_id FROM events WHERE customer_id = $1 ORDER BY ts DESC LIMIT 20', [customerId]))
    .map(({ message_id, ...e }) => ({ ...e, properties: decryptJson(ring, propertiesColumn, message_id, typeof e.properties === 'string' ? JSON.parse(e.properties) : e.properties) }));
  // Traits and event properties (identify calls carry traits) are masked key by key.
  const maskObject = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' && PII_TRAITS[k] ? mask(v, PII_TRAITS[k]) : v]))
      : value;
  const traits = maskObject(decryptJson(ring, findEncryptedColumn('customers', 'traits')!, customerId, c?.traits ?? {})) as Record<string, unknown>;
  return {
    customerId,
    mergedFrom: customerId === id ? null : id,
    piiMasked: !pii.reveal,
    profile: {
      name: mask(openPii(ring, c?.name ?? null), maskName),
      phone: mask(openPii(ring, c?.phone ?? null), maskPhone),
      email: mask(openPii(ring, c?.email ?? null), maskEmail),
      gender: c?.gender ?? null,
      birthday: mask(openPii(ring, c?.birthday ?? null), maskBirthday),
      city: c?.city ?? null,
      channel: c?.channel ?? null,
      registeredAt: c?.registered_at ?? null,
    },
    identities: identities.map((i) => ({ type: i.type, value: PII_IDENTITIES[i.type] ? mask(i.value, PII_IDENTITIES[i.type]!) : i.value, source: i.source })),
    traits,
    orders: { count: Number(orders?.n ?? 0), paidFen: Number(orders?.paid ?? 0), refundedFen: Number(orders?.refunded ?? 0), first: orders?.first ?? null, last: orders?.last ?? null, currency: orders?.currency ?? null },
    attributes: attributes
      ? TOP_ATTRIBUTES.map((name) => {
          const definition = BUILT_IN_ATTRIBUTES.find((a) => a.name === name)!;
          return { name, zh: definition.zh, en: definition.en, value: attributes[name] ?? null };
        })
      : [],
    layers: {
      rfm: rfm ? { class: rfm.rfm_class, r: Number(rfm.r_score), f: Number(rfm.f_score), m: Number(rfm.m_score), asOf: rfm.as_of } : null,
      stage: stage ? { stage: stage.stage, since: stage.since, asOf: stage.as_of } : null,
      tier: tier ? { tier: tier.tier, basis: tier.basis, asOf: tier.as_of } : null,
      clv: clv ? { pAlive: Number(clv.p_alive), pNoPurchase90d: orNull(clv.p_no_purchase_90d), clv12mFen: Number(clv.clv_12m_fen), expectedOrders90d: Number(clv.expected_orders_90d), asOf: clv.as_of } : null,
      cluster: cluster ? { cluster: Number(cluster.cluster), name: cluster.name, asOf: cluster.as_of } : null,
      churn: churn ? { risk: Number(churn.risk), pNoPurchase: orNull(churn.p_no_purchase), horizonDays: orNull(churn.horizon_days), reasons: (typeof churn.reasons === 'string' ? JSON.parse(churn.reasons) : churn.reasons).map((r: { zh: string; en: string }) => ({ zh: r.zh, en: r.en })), asOf: churn.as_of } : null,
    },
    tags: (await db.query<{ tag: string; source: string; set_by: string }>('SELECT tag, source, set_by FROM customer_tags WHERE customer_id = $1 ORDER BY tag', [customerId])).map((t) => ({ tag: t.tag, source: t.source, setBy: t.set_by })),
    segments: segments.map((s) => ({ name: s.segment, asOf: s.as_of })),
    recentEvents: events.map((e) => ({ type: e.type, name: e.name, ts: e.ts, properties: maskObject(e.properties) })),
  };
}
