import { dialect, jsonRowsParam, readBrandSettings, type Queryable } from '../store/index.ts';
import { localDay } from './candidates.ts';
import { normaliseCode } from './codes.ts';
import { takeUse } from './counters.ts';
import { releaseInTx } from './redeem.ts';

/** What loyalty needs of an ingested order event (ingest's OrderChange, narrowed). */
export interface LoyaltyOrderEvent {
  customerId: string;
  event: 'Order Completed' | 'Order Updated' | 'Order Refunded' | 'Order Cancelled';
  orderId: string;
  couponCode?: string;
  discountFen?: number;
  ts: Date;
}

export interface OrderState {
  customer_id: string;
  order_id: string;
  status: string;
  total_fen: number;
  refunded_fen: number;
}

/** The stored orders of these events, after ingest applied them. */
export async function loadOrderStates(tx: Queryable, events: readonly LoyaltyOrderEvent[]): Promise<Map<string, OrderState>> {
  const keys = [...new Map(events.map((e) => [`${e.customerId}\u0000${e.orderId}`, [e.customerId, e.orderId]])).values()];
  if (keys.length === 0) return new Map();
  const rows = await tx.query<OrderState>(
    `SELECT o.customer_id, o.order_id, o.status, o.total_fen, o.refunded_fen FROM orders o JOIN ${dialect(tx.kind).jsonRows('$1', ['c', 'o'])} k ON o.customer_id = k.c AND o.order_id = k.o`,
    [jsonRowsParam(keys)],
  );
  return new Map(rows.map((r) => [`${r.customer_id}\u0000${r.order_id}`, { ...r, total_fen: Number(r.total_fen), refunded_fen: Number(r.refunded_fen) }]));
}

/**
 * Coupons on ingested orders, inside ingest's transaction:
 * - Order Completed with a coupon code Siyu issued redeems it once, keyed by the order (a redelivered event, or a
 *   redemption the mall already made through the API for this order and code, counts nothing again); a refusal
 *   (budget used up…) is kept as a rejected redemption, since the order happened anyway.
 * - Order Cancelled releases the order's coupons.
 * - Order Refunded: a full refund gives the coupon back when the offer says so and it has not expired; otherwise the
 *   refunded share of the discount (pro rata to what was paid) is recorded as reversed, by a delta to the new total.
 */
export async function applyOrderCoupons(tx: Queryable, events: readonly LoyaltyOrderEvent[], orders: Map<string, OrderState>, at: Date): Promise<void> {
  if (!events.some((e) => e.couponCode || e.event === 'Order Cancelled' || e.event === 'Order Refunded')) return;
  const { timezone } = await readBrandSettings(tx);
  for (const e of events) {
    const order = orders.get(`${e.customerId}\u0000${e.orderId}`);
    if (e.event === 'Order Completed' && e.couponCode) await redeemForOrder(tx, e, localDay(timezone, e.ts), at);
    else if (order && (e.event === 'Order Cancelled' || e.event === 'Order Refunded')) await reverseForOrder(tx, order, at);
  }
}

async function redeemForOrder(tx: Queryable, e: LoyaltyOrderEvent, day: string, at: Date): Promise<void> {
  const code = normaliseCode(e.couponCode!);
  const known = (await tx.query<{ offer_id: string; per_customer_limit: number | null; per_day_limit: number | null }>('SELECT c.offer_id, o.per_customer_limit, o.per_day_limit FROM coupon_codes c JOIN loyalty_offers o ON o.offer_id = c.offer_id WHERE c.code = $1', [code]))[0];
  if (!known) return; // a code of another system: nothing of Siyu's to count
  const already = await tx.query('SELECT 1 AS x FROM coupon_redemptions WHERE customer_id = $1 AND order_id = $2 AND code = $3', [e.customerId, e.orderId, code]);
  if (already.length > 0) return;
  const key = `order:${e.customerId}:${e.orderId}:${code}`;
  const discountFen = e.discountFen ?? 0;
  const refused = await takeUse(tx, { code, offerId: known.offer_id, customerId: e.customerId, day, discountFen, perCustomerLimit: known.per_customer_limit === null ? null : Number(known.per_customer_limit), perDayLimit: known.per_day_limit === null ? null : Number(known.per_day_limit) }, at);
  await tx.execute(
    `INSERT INTO coupon_redemptions (redemption_key, code, offer_id, customer_id, order_id, status, reason, discount_fen, day, source, redeemed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'order', $10)`,
    [key, code, known.offer_id, e.customerId, e.orderId, refused ? 'rejected' : 'redeemed', refused ?? null, refused ? 0 : discountFen, day, e.ts],
  );
}

async function reverseForOrder(tx: Queryable, order: OrderState, at: Date): Promise<void> {
  const rows = await tx.query<{ redemption_key: string; discount_fen: number; reversed_discount_fen: number; is_refund_returning: boolean; expires_at: Date | null }>(
    `SELECT r.redemption_key, r.discount_fen, r.reversed_discount_fen, o.is_refund_returning, c.expires_at
     FROM coupon_redemptions r JOIN loyalty_offers o ON o.offer_id = r.offer_id JOIN coupon_codes c ON c.code = r.code
     WHERE r.customer_id = $1 AND r.order_id = $2 AND r.status = 'redeemed'`,
    [order.customer_id, order.order_id],
  );
  for (const r of rows) {
    if (order.status === 'cancelled') {
      await releaseInTx(tx, r.redemption_key, 'order cancelled', at);
      continue;
    }
    const fullyRefunded = order.status === 'refunded';
    if (fullyRefunded && r.is_refund_returning && (!r.expires_at || r.expires_at > at)) {
      await releaseInTx(tx, r.redemption_key, 'order refunded: coupon returned', at);
      continue;
    }
    const discount = Number(r.discount_fen);
    const target = fullyRefunded ? discount : order.total_fen > 0 ? Math.min(discount, Math.round((discount * order.refunded_fen) / order.total_fen)) : 0;
    const was = Number(r.reversed_discount_fen);
    if (target !== was) {
      await tx.execute('UPDATE coupon_redemptions SET reversed_discount_fen = reversed_discount_fen + $2 WHERE redemption_key = $1 AND reversed_discount_fen = $3', [r.redemption_key, target - was, was]);
    }
  }
}
