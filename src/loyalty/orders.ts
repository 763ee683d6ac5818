import type { Queryable } from '../store/index.ts';
import { applyOrderCoupons, loadOrderStates, type LoyaltyOrderEvent } from './order-coupons.ts';
import { applyOrderPoints } from './order-points.ts';

export type { LoyaltyOrderEvent } from './order-coupons.ts';

/**
 * Loyalty's part of ingesting order events, in ingest's transaction after the orders table is updated: coupons
 * redeemed, released or reversed (order-coupons.ts). Only events of customers or codes the program knows cost queries.
 */
export async function applyLoyaltyOrders(tx: Queryable, events: readonly LoyaltyOrderEvent[], at: Date): Promise<void> {
  if (events.length === 0) return;
  // The common case for a brand without a programme or coupons costs one query.
  const couponish = events.some((e) => e.couponCode || e.event === 'Order Cancelled' || e.event === 'Order Refunded');
  const [on] = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM loyalty_settings WHERE key IN ('points', 'tiers')`);
  if (!couponish && Number(on?.n ?? 0) === 0) return;
  const orders = await loadOrderStates(tx, events);
  await applyOrderCoupons(tx, events, orders, at);
  await applyOrderPoints(tx, events, orders, at);
}
