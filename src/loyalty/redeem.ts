import { SiyuError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import { readBrandSettings, type Queryable, type Store } from '../store/index.ts';
import { loadCandidates, localDay } from './candidates.ts';
import { normaliseCode } from './codes.ts';
import { giveUse, takeUse, type Use } from './counters.ts';
import { priceCart, type Pricing } from './pricing.ts';
import { Cart, RedeemInput, type CartInput } from './schemas.ts';
import { transactionWithRetry } from './retry.ts';

/** The coupons a cart may use, the discount per line, and why each other coupon does not apply. Writes nothing. */
export async function validateCart(db: Queryable, input: CartInput | unknown, now = new Date()): Promise<Pricing> {
  const cart = parseOrThrow(Cart, input, 'cart');
  const { timezone } = await readBrandSettings(db);
  const candidates = await loadCandidates(db, { codes: cart.codes, customerId: cart.customerId, withWallet: true, now, day: localDay(timezone, now) });
  return priceCart(cart, candidates);
}

export type RedemptionStatus = 'redeemed' | 'released' | 'rejected';

export interface Redemption {
  key: string;
  status: RedemptionStatus;
  code: string | null;
  offerId: string | null;
  customerId: string | null;
  orderId: string | null;
  discountFen: number;
  reversedDiscountFen: number;
  reason: string | null;
  lines: { line: number; discountFen: number }[];
  redeemedAt: Date;
  releasedAt: Date | null;
  /** True when this call found the key already used and changed nothing. */
  isReplay: boolean;
}

export function redemptionFromRow(r: Record<string, unknown>, isReplay: boolean): Redemption {
  const lines = typeof r.lines === 'string' ? JSON.parse(r.lines) : (r.lines ?? []);
  return {
    key: String(r.redemption_key),
    status: r.status as RedemptionStatus,
    code: (r.code as string | null) ?? null,
    offerId: (r.offer_id as string | null) ?? null,
    customerId: (r.customer_id as string | null) ?? null,
    orderId: (r.order_id as string | null) ?? null,
    discountFen: Number(r.discount_fen),
    reversedDiscountFen: Number(r.reversed_discount_fen),
    reason: (r.reason as string | null) ?? null,
    lines,
    redeemedAt: r.redeemed_at as Date,
    releasedAt: (r.released_at as Date | null) ?? null,
    isReplay,
  };
}

export async function findRedemption(db: Queryable, key: string): Promise<Redemption | undefined> {
  const row = (await db.query('SELECT * FROM coupon_redemptions WHERE redemption_key = $1', [key]))[0];
  return row ? redemptionFromRow(row, true) : undefined;
}

/** A refusal inside the redemption's transaction: it rolls back, and the caller gets a `rejected` outcome. */
class Rejected extends SiyuError {
  constructor(readonly reason: string) {
    super('conflict', 'coupon_rejected', reason);
  }
}

/**
 * Redeems one code for a cart, exactly once per caller key: a repeat of the key returns the first outcome and counts
 * nothing again. The discount is priced from the cart; the code, budget, customer and day counters are taken by
 * guarded updates in this transaction. A rejection stores nothing, so the same key may be tried again later.
 */
export async function redeemCoupon(store: Store, input: RedeemInput | unknown, now = new Date()): Promise<Redemption> {
  const r = parseOrThrow(RedeemInput, input, 'redemption');
  const code = normaliseCode(r.code);
  const { timezone } = await readBrandSettings(store);
  const day = localDay(timezone, now);
  try {
    return await transactionWithRetry(store, async (tx) => {
      const existing = await findRedemption(tx, r.key);
      if (existing) return existing;
      const [candidate] = await loadCandidates(tx, { codes: [code], customerId: r.cart.customerId, withWallet: false, now, day });
      const priced = priceCart(r.cart, [candidate!]);
      const applied = priced.applied[0];
      if (!applied) throw new Rejected(priced.rejected[0]?.reason ?? 'not applicable');
      const offer = candidate!.offer!;
      const use: Use = { code, offerId: applied.offerId, customerId: r.cart.customerId ?? candidate!.ownerId ?? null, day, discountFen: applied.discountFen + applied.shippingDiscountFen, perCustomerLimit: offer.perCustomerLimit, perDayLimit: offer.perDayLimit };
      const payFen = priced.lines.reduce((s, l) => s + l.payFen, 0);
      // The redemption row first, the counters last: a refusal rolls both back, and the rows every redemption of a
      // popular offer locks are then held only until the commit that follows (counters.ts).
      await tx.execute(
        `INSERT INTO coupon_redemptions (redemption_key, code, offer_id, customer_id, order_id, status, discount_fen, order_total_fen, day, lines, source, redeemed_at)
         VALUES ($1, $2, $3, $4, $5, 'redeemed', $6, $7, $8, $9, 'api', $10)`,
        [r.key, code, use.offerId, use.customerId, r.orderId ?? null, use.discountFen, payFen, day, JSON.stringify(applied.lines), now],
      );
      const refused = await takeUse(tx, use, now);
      if (refused) throw new Rejected(refused);
      const lines = applied.lines;
      return { key: r.key, status: 'redeemed' as const, code, offerId: use.offerId, customerId: use.customerId, orderId: r.orderId ?? null, discountFen: use.discountFen, reversedDiscountFen: 0, reason: null, lines, redeemedAt: now, releasedAt: null, isReplay: false };
    });
  } catch (error) {
    if (!(error instanceof Rejected)) throw error;
    return { key: r.key, status: 'rejected', code, offerId: null, customerId: r.cart.customerId ?? null, orderId: r.orderId ?? null, discountFen: 0, reversedDiscountFen: 0, reason: error.reason, lines: [], redeemedAt: now, releasedAt: null, isReplay: false };
  }
}

/**
 * Releases a redemption (the order was not paid, or was cancelled): its counters are given back by deltas, once. A
 * release that arrives before its redemption is kept under the key, so the late redemption then counts nothing.
 */
export async function releaseRedemption(store: Store, key: string, options: { reason?: string; now?: Date } = {}): Promise<Redemption> {
  if (!key) throw new SiyuError('validation', 'invalid_key', 'key is required', { details: [{ path: 'key', message: 'required' }] });
  const now = options.now ?? new Date();
  return transactionWithRetry(store, async (tx) => {
    const existing = await findRedemption(tx, key);
    if (!existing) {
      await tx.execute(`INSERT INTO coupon_redemptions (redemption_key, status, reason, source, redeemed_at, released_at) VALUES ($1, 'released', 'released before any redemption', 'api', $2, $2)`, [key, now]);
      return { ...(await findRedemption(tx, key))!, isReplay: false };
    }
    const released = await releaseInTx(tx, key, options.reason ?? 'released', now);
    return { ...(await findRedemption(tx, key))!, isReplay: !released };
  });
}

/** Moves a redeemed row to released and gives its counters back; false when it was not redeemed (nothing changes). */
export async function releaseInTx(tx: Queryable, key: string, reason: string, now: Date): Promise<boolean> {
  const row = (await tx.query<{ code: string; offer_id: string; customer_id: string | null; day: string; discount_fen: number }>(
    `SELECT code, offer_id, customer_id, day, discount_fen FROM coupon_redemptions WHERE redemption_key = $1 AND status = 'redeemed'`,
    [key],
  ))[0];
  if (!row) return false;
  const changed = await tx.execute(`UPDATE coupon_redemptions SET status = 'released', reason = $2, released_at = $3 WHERE redemption_key = $1 AND status = 'redeemed'`, [key, reason, now]);
  if (changed !== 1) return false;
  await giveUse(tx, { code: row.code, offerId: row.offer_id, customerId: row.customer_id, day: row.day, discountFen: Number(row.discount_fen) }, now);
  return true;
}
