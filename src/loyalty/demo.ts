import { zonedInstant } from '../core/local-time.ts';
import { readBrandSettings, type Store } from '../store/index.ts';
import { upsertOffer } from './offers.ts';
import { expirePoints } from './points-expiry.ts';
import { couponCost, pointsLiability, tierReport } from './reports.ts';
import { readLoyaltySettings, writeLoyaltySettings } from './settings.ts';
import { evaluateTiers } from './tiers.ts';

/** The demo brand's offer catalogue: the codes its simulated orders carry (src/demo/generate.ts). */
export const DEMO_OFFERS = [
  { id: 'promo618', name: '618 全场85折', campaign: '618', rule: { kind: 'percent', percentOff: 15 }, sharedCode: 'PROMO618', stackGroup: 'platform' },
  { id: 'double11', name: '双11 全场85折', campaign: '双11', rule: { kind: 'percent', percentOff: 15 }, sharedCode: 'DOUBLE11', stackGroup: 'platform' },
  { id: 'new10', name: '新客无门槛10元', campaign: '拉新', rule: { kind: 'fixed', offFen: 1_000 }, sharedCode: 'NEW10', perCustomerLimit: 1 },
  { id: 'member20', name: '会员满99减20', campaign: '会员日', rule: { kind: 'spend_save', thresholdFen: 9_900, offFen: 2_000 }, minSpendFen: 9_900, sharedCode: 'MEMBER20', stackGroup: 'shop' },
  { id: 'vip-ship', name: 'VIP 包邮', campaign: '会员权益', rule: { kind: 'free_shipping' }, sharedCode: 'VIPSHIP' },
] as const;

export interface DemoLoyaltySummary {
  offers: number;
  redemptions: number;
  releasedOrReturned: number;
  discountFen: number;
  reversedDiscountFen: number;
  pointsEarned: number;
  pointsReversed: number;
  pointsRedeemed: number;
  pointsExpired: number;
  pointsOutstanding: number;
  liabilityFen: number;
  breakageRate: number;
  tiers: { tier: string; members: number }[];
}

/**
 * Seeds the demo brand's loyalty programme (offers, points and tier settings) and replays its simulated order history
 * through it, set-based: each order's coupon is redeemed (released when the order was cancelled, given back or its
 * discount reversed when refunded), each order earns points and growth (reversed for refunds and cancellations), most
 * points are spent at a later order, the points past their expiry expire, and tiers are evaluated. Idempotent: a
 * second call adds nothing. The replay is for history imported in bulk; live orders go through ingest
 * (applyLoyaltyOrders), where budgets and limits are enforced.
 */
export async function seedDemoLoyalty(store: Store, options: { now?: Date } = {}): Promise<DemoLoyaltySummary> {
  const now = options.now ?? new Date();
  const [first] = await store.query<{ at: Date | null }>('SELECT min(placed_at) AS at FROM orders');
  const from = first?.at ?? now;
  for (const o of DEMO_OFFERS) await upsertOffer(store, { ...o, validFrom: new Date(Math.min(from.getTime(), now.getTime()) - 86_400_000).toISOString() }, { now: from });
  await writeLoyaltySettings(store, 'points', { expiry: { kind: 'calendar' }, pendingDays: 15 });
  await writeLoyaltySettings(store, 'tiers', {});
  await store.transaction(async (tx) => {
    const settings = await readLoyaltySettings(tx, 'points');
    const { timezone } = await readBrandSettings(tx);
    await replayCoupons(tx);
    await replayPoints(tx, settings.pendingDays, timezone, now);
  });
  await expirePoints(store, now);
  await evaluateTiers(store, now);
  const cost = await couponCost(store);
  const liability = await pointsLiability(store, now);
  const [p] = await store.query<{ earned: number; reversed: number; redeemed: number; expired: number }>(
    `SELECT sum(CASE WHEN kind = 'earn' THEN points ELSE 0 END) AS earned, sum(CASE WHEN kind = 'reverse' THEN -points ELSE 0 END) AS reversed,
            sum(CASE WHEN kind = 'redeem' THEN -points ELSE 0 END) AS redeemed, sum(CASE WHEN kind = 'expire' THEN -points ELSE 0 END) AS expired FROM points_ledger`,
  );
  return {
    offers: cost.offers.length,
    redemptions: cost.offers.reduce((s, o) => s + o.redeemed, 0),
    releasedOrReturned: cost.offers.reduce((s, o) => s + o.released, 0),
    discountFen: cost.offers.reduce((s, o) => s + o.discountFen, 0),
    reversedDiscountFen: cost.offers.reduce((s, o) => s + o.reversedDiscountFen, 0),
    pointsEarned: Number(p?.earned ?? 0),
    pointsReversed: Number(p?.reversed ?? 0),
    pointsRedeemed: Number(p?.redeemed ?? 0),
    pointsExpired: Number(p?.expired ?? 0),
    pointsOutstanding: liability.outstandingPoints,
    liabilityFen: liability.liabilityFen,
    breakageRate: liability.breakageRate,
    tiers: (await tierReport(store, from, now)).distribution,
  };
}

type Tx = Parameters<Parameters<Store['transaction']>[0]>[0];

async function replayCoupons(tx: Tx): Promise<void> {
  // One redemption per order with a known code; cancelled orders released, fully refunded ones given back (the demo
  // offers return coupons on refunds), partial refunds reverse their share of the discount.
  await tx.execute(
    `INSERT INTO coupon_redemptions (redemption_key, code, offer_id, customer_id, order_id, status, reason, discount_fen, reversed_discount_fen, order_total_fen, day, source, redeemed_at, released_at)
     SELECT 'order:' || o.customer_id || ':' || o.order_id || ':' || c.code, c.code, c.offer_id, o.customer_id, o.order_id,
            CASE WHEN o.status IN ('cancelled', 'refunded') THEN 'released' ELSE 'redeemed' END,
            CASE o.status WHEN 'cancelled' THEN 'order cancelled' WHEN 'refunded' THEN 'order refunded: coupon returned' END,
            o.discount_fen, CASE WHEN o.status = 'partially_refunded' AND o.total_fen > 0 THEN CAST(round(o.discount_fen * o.refunded_fen * 1.0 / o.total_fen) AS BIGINT) ELSE 0 END,
            o.total_fen, CAST(CAST(o.placed_at AS DATE) AS VARCHAR), 'order', o.placed_at, CASE WHEN o.status IN ('cancelled', 'refunded') THEN o.updated_at END
     FROM orders o JOIN coupon_codes c ON c.code = upper(o.coupon_code)
     WHERE NOT EXISTS (SELECT 1 FROM coupon_redemptions r WHERE r.redemption_key = 'order:' || o.customer_id || ':' || o.order_id || ':' || c.code)`,
  );
  // The replay rebuilds the counters from the redemptions standing (no live redemption runs during a demo seed).
  await tx.execute(
    `UPDATE loyalty_offers SET used_count = d.n, used_discount_fen = d.fen
     FROM (SELECT offer_id, count(*) AS n, sum(discount_fen) AS fen FROM coupon_redemptions WHERE status = 'redeemed' GROUP BY offer_id) d WHERE loyalty_offers.offer_id = d.offer_id`,
  );
  await tx.execute(`UPDATE coupon_codes SET used = d.n FROM (SELECT code, count(*) AS n FROM coupon_redemptions WHERE status = 'redeemed' GROUP BY code) d WHERE coupon_codes.code = d.code`);
  await tx.execute(`DELETE FROM loyalty_offer_usage WHERE offer_id IN (SELECT offer_id FROM coupon_redemptions WHERE source = 'order')`);
  await tx.execute(
    `INSERT INTO loyalty_offer_usage (offer_id, scope, used)
     SELECT offer_id, 'c:' || customer_id, count(*) FROM coupon_redemptions WHERE status = 'redeemed' GROUP BY offer_id, customer_id
     UNION ALL SELECT offer_id, 'd:' || day, count(*) FROM coupon_redemptions WHERE status = 'redeemed' GROUP BY offer_id, day`,
  );
}

/**
 * Members spend points too: about 70% of the orders' points (chosen by the order id's last character, the same on
 * both engines) are redeemed whole at the member's next paid order once they are available and before they expire.
 * Points of members who do not come back in time expire, which is where the liability's breakage comes from.
 */
async function replayRedemptions(tx: Tx, pendingDays: number, now: Date): Promise<void> {
  await tx.execute('DROP TABLE IF EXISTS demo_redeem');
  await tx.execute(
    `CREATE TEMP TABLE demo_redeem AS
     SELECT r.customer_id, r.earned_on, r.redeemed_at, r.points, (SELECT min(o.order_id) FROM orders o WHERE o.customer_id = r.customer_id AND o.placed_at = r.redeemed_at) AS at_order
     FROM (SELECT e.customer_id, e.order_id AS earned_on, e.earned - e.reversed AS points, min(n.placed_at) AS redeemed_at
           FROM demo_earn e JOIN orders n ON n.customer_id = e.customer_id AND n.status NOT IN ('cancelled', 'refunded')
             AND n.placed_at >= e.placed_at + INTERVAL '${pendingDays} days' AND n.placed_at < e.expires_at AND n.placed_at <= $1
           WHERE e.earned > e.reversed AND ascii(right(e.order_id, 1)) % 10 < 7
           GROUP BY e.customer_id, e.order_id, e.earned, e.reversed) r`,
    [now],
  );
  const key = `'order:' || at_order || ':redeem:' || earned_on`;
  await tx.execute(
    `INSERT INTO points_ledger (customer_id, entry_key, kind, points, source, source_id, order_id, created_at)
     SELECT customer_id, ${key}, 'redeem', -points, 'order', at_order, at_order, redeemed_at FROM demo_redeem`,
  );
  await tx.execute(`INSERT INTO points_allocations (customer_id, entry_key, bucket_key, points) SELECT customer_id, ${key}, 'order:' || earned_on || ':earn', points FROM demo_redeem`);
  await tx.execute(
    `UPDATE points_buckets SET remaining = 0 FROM demo_redeem d WHERE points_buckets.customer_id = d.customer_id AND points_buckets.bucket_key = 'order:' || d.earned_on || ':earn'`,
  );
}

async function replayPoints(tx: Tx, pendingDays: number, timezone: string, now: Date): Promise<void> {
  const [range] = await tx.query<{ lo: Date | null; hi: Date | null }>('SELECT min(placed_at) AS lo, max(placed_at) AS hi FROM orders');
  if (!range?.lo || !range.hi) return;
  // Calendar expiry: earned in year Y, gone at the start of Y + 2 (brand time); a CASE over the years present.
  const years: number[] = [];
  for (let y = range.lo.getUTCFullYear() - 1; y <= range.hi.getUTCFullYear() + 1; y++) years.push(y);
  const expiry = `CASE ${years.map((y) => `WHEN o.placed_at < '${zonedInstant(timezone, y + 1, 1, 1).toISOString()}' THEN CAST('${zonedInstant(timezone, y + 2, 1, 1).toISOString()}' AS TIMESTAMPTZ)`).join(' ')} END`;
  const share = `CASE WHEN o.status IN ('cancelled', 'refunded') THEN 1.0 WHEN o.status = 'partially_refunded' AND o.total_fen > 0 THEN o.refunded_fen * 1.0 / o.total_fen ELSE 0 END`;
  await tx.execute('DROP TABLE IF EXISTS demo_earn');
  await tx.execute(
    `CREATE TEMP TABLE demo_earn AS
     SELECT o.customer_id, o.order_id, o.placed_at, CAST(floor(o.total_fen / 100.0) AS BIGINT) AS earned,
            CAST(floor(floor(o.total_fen / 100.0) * ${share}) AS BIGINT) AS reversed, ${expiry} AS expires_at, o.updated_at
     FROM orders o WHERE o.total_fen >= 100
       AND NOT EXISTS (SELECT 1 FROM points_ledger l WHERE l.customer_id = o.customer_id AND l.entry_key = 'order:' || o.order_id || ':earn')`,
  );
  await tx.execute(
    `INSERT INTO points_ledger (customer_id, entry_key, kind, points, source, source_id, order_id, created_at)
     SELECT customer_id, 'order:' || order_id || ':earn', 'earn', earned, 'order', order_id, order_id, placed_at FROM demo_earn
     UNION ALL
     SELECT customer_id, 'order:' || order_id || ':unearn:1000000', 'reverse', -reversed, 'order', order_id, order_id, greatest(updated_at, placed_at) FROM demo_earn WHERE reversed > 0`,
  );
  await tx.execute(
    `INSERT INTO points_buckets (customer_id, bucket_key, earned, remaining, available_at, expires_at, order_id, created_at)
     SELECT customer_id, 'order:' || order_id || ':earn', earned, earned - reversed, placed_at + INTERVAL '${pendingDays} days', expires_at, order_id, placed_at FROM demo_earn`,
  );
  await tx.execute(
    `INSERT INTO points_allocations (customer_id, entry_key, bucket_key, points)
     SELECT customer_id, 'order:' || order_id || ':unearn:1000000', 'order:' || order_id || ':earn', reversed FROM demo_earn WHERE reversed > 0`,
  );
  await replayRedemptions(tx, pendingDays, now);
  await tx.execute(`INSERT INTO points_accounts (customer_id, balance, updated_at) SELECT DISTINCT customer_id, 0, CAST($1 AS TIMESTAMPTZ) FROM demo_earn ON CONFLICT DO NOTHING`, [now]);
  await tx.execute(
    `UPDATE points_accounts SET balance = balance + d.net, updated_at = $1
     FROM (SELECT customer_id, sum(net) AS net FROM (SELECT customer_id, earned - reversed AS net FROM demo_earn UNION ALL SELECT customer_id, -points FROM demo_redeem) x GROUP BY customer_id) d
     WHERE points_accounts.customer_id = d.customer_id`,
    [now],
  );
  await tx.execute('DROP TABLE demo_redeem');
  await tx.execute(
    `INSERT INTO growth_ledger (customer_id, entry_key, points, source, source_id, created_at)
     SELECT customer_id, 'order:' || order_id, earned, 'order', order_id, placed_at FROM demo_earn
     UNION ALL SELECT customer_id, 'order:' || order_id || ':ungrow:1000000', -reversed, 'order', order_id, greatest(updated_at, placed_at) FROM demo_earn WHERE reversed > 0`,
  );
  await tx.execute('DROP TABLE demo_earn');
}
