import { SiyuError } from '../core/errors.ts';
import { normaliseEmail, normalisePhone } from '../ingest/index.ts';
import { keyRingFor, lookupValue, openPii, type KeyRing } from '../privacy/index.ts';
import type { Queryable, Store } from '../store/index.ts';
import { maskName, maskPhone, type PiiPolicy } from './profile.ts';

/** Filters of the customer list; every one given must hold. */
export interface CustomerListQuery {
  /** A customer id, member number, user id, phone or email (exact; a phone in any common writing, normalised first). */
  q?: string;
  /** A saved segment: its members as of its latest refresh. */
  segment?: string;
  stage?: string;
  tier?: string;
  rfmClass?: string;
  tag?: string;
  city?: string;
  channel?: string;
}

export interface CustomerListRow {
  customerId: string;
  name: string | null;
  phone: string | null;
  city: string | null;
  channel: string | null;
  registeredAt: Date | null;
  stage: string | null;
  tier: string | null;
  rfmClass: string | null;
  clv12mFen: number | null;
  pAlive: number | null;
  churnRisk: number | null;
}

export interface CustomerListPage {
  customers: CustomerListRow[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
  /** How many customers match, when asked for (`withTotal`). */
  total: number | null;
}

export const CUSTOMER_LIST_MAX = 200;

/** The WHERE conditions and parameters for the filters, over `customers u`. */
function conditions(query: CustomerListQuery, ring: KeyRing): { where: string[]; params: unknown[] } {
  const where = ['u.merged_into IS NULL'];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const q = query.q?.trim();
  if (q) {
    // An identifier is looked up by (type, value), the identities table's key, so each kind is one index probe.
    // Phones and emails are stored as blind indexes: the search computes the one it looks for.
    const phone = normalisePhone(q);
    const email = q.includes('@') ? normaliseEmail(q) : undefined;
    const value = param(q);
    const byPhone = phone ? ` OR (type = 'phone' AND value = ${param(lookupValue(ring, 'phone', phone))})` : '';
    const byEmail = email ? ` OR (type = 'email' AND value = ${param(lookupValue(ring, 'email', email))})` : '';
    where.push(`(u.customer_id = ${value} OR u.customer_id IN (SELECT customer_id FROM identities WHERE (type IN ('user_id', 'member_no') AND value = ${value})${byPhone}${byEmail}))`);
  }
  const member = (table: string, column: string, value: string | undefined) => {
    if (value !== undefined && value !== '') where.push(`u.customer_id IN (SELECT customer_id FROM ${table} WHERE ${column} = ${param(value)})`);
  };
  if (query.segment) where.push(`u.customer_id IN (SELECT customer_id FROM segment_membership WHERE segment = ${param(query.segment)} AND left_on IS NULL)`);
  member('lifecycle_stages', 'stage', query.stage);
  member('tier_scores', 'tier', query.tier);
  member('rfm_scores', 'rfm_class', query.rfmClass);
  member('customer_tags', 'tag', query.tag);
  if (query.city) where.push(`u.city = ${param(query.city)}`);
  if (query.channel) where.push(`u.channel = ${param(query.channel)}`);
  return { where, params };
}

/**
 * One page of customers matching the filters, by customer id (keyset pagination: pass the previous page's `next`
 * as `after`), with their layers and scores. The page's ids are found first with only the filters' tables, then
 * its rows are completed by id, so a page costs the same on a million customers whatever is shown. Name and phone
 * are masked unless the policy allows them.
 */
export async function listCustomers(
  db: Store,
  query: CustomerListQuery & { after?: string; limit?: number; withTotal?: boolean },
  pii: PiiPolicy = { reveal: false },
): Promise<CustomerListPage> {
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > CUSTOMER_LIST_MAX) {
    throw new SiyuError('validation', 'invalid_limit', `limit must be a whole number from 1 to ${CUSTOMER_LIST_MAX}, not ${limit}`, { details: [{ path: 'limit', message: 'out of range' }] });
  }
  const ring = await keyRingFor(db);
  const { where, params } = conditions(query, ring);
  const total = query.withTotal ? Number((await db.query<{ n: number }>(`SELECT count(*) AS n FROM customers u WHERE ${where.join(' AND ')}`, params))[0]?.n ?? 0) : null;
  const page = [...where];
  const pageParams = [...params];
  if (query.after) {
    pageParams.push(query.after);
    page.push(`u.customer_id > $${pageParams.length}`);
  }
  const ids = (await db.query<{ customer_id: string }>(`SELECT u.customer_id FROM customers u WHERE ${page.join(' AND ')} ORDER BY u.customer_id LIMIT ${limit + 1}`, pageParams)).map((r) => r.customer_id);
  const shown = ids.slice(0, limit);
  if (shown.length === 0) return { customers: [], next: null, total };
  const list = shown.map((_, i) => `$${i + 1}`).join(', ');
  const rows = await db.query<{
    customer_id: string;
    name: string | null;
    phone: string | null;
    city: string | null;
    channel: string | null;
    registered_at: Date | null;
    stage: string | null;
    tier: string | null;
    rfm_class: string | null;
    clv_12m_fen: number | null;
    p_alive: number | null;
    risk: number | null;
  }>(
    `SELECT u.customer_id, u.name, u.phone, u.city, u.channel, u.registered_at, ls.stage, t.tier, r.rfm_class, cs.clv_12m_fen, cs.p_alive, ch.risk
     FROM customers u
     LEFT JOIN (SELECT customer_id, stage FROM lifecycle_stages WHERE customer_id IN (${list})) ls ON ls.customer_id = u.customer_id
     LEFT JOIN (SELECT customer_id, tier FROM tier_scores WHERE customer_id IN (${list})) t ON t.customer_id = u.customer_id
     LEFT JOIN (SELECT customer_id, rfm_class FROM rfm_scores WHERE customer_id IN (${list})) r ON r.customer_id = u.customer_id
     LEFT JOIN (SELECT customer_id, clv_12m_fen, p_alive FROM clv_scores WHERE customer_id IN (${list})) cs ON cs.customer_id = u.customer_id
     LEFT JOIN (SELECT customer_id, risk FROM churn_scores WHERE customer_id IN (${list})) ch ON ch.customer_id = u.customer_id
     WHERE u.customer_id IN (${list}) ORDER BY u.customer_id`,
    shown,
  );
  const mask = (value: string | null, fn: (v: string) => string) => (pii.reveal || value === null ? value : fn(value));
  const num = (value: number | null) => (value === null ? null : Number(value));
  return {
    customers: rows.map((r) => ({
      customerId: r.customer_id,
      name: mask(openPii(ring, r.name), maskName),
      phone: mask(openPii(ring, r.phone), maskPhone),
      city: r.city,
      channel: r.channel,
      registeredAt: r.registered_at,
      stage: r.stage,
      tier: r.tier,
      rfmClass: r.rfm_class,
      clv12mFen: num(r.clv_12m_fen),
      pAlive: num(r.p_alive),
      churnRisk: num(r.risk),
    })),
    next: ids.length > limit ? shown.at(-1)! : null,
    total,
  };
}

/** The values the list's filters can take now: cities, channels and tags in use, with their customers, most first. */
export async function customerFilterValues(db: Queryable): Promise<{ cities: { value: string; customers: number }[]; channels: { value: string; customers: number }[]; tags: { value: string; customers: number }[] }> {
  const top = async (sql: string) => (await db.query<{ value: string; n: number }>(sql)).map((r) => ({ value: r.value, customers: Number(r.n) }));
  return {
    cities: await top('SELECT city AS value, count(*) AS n FROM customers WHERE merged_into IS NULL AND city IS NOT NULL GROUP BY city ORDER BY n DESC, city LIMIT 200'),
    channels: await top('SELECT channel AS value, count(*) AS n FROM customers WHERE merged_into IS NULL AND channel IS NOT NULL GROUP BY channel ORDER BY n DESC, channel LIMIT 200'),
    tags: await top('SELECT tag AS value, count(*) AS n FROM customer_tags GROUP BY tag ORDER BY n DESC, tag LIMIT 200'),
  };
}
