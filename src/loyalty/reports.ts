import type { Queryable } from '../store/index.ts';
import { readLoyaltySettings } from './settings.ts';

const n = (v: unknown) => Number(v ?? 0);

export interface PointsRollForward {
  from: Date;
  to: Date;
  opening: number;
  earned: number;
  redeemed: number;
  expired: number;
  reversed: number;
  adjusted: number;
  closing: number;
  closingPending: number;
  closingActive: number;
}

/**
 * Points roll-forward for [from, to): opening + earned − redeemed − expired ± reversals and adjustments = closing,
 * straight from the ledger, with the closing balance split pending and active as of `to` (each bucket's earned points
 * less what entries before `to` took from it).
 */
export async function pointsRollForward(db: Queryable, from: Date, to: Date): Promise<PointsRollForward> {
  const [r] = await db.query(
    `SELECT sum(CASE WHEN created_at < $1 THEN points ELSE 0 END) AS opening,
            sum(CASE WHEN created_at >= $1 AND created_at < $2 AND kind = 'earn' THEN points ELSE 0 END) AS earned,
            sum(CASE WHEN created_at >= $1 AND created_at < $2 AND kind = 'redeem' THEN -points ELSE 0 END) AS redeemed,
            sum(CASE WHEN created_at >= $1 AND created_at < $2 AND kind = 'expire' THEN -points ELSE 0 END) AS expired,
            sum(CASE WHEN created_at >= $1 AND created_at < $2 AND kind = 'reverse' THEN points ELSE 0 END) AS reversed,
            sum(CASE WHEN created_at >= $1 AND created_at < $2 AND kind = 'adjust' THEN points ELSE 0 END) AS adjusted,
            sum(CASE WHEN created_at < $2 THEN points ELSE 0 END) AS closing
     FROM points_ledger`,
    [from, to],
  );
  const [p] = await db.query(
    `SELECT coalesce(sum(b.earned - coalesce(t.taken, 0)), 0) AS pending FROM points_buckets b
     JOIN points_ledger e ON e.customer_id = b.customer_id AND e.entry_key = b.bucket_key AND e.created_at < $1
     LEFT JOIN (SELECT a.customer_id, a.bucket_key, sum(a.points) AS taken FROM points_allocations a
                JOIN points_ledger l ON l.customer_id = a.customer_id AND l.entry_key = a.entry_key AND l.created_at < $1 GROUP BY 1, 2) t
       ON t.customer_id = b.customer_id AND t.bucket_key = b.bucket_key
     WHERE b.available_at > $1`,
    [to],
  );
  const closing = n(r!.closing);
  return {
    from, to, opening: n(r!.opening), earned: n(r!.earned), redeemed: n(r!.redeemed), expired: n(r!.expired), reversed: n(r!.reversed), adjusted: n(r!.adjusted),
    closing, closingPending: n(p!.pending), closingActive: closing - n(p!.pending),
  };
}

export interface PointsLiability {
  asOf: Date;
  outstandingPoints: number;
  valuePerPointFen: number;
  /** Of the points earned in closed cohorts (every bucket earned then has expired or been used), the share that expired. */
  breakageRate: number;
  cohortsUsed: number;
  expectedRedemptionRate: number;
  /** Outstanding points × value per point × expected redemption rate (IFRS 15 B46, CAS 14 第四十二条; docs/loyalty.md). */
  liabilityFen: number;
  grossFen: number;
  schedule: { month: string; points: number }[];
}

/**
 * The points liability: what the outstanding points are worth at the expected redemption rate. Breakage is estimated
 * from past cohorts (points earned in a month) that are closed, i.e. whose buckets have all expired or been used by
 * `asOf`: breakage = expired ÷ (earned − reversed). With no closed cohort it is 0, the prudent figure, and said so.
 */
export async function pointsLiability(db: Queryable, asOf: Date): Promise<PointsLiability> {
  const settings = await readLoyaltySettings(db, 'points');
  const cohorts = await db.query(
    `WITH b AS (SELECT customer_id, bucket_key, earned, remaining, expires_at, date_trunc('month', created_at) AS cohort FROM points_buckets),
          closed AS (SELECT cohort FROM b GROUP BY cohort HAVING max(CASE WHEN remaining > 0 AND expires_at > $1 THEN 1 ELSE 0 END) = 0),
          took AS (SELECT a.customer_id, a.bucket_key, l.kind, sum(a.points) AS points FROM points_allocations a
                   JOIN points_ledger l ON l.customer_id = a.customer_id AND l.entry_key = a.entry_key GROUP BY 1, 2, 3)
     SELECT count(DISTINCT b.cohort) AS cohorts, coalesce(sum(CASE WHEN t.kind = 'expire' THEN t.points ELSE 0 END), 0) AS expired,
            coalesce(sum(CASE WHEN t.kind = 'reverse' THEN t.points ELSE 0 END), 0) AS reversed
     FROM b JOIN closed c ON c.cohort = b.cohort
     LEFT JOIN took t ON t.customer_id = b.customer_id AND t.bucket_key = b.bucket_key`,
    [asOf],
  );
  const [earnedClosed] = await db.query(
    `SELECT coalesce(sum(b.earned), 0) AS earned FROM points_buckets b WHERE date_trunc('month', b.created_at) IN (
       SELECT date_trunc('month', created_at) FROM points_buckets GROUP BY 1 HAVING max(CASE WHEN remaining > 0 AND expires_at > $1 THEN 1 ELSE 0 END) = 0)`,
    [asOf],
  );
  const c = cohorts[0]!;
  const base = n(earnedClosed!.earned) - n(c.reversed);
  const breakageRate = base > 0 ? n(c.expired) / base : 0;
  const [o] = await db.query(`SELECT coalesce(sum(remaining), 0) AS points FROM points_buckets WHERE remaining > 0 AND expires_at > $1`, [asOf]);
  const schedule = await db.query<{ month: unknown; points: number }>(
    `SELECT CAST(date_trunc('month', expires_at) AS DATE) AS month, sum(remaining) AS points FROM points_buckets WHERE remaining > 0 AND expires_at > $1 GROUP BY 1 ORDER BY 1`,
    [asOf],
  );
  const outstanding = n(o!.points);
  const gross = outstanding * settings.fenPerPoint;
  return {
    asOf,
    outstandingPoints: outstanding,
    valuePerPointFen: settings.fenPerPoint,
    breakageRate,
    cohortsUsed: n(c.cohorts),
    expectedRedemptionRate: 1 - breakageRate,
    liabilityFen: Math.round(gross * (1 - breakageRate)),
    grossFen: gross,
    schedule: schedule.map((s) => ({ month: String(s.month instanceof Date ? s.month.toISOString() : s.month).slice(0, 7), points: n(s.points) })),
  };
}

/** Per offer (and campaign): codes issued and claimed, redemptions, discount given and reversed, budget used, orders and GMV. */
export async function couponCost(db: Queryable) {
  const rows = await db.query(
    `WITH codes AS (SELECT offer_id, count(*) FILTER (WHERE NOT is_shared) AS issued, count(*) FILTER (WHERE claimed_at IS NOT NULL) AS claimed FROM coupon_codes GROUP BY offer_id),
          r AS (SELECT offer_id, count(*) FILTER (WHERE status = 'redeemed') AS redeemed, count(*) FILTER (WHERE status = 'released' AND code IS NOT NULL) AS released,
                       count(*) FILTER (WHERE status = 'rejected') AS rejected,
                       coalesce(sum(discount_fen) FILTER (WHERE status = 'redeemed'), 0) AS discount_fen,
                       coalesce(sum(reversed_discount_fen) FILTER (WHERE status = 'redeemed'), 0) AS reversed_fen
                FROM coupon_redemptions GROUP BY offer_id),
          o AS (SELECT r.offer_id, count(DISTINCT r.customer_id || '/' || r.order_id) AS orders, coalesce(sum(x.total_fen), 0) AS gmv_fen
                FROM coupon_redemptions r JOIN orders x ON x.customer_id = r.customer_id AND x.order_id = r.order_id WHERE r.status = 'redeemed' GROUP BY r.offer_id)
     SELECT f.offer_id, f.name, f.campaign, f.kind, f.budget_count, f.budget_discount_fen, f.used_count, f.used_discount_fen,
            coalesce(codes.issued, 0) AS issued, coalesce(codes.claimed, 0) AS claimed, coalesce(r.redeemed, 0) AS redeemed, coalesce(r.released, 0) AS released,
            coalesce(r.rejected, 0) AS rejected, coalesce(r.discount_fen, 0) AS discount_fen, coalesce(r.reversed_fen, 0) AS reversed_fen,
            coalesce(o.orders, 0) AS orders, coalesce(o.gmv_fen, 0) AS gmv_fen
     FROM loyalty_offers f LEFT JOIN codes ON codes.offer_id = f.offer_id LEFT JOIN r ON r.offer_id = f.offer_id LEFT JOIN o ON o.offer_id = f.offer_id
     ORDER BY f.campaign, f.offer_id`,
  );
  const offers = rows.map((x) => ({
    offerId: String(x.offer_id), name: String(x.name), campaign: (x.campaign as string | null) ?? null, kind: String(x.kind),
    issued: n(x.issued), claimed: n(x.claimed), redeemed: n(x.redeemed), released: n(x.released), rejected: n(x.rejected),
    discountFen: n(x.discount_fen), reversedDiscountFen: n(x.reversed_fen), netCostFen: n(x.discount_fen) - n(x.reversed_fen),
    budgetCount: x.budget_count === null ? null : n(x.budget_count), budgetUsedCount: n(x.used_count),
    budgetDiscountFen: x.budget_discount_fen === null ? null : n(x.budget_discount_fen), budgetUsedDiscountFen: n(x.used_discount_fen),
    orders: n(x.orders), gmvFen: n(x.gmv_fen),
  }));
  const campaigns = new Map<string, { campaign: string; offers: number; redeemed: number; discountFen: number; reversedDiscountFen: number; orders: number; gmvFen: number }>();
  for (const o of offers) {
    const key = o.campaign ?? '(none)';
    const c = campaigns.get(key) ?? { campaign: key, offers: 0, redeemed: 0, discountFen: 0, reversedDiscountFen: 0, orders: 0, gmvFen: 0 };
    c.offers++;
    c.redeemed += o.redeemed;
    c.discountFen += o.discountFen;
    c.reversedDiscountFen += o.reversedDiscountFen;
    c.orders += o.orders;
    c.gmvFen += o.gmvFen;
    campaigns.set(key, c);
  }
  return { offers, campaigns: [...campaigns.values()] };
}

/** Stored-value balances by the age of the card's last top-up, principal and bonus apart. */
export async function storedValueAgeing(db: Queryable, asOf: Date) {
  const rows = await db.query(
    `WITH last AS (SELECT customer_id, max(created_at) AS at FROM stored_value_ledger WHERE kind = 'top_up' GROUP BY customer_id)
     SELECT CASE WHEN last.at IS NULL THEN 'no top-up' WHEN last.at > $1 THEN '0-90 days' WHEN last.at > $2 THEN '91-180 days'
                 WHEN last.at > $3 THEN '181-365 days' ELSE 'over 365 days' END AS age,
            count(*) AS cards, sum(a.principal_fen) AS principal_fen, sum(a.bonus_fen) AS bonus_fen
     FROM stored_value_accounts a LEFT JOIN last ON last.customer_id = a.customer_id WHERE a.principal_fen + a.bonus_fen > 0 GROUP BY 1 ORDER BY 1`,
    [90, 180, 365].map((days) => new Date(asOf.getTime() - days * 86_400_000)),
  );
  return rows.map((r) => ({ age: String(r.age), cards: n(r.cards), principalFen: n(r.principal_fen), bonusFen: n(r.bonus_fen) }));
}

/** Members per tier now, and the moves between tiers in [from, to). */
export async function tierReport(db: Queryable, from: Date, to: Date) {
  const distribution = await db.query(`SELECT tier, count(*) AS members FROM member_tiers GROUP BY tier ORDER BY tier`);
  const moves = await db.query(
    `SELECT coalesce(from_tier, '(new)') AS from_tier, to_tier, reason, count(*) AS customers FROM tier_history WHERE changed_at >= $1 AND changed_at < $2 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [from, to],
  );
  return {
    distribution: distribution.map((d) => ({ tier: String(d.tier), members: n(d.members) })),
    migration: moves.map((m) => ({ from: String(m.from_tier), to: String(m.to_tier), reason: String(m.reason), customers: n(m.customers) })),
  };
}
