import { decryptJson, findEncryptedColumn, identityValue, keyRingFor, openPii } from '../privacy/index.ts';
import { dialect, jsonRowsParam, type Store } from '../store/index.ts';

/** What a message template and a channel may know of a customer: profile, layers, scores, attributes, identities. */
export interface CustomerSummary {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  city: string | null;
  gender: string | null;
  birthday: string | null;
  channel: string | null;
  traits: Record<string, unknown>;
  stage: string | null;
  tier: string | null;
  rfm_class: string | null;
  cluster: string | null;
  clv_12m: number | null;
  p_alive: number | null;
  churn_risk: number | null;
  attributes: Record<string, unknown>;
  /** Identity values by type (openid:<app>, external_userid…): the first of each type. */
  identities: Record<string, string>;
}

/**
 * The summaries of `customerIds`, in a few set-based queries (one per table), keyed by id; unknown ids are absent.
 * The dispatcher renders each batch of messages with them.
 */
export async function customerSummaries(db: Store, customerIds: readonly string[]): Promise<Map<string, CustomerSummary>> {
  const out = new Map<string, CustomerSummary>();
  if (customerIds.length === 0) return out;
  const ring = await keyRingFor(db);
  const traitsColumn = findEncryptedColumn('customers', 'traits')!;
  const ids = dialect(db.kind).jsonRows('$1', ['id']);
  const param = [jsonRowsParam([...new Set(customerIds)].map((id) => [id]))];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT u.customer_id, u.name, u.phone, u.email, u.city, u.gender, u.birthday, u.channel, u.traits,
            ls.stage, t.tier, r.rfm_class, cl.name AS cluster, cs.clv_12m_fen / 100.0 AS clv_12m, cs.p_alive, ch.risk AS churn_risk
     FROM customers u JOIN ${ids} k ON k.id = u.customer_id
     LEFT JOIN lifecycle_stages ls ON ls.customer_id = u.customer_id LEFT JOIN tier_scores t ON t.customer_id = u.customer_id
     LEFT JOIN rfm_scores r ON r.customer_id = u.customer_id LEFT JOIN customer_clusters cl ON cl.customer_id = u.customer_id
     LEFT JOIN clv_scores cs ON cs.customer_id = u.customer_id LEFT JOIN churn_scores ch ON ch.customer_id = u.customer_id`,
    param,
  );
  for (const r of rows) {
    const id = String(r.customer_id);
    out.set(id, {
      id,
      name: openPii(ring, (r.name as string | null) ?? null),
      phone: openPii(ring, (r.phone as string | null) ?? null),
      email: openPii(ring, (r.email as string | null) ?? null),
      city: (r.city as string | null) ?? null,
      gender: (r.gender as string | null) ?? null,
      birthday: openPii(ring, (r.birthday as string | null) ?? null),
      channel: (r.channel as string | null) ?? null,
      traits: decryptJson(ring, traitsColumn, id, typeof r.traits === 'string' ? JSON.parse(r.traits) : r.traits ?? {}) as Record<string, unknown>,
      stage: (r.stage as string | null) ?? null,
      tier: (r.tier as string | null) ?? null,
      rfm_class: (r.rfm_class as string | null) ?? null,
      cluster: (r.cluster as string | null) ?? null,
      clv_12m: r.clv_12m === null || r.clv_12m === undefined ? null : Number(r.clv_12m),
      p_alive: r.p_alive === null || r.p_alive === undefined ? null : Number(r.p_alive),
      churn_risk: r.churn_risk === null || r.churn_risk === undefined ? null : Number(r.churn_risk),
      attributes: {},
      identities: {},
    });
  }
  for (const a of await db.query<Record<string, unknown>>(`SELECT a.* FROM customer_attributes a JOIN ${ids} k ON k.id = a.customer_id`, param)) {
    const { customer_id: id, ...values } = a;
    const summary = out.get(String(id));
    if (summary) summary.attributes = values;
  }
  const identities = await db.query<{ customer_id: string; type: string; value: string; secret: string | null }>(
    `SELECT i.customer_id, i.type, i.value, i.secret FROM identities i JOIN ${ids} k ON k.id = i.customer_id ORDER BY i.customer_id, i.type, i.value`,
    param,
  );
  for (const i of identities) {
    const summary = out.get(i.customer_id);
    if (summary && !(i.type in summary.identities)) summary.identities[i.type] = identityValue(ring, i);
  }
  return out;
}
