import { readBrandSettings, type Queryable } from '../store/index.ts';
import type { LoyaltyOrderEvent, OrderState } from './order-coupons.ts';
import { awardPoints, consume, insertEntry, moveBalances } from './points.ts';
import { readLoyaltySettings } from './settings.ts';
import { awardGrowth, tierMultipliers } from './tiers.ts';

const keyOf = (c: string, o: string) => `${c}\u0000${o}`;

/**
 * Points and growth on ingested orders, in ingest's transaction:
 * - Order Completed earns floor(yuan paid × points per yuan × tier multiplier × campaign multiplier) points, pending
 *   for the program's pending days, keyed by the order (a redelivered event earns nothing again), and growth value.
 * - A refund or cancellation reverses the refunded share of those points (the order's own bucket first, then
 *   pending buckets, then usable ones; what the customer has already spent is written off and said so) and of the
 *   growth, and gives back the same share of the points spent on the order to their buckets when not expired. Each
 *   step is keyed by the share it brings the order to, so replays and out-of-order refunds count once.
 */
export async function applyOrderPoints(tx: Queryable, events: readonly LoyaltyOrderEvent[], orders: Map<string, OrderState>, at: Date): Promise<void> {
  const completed = events.filter((e) => e.event === 'Order Completed' && orders.get(keyOf(e.customerId, e.orderId))?.status === 'completed');
  // One reversal per order, dated by its latest refund or cancellation event.
  const reversals = new Map<string, { order: OrderState; ts: Date }>();
  for (const e of events) {
    const order = orders.get(keyOf(e.customerId, e.orderId));
    if ((e.event !== 'Order Refunded' && e.event !== 'Order Cancelled') || !order) continue;
    const seen = reversals.get(keyOf(e.customerId, e.orderId));
    if (!seen || seen.ts < e.ts) reversals.set(keyOf(e.customerId, e.orderId), { order, ts: e.ts });
  }
  if (completed.length === 0 && reversals.size === 0) return;
  // Points and growth are earned once the brand has set up its programme (`siyu loyalty settings points|tiers`).
  const configured = new Set((await tx.query<{ key: string }>(`SELECT key FROM loyalty_settings WHERE key IN ('points', 'tiers')`)).map((r) => r.key));
  if (configured.size === 0) return;
  const settings = await readLoyaltySettings(tx, 'points');
  const tiers = await readLoyaltySettings(tx, 'tiers');
  const { timezone } = await readBrandSettings(tx);
  if (completed.length > 0 && configured.has('points')) {
    const multipliers = await tierMultipliers(tx, completed.map((e) => e.customerId), tiers);
    const awards = completed.map((e) => {
      const order = orders.get(keyOf(e.customerId, e.orderId))!;
      const campaign = settings.campaigns.filter((c) => new Date(c.from) <= e.ts && e.ts < new Date(c.to)).reduce((m, c) => Math.max(m, c.multiplier), 1);
      const points = Math.floor((order.total_fen / 100) * settings.pointsPerYuan * (multipliers.get(e.customerId) ?? 1) * campaign);
      return { customerId: e.customerId, key: `order:${e.orderId}:earn`, points, source: 'order' as const, sourceId: e.orderId, orderId: e.orderId, at: e.ts };
    });
    await awardPoints(tx, awards, { now: at, settings, timezone });
  }
  if (completed.length > 0 && configured.has('tiers')) {
    await awardGrowth(tx, completed.map((e) => ({ customerId: e.customerId, key: `order:${e.orderId}`, points: Math.floor((orders.get(keyOf(e.customerId, e.orderId))!.total_fen / 100) * tiers.growthPerYuan), source: 'order', sourceId: e.orderId, at: e.ts })), at, tiers);
  }
  for (const { order, ts } of reversals.values()) await reverseOrder(tx, order, ts);
}

/** The share of an order refunded, in millionths so keys stay exact: 1,000,000 for a cancellation or full refund. */
function refundedShare(order: OrderState): number {
  if (order.status === 'cancelled' || order.status === 'refunded') return 1_000_000;
  return order.total_fen > 0 ? Math.min(1_000_000, Math.round((order.refunded_fen * 1_000_000) / order.total_fen)) : 0;
}

async function reverseOrder(tx: Queryable, order: OrderState, at: Date): Promise<void> {
  const share = refundedShare(order);
  if (share === 0) return;
  const c = order.customer_id;
  const o = order.order_id;
  const entries = await tx.query<{ entry_key: string; kind: string; points: number }>(`SELECT entry_key, kind, points FROM points_ledger WHERE customer_id = $1 AND order_id = $2`, [c, o]);
  const stepAt = (prefix: string) => Math.max(0, ...entries.filter((e) => e.entry_key.startsWith(prefix)).map((e) => Number(e.entry_key.slice(prefix.length))));
  const earned = Number(entries.find((e) => e.entry_key === `order:${o}:earn`)?.points ?? 0);
  const unearnPrefix = `order:${o}:unearn:`;
  const doneShare = stepAt(unearnPrefix);
  if (earned > 0 && share > doneShare) {
    const want = Math.floor((earned * share) / 1_000_000) - Math.floor((earned * doneShare) / 1_000_000);
    const key = `${unearnPrefix}${share}`;
    const taken = await consume(tx, c, key, want, at, { pendingToo: true, preferBucket: `order:${o}:earn` });
    await insertEntry(tx, { customerId: c, key, kind: 'reverse', points: -taken, source: 'order', sourceId: o, orderId: o, at, reason: taken < want ? `refund: ${want} points to reverse, ${want - taken} already spent and written off` : 'refund' });
  }
  const spent = -entries.filter((e) => e.kind === 'redeem').reduce((s, e) => s + Number(e.points), 0);
  const restorePrefix = `order:${o}:restore:`;
  const restoredShare = stepAt(restorePrefix);
  if (spent > 0 && share > restoredShare) {
    const want = Math.floor((spent * share) / 1_000_000) - Math.floor((spent * restoredShare) / 1_000_000);
    await restoreSpent(tx, order, `${restorePrefix}${share}`, want, at);
  }
  const grown = await tx.query<{ points: number }>(`SELECT points FROM growth_ledger WHERE customer_id = $1 AND entry_key = $2`, [c, `order:${o}`]);
  const growth = Number(grown[0]?.points ?? 0);
  const growthDone = Math.max(0, ...(await tx.query<{ entry_key: string }>(`SELECT entry_key FROM growth_ledger WHERE customer_id = $1 AND entry_key LIKE $2`, [c, `order:${o}:ungrow:%`])).map((r) => Number(r.entry_key.split(':').pop())));
  if (growth > 0 && share > growthDone) {
    const back = Math.floor((growth * share) / 1_000_000) - Math.floor((growth * growthDone) / 1_000_000);
    await tx.execute(`INSERT INTO growth_ledger (customer_id, entry_key, points, source, source_id, created_at) VALUES ($1, $2, $3, 'order', $4, $5)`, [c, `order:${o}:ungrow:${share}`, -back, o, at]);
  }
}

/** Gives `want` of the points spent on an order back to the buckets they came from, those not yet expired. */
async function restoreSpent(tx: Queryable, order: OrderState, key: string, want: number, at: Date): Promise<void> {
  const c = order.customer_id;
  const allocations = await tx.query<{ bucket_key: string; points: number; expires_at: Date }>(
    `SELECT a.bucket_key, sum(a.points) AS points, min(b.expires_at) AS expires_at FROM points_allocations a
     JOIN points_ledger l ON l.customer_id = a.customer_id AND l.entry_key = a.entry_key
     JOIN points_buckets b ON b.customer_id = a.customer_id AND b.bucket_key = a.bucket_key
     WHERE a.customer_id = $1 AND l.order_id = $2 AND l.kind IN ('redeem', 'reverse') AND (l.kind = 'redeem' OR a.points < 0)
     GROUP BY a.bucket_key ORDER BY min(b.expires_at) DESC, a.bucket_key`,
    [c, order.order_id],
  );
  let left = want;
  const gives: [string, number][] = [];
  for (const a of allocations) {
    const give = Math.min(left, Number(a.points));
    if (give <= 0) continue;
    left -= give;
    if (a.expires_at > at) gives.push([a.bucket_key, give]);
  }
  const restored = gives.reduce((s, [, g]) => s + g, 0);
  for (const [bucket, give] of gives) await tx.execute('UPDATE points_buckets SET remaining = remaining + $3 WHERE customer_id = $1 AND bucket_key = $2', [c, bucket, give]);
  await tx.insertRows('points_allocations', ['customer_id', 'entry_key', 'bucket_key', 'points'], gives.map(([b, g]) => [c, key, b, -g]));
  await moveBalances(tx, [[c, restored]], at);
  await insertEntry(tx, { customerId: c, key, kind: 'reverse', points: restored, source: 'order', sourceId: order.order_id, orderId: order.order_id, at, reason: restored < want ? `refund: ${want - restored} of the spent points had expired and are not given back` : 'refund: spent points given back' });
}
