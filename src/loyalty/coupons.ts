import { randomBytes } from 'node:crypto';
import { localActor, recordAudit } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { jsonRowsParam, dialect, type Queryable, type Store } from '../store/index.ts';
import { generateCodes, normaliseCode } from './codes.ts';
import { getOffer, type Offer } from './offers.ts';

export type CouponState = 'issued' | 'claimed' | 'redeemed' | 'expired' | 'void';

export interface Coupon {
  code: string;
  offerId: string;
  offerName: string;
  customerId: string | null;
  state: CouponState;
  isShared: boolean;
  used: number;
  maxUses: number | null;
  issuedAt: Date;
  claimedAt: Date | null;
  expiresAt: Date | null;
  source: string | null;
}

function couponFromRow(r: Record<string, unknown>): Coupon {
  return {
    code: String(r.code),
    offerId: String(r.offer_id),
    offerName: String(r.name ?? r.offer_id),
    customerId: (r.customer_id as string | null) ?? null,
    state: r.state as CouponState,
    isShared: Boolean(r.is_shared),
    used: Number(r.used),
    maxUses: r.max_uses === null ? null : Number(r.max_uses),
    issuedAt: r.issued_at as Date,
    claimedAt: (r.claimed_at as Date | null) ?? null,
    expiresAt: (r.expires_at as Date | null) ?? null,
    source: (r.source as string | null) ?? null,
  };
}

/** When a coupon of `offer` claimed at `at` expires: N days from claiming within the window's end, else the window's end. */
export function expiryFor(offer: Pick<Offer, 'validDays' | 'validTo'>, at: Date): Date | null {
  const byDays = offer.validDays ? new Date(at.getTime() + offer.validDays * 86_400_000) : null;
  if (byDays && offer.validTo) return byDays < offer.validTo ? byDays : offer.validTo;
  return byDays ?? offer.validTo;
}

function assertIssuable(offer: Offer): void {
  if (offer.status !== 'active') throw new SiyuError('conflict', 'offer_not_active', `offer ${offer.id} is ${offer.status}`);
}

/** Generates `count` unique single-use codes for an offer (state issued, nobody's yet): a batch to print or hand out. */
export async function createCodeBatch(store: Store, offerId: string, input: { count: number; prefix?: string; actor?: string; now?: Date }): Promise<{ batchId: string; codes: string[] }> {
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > 1_000_000) throw new SiyuError('validation', 'invalid_count', 'count must be a whole number from 1 to 1,000,000', { details: [{ path: 'count', message: 'out of range' }] });
  const prefix = (input.prefix ?? offerId.replace(/[^A-Za-z0-9]/g, '').slice(0, 6) ?? 'C').toUpperCase() || 'C';
  if (!/^[A-Z0-9]{1,10}$/.test(prefix)) throw new SiyuError('validation', 'invalid_prefix', 'prefix must be 1–10 letters or digits', { details: [{ path: 'prefix', message: 'letters or digits only' }] });
  const now = input.now ?? new Date();
  const batchId = `B${now.getTime().toString(36)}${randomBytes(3).toString('hex')}`.toUpperCase();
  return store.transaction(async (tx) => {
    const offer = await getOffer(tx, offerId);
    assertIssuable(offer);
    const codes = generateCodes(prefix, input.count);
    await tx.insertRows(
      'coupon_codes',
      ['code', 'offer_id', 'batch_id', 'is_shared', 'state', 'max_uses', 'used', 'issued_at', 'expires_at', 'source', 'updated_at'],
      codes.map((code) => [code, offerId, batchId, false, 'issued', 1, 0, now, offer.validTo, 'batch', now]),
    );
    await recordAudit(tx, { actor: input.actor ?? localActor(), action: 'coupon.batch', target: offerId, details: { batchId, count: input.count }, at: now });
    return { batchId, codes };
  });
}

/** Imports codes made elsewhere (a marketplace, a printer) as single-use codes of an offer; returns the rejects with their line. */
export async function importCodes(store: Store, offerId: string, codes: readonly string[], options: { actor?: string; now?: Date } = {}) {
  const now = options.now ?? new Date();
  const batchId = `I${now.getTime().toString(36)}`.toUpperCase();
  const rejected: { line: number; code: string; reason: string }[] = [];
  const seen = new Set<string>();
  const fresh: string[] = [];
  codes.forEach((raw, i) => {
    const code = normaliseCode(raw);
    if (!/^[A-Z0-9-]{3,40}$/.test(code)) rejected.push({ line: i + 1, code: raw, reason: '3–40 letters, digits or dashes' });
    else if (seen.has(code)) rejected.push({ line: i + 1, code, reason: 'repeated in the file' });
    else {
      seen.add(code);
      fresh.push(code);
    }
  });
  return store.transaction(async (tx) => {
    const offer = await getOffer(tx, offerId);
    assertIssuable(offer);
    const taken = new Set((await tx.query<{ code: string }>(`SELECT c.code FROM coupon_codes c JOIN ${dialect(tx.kind).jsonRows('$1', ['code'])} k ON c.code = k.code`, [jsonRowsParam(fresh.map((c) => [c]))])).map((r) => r.code));
    const accepted = fresh.filter((c) => !taken.has(c));
    for (const c of fresh) if (taken.has(c)) rejected.push({ line: codes.findIndex((x) => normaliseCode(x) === c) + 1, code: c, reason: 'code exists already' });
    await tx.insertRows(
      'coupon_codes',
      ['code', 'offer_id', 'batch_id', 'is_shared', 'state', 'max_uses', 'used', 'issued_at', 'expires_at', 'source', 'updated_at'],
      accepted.map((code) => [code, offerId, batchId, false, 'issued', 1, 0, now, offer.validTo, 'import', now]),
    );
    await recordAudit(tx, { actor: options.actor ?? localActor(), action: 'coupon.import', target: offerId, details: { batchId, accepted: accepted.length, rejected: rejected.length }, at: now });
    return { batchId, accepted: accepted.length, rejected: rejected.sort((a, b) => a.line - b.line) };
  });
}

export type IssueOutcome = { customerId: string; outcome: 'issued' | 'already_issued'; code: string } | { customerId: string; outcome: 'rejected'; reason: string };

/**
 * Puts a coupon of `offerId` in each customer's wallet (claimed now), inside the caller's transaction (a journey
 * step's): set-based, idempotent on `source` and the customer (a repeat returns the code issued the first time).
 */
export async function issueCoupons(tx: Queryable, offerId: string, customerIds: readonly string[], options: { source: string; now?: Date }): Promise<IssueOutcome[]> {
  const now = options.now ?? new Date();
  const offer = (await tx.query<{ status: string }>('SELECT status FROM loyalty_offers WHERE offer_id = $1', [offerId]))[0];
  const ids = [...new Set(customerIds)];
  if (!offer || offer.status !== 'active') return ids.map((customerId) => ({ customerId, outcome: 'rejected', reason: offer ? `offer ${offerId} is ${offer.status}` : `no offer ${offerId}` }));
  const full = await getOffer(tx, offerId);
  const keyOf = (c: string) => `${options.source}:${offerId}:${c}`;
  const before = await issuedBy(tx, ids.map(keyOf));
  const fresh = ids.filter((c) => !before.has(keyOf(c)));
  const codes = generateCodes(offerId.replace(/[^A-Za-z0-9]/g, '').slice(0, 6).toUpperCase() || 'C', fresh.length);
  await tx.insertRows(
    'coupon_codes',
    ['code', 'offer_id', 'is_shared', 'customer_id', 'state', 'max_uses', 'used', 'issued_at', 'claimed_at', 'expires_at', 'source', 'source_key', 'updated_at'],
    fresh.map((c, i) => [codes[i], offerId, false, c, 'claimed', 1, 0, now, now, expiryFor(full, now), options.source, keyOf(c), now]),
    'DO NOTHING',
  );
  const after = await issuedBy(tx, ids.map(keyOf));
  return ids.map((customerId) => ({ customerId, outcome: before.has(keyOf(customerId)) ? 'already_issued' : 'issued', code: after.get(keyOf(customerId))! }));
}

async function issuedBy(tx: Queryable, keys: readonly string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await tx.query<{ source_key: string; code: string }>(
    `SELECT c.source_key, c.code FROM coupon_codes c JOIN ${dialect(tx.kind).jsonRows('$1', ['k'])} k ON c.source_key = k.k`,
    [jsonRowsParam(keys.map((k) => [k]))],
  );
  return new Map(rows.map((r) => [r.source_key, r.code]));
}

/** A customer claims an unclaimed code: it moves to their wallet and its validity starts. */
export async function claimCoupon(store: Store, code: string, customerId: string, now = new Date()): Promise<Coupon> {
  const c = normaliseCode(code);
  return store.transaction(async (tx) => {
    const row = (await tx.query<{ offer_id: string; is_shared: boolean }>('SELECT offer_id, is_shared FROM coupon_codes WHERE code = $1', [c]))[0];
    if (!row) throw new SiyuError('not_found', 'code_not_found', `no coupon ${c}`);
    if (row.is_shared) throw new SiyuError('conflict', 'code_shared', `${c} is a shared code: it is used at checkout, not claimed`);
    const offer = await getOffer(tx, row.offer_id);
    assertIssuable(offer);
    const changed = await tx.execute(
      `UPDATE coupon_codes SET customer_id = $2, state = 'claimed', claimed_at = $3, expires_at = $4, updated_at = $3 WHERE code = $1 AND state = 'issued' AND customer_id IS NULL`,
      [c, customerId, now, expiryFor(offer, now)],
    );
    if (changed !== 1) throw new SiyuError('conflict', 'code_not_claimable', `coupon ${c} has been claimed, used or voided`);
    return (await listCoupons(tx, { code: c }))[0]!;
  });
}

/** Voids a coupon not yet redeemed (staff), audited. */
export async function voidCoupon(store: Store, code: string, options: { actor?: string; reason: string; now?: Date }): Promise<Coupon> {
  const c = normaliseCode(code);
  const now = options.now ?? new Date();
  return store.transaction(async (tx) => {
    const changed = await tx.execute(`UPDATE coupon_codes SET state = 'void', updated_at = $2 WHERE code = $1 AND state IN ('issued', 'claimed')`, [c, now]);
    if (changed !== 1) throw new SiyuError('conflict', 'code_not_voidable', `coupon ${c} does not exist or is no longer open`);
    await recordAudit(tx, { actor: options.actor ?? localActor(), action: 'coupon.void', target: c, details: { reason: options.reason }, at: now });
    return (await listCoupons(tx, { code: c }))[0]!;
  });
}

/** Coupons by customer (the wallet), offer or code, newest first. */
export async function listCoupons(db: Queryable, query: { customerId?: string; offerId?: string; code?: string; state?: CouponState; limit?: number }): Promise<Coupon[]> {
  const rows = await db.query(
    `SELECT c.*, o.name FROM coupon_codes c JOIN loyalty_offers o ON o.offer_id = c.offer_id
     WHERE ($1::TEXT IS NULL OR c.customer_id = $1) AND ($2::TEXT IS NULL OR c.offer_id = $2) AND ($3::TEXT IS NULL OR c.code = $3) AND ($4::TEXT IS NULL OR c.state = $4)
     ORDER BY c.issued_at DESC, c.code LIMIT $5`,
    [query.customerId ?? null, query.offerId ?? null, query.code ? normaliseCode(query.code) : null, query.state ?? null, query.limit ?? 1000],
  );
  return rows.map(couponFromRow);
}

/** Marks open coupons past their expiry as expired; idempotent (a second run changes nothing). */
export async function expireCoupons(db: Queryable, now = new Date()): Promise<number> {
  return db.execute(`UPDATE coupon_codes SET state = 'expired', updated_at = $1 WHERE state IN ('issued', 'claimed') AND NOT is_shared AND expires_at <= $1`, [now]);
}

/** One code batch of an offer: how many codes, and how far they got. */
export interface CodeBatch {
  batchId: string;
  source: string | null;
  codes: number;
  claimed: number;
  redeemed: number;
  expired: number;
  voided: number;
  issuedAt: Date;
  expiresAt: Date | null;
}

/** An offer's code batches (generated or imported), newest first, with the state of their codes counted in one query. */
export async function listCodeBatches(db: Queryable, offerId: string): Promise<CodeBatch[]> {
  const rows = await db.query(
    `SELECT batch_id, min(source) AS source, count(*) AS codes, count(*) FILTER (WHERE claimed_at IS NOT NULL) AS claimed,
            count(*) FILTER (WHERE state = 'redeemed') AS redeemed, count(*) FILTER (WHERE state = 'expired') AS expired,
            count(*) FILTER (WHERE state = 'void') AS voided, min(issued_at) AS issued_at, max(expires_at) AS expires_at
     FROM coupon_codes WHERE offer_id = $1 AND batch_id IS NOT NULL GROUP BY batch_id ORDER BY min(issued_at) DESC, batch_id`,
    [offerId],
  );
  return rows.map((r) => ({
    batchId: String(r.batch_id),
    source: (r.source as string | null) ?? null,
    codes: Number(r.codes),
    claimed: Number(r.claimed),
    redeemed: Number(r.redeemed),
    expired: Number(r.expired),
    voided: Number(r.voided),
    issuedAt: r.issued_at as Date,
    expiresAt: (r.expires_at as Date | null) ?? null,
  }));
}
