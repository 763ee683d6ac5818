import { z } from 'zod';
import { Applicability, OfferRule, PointsSettings, StoredValueSettings, TierSettings } from '../../loyalty/index.ts';

// Response shapes of the loyalty routes the console reads (src/loyalty: offers.ts, coupons.ts, points.ts, tiers.ts,
// stored-value.ts, reports.ts), which the OpenAPI document, and so the console's generated client, carries.

const Int = z.number().int();

export const Offer = z.object({
  id: z.string(),
  name: z.string(),
  campaign: z.string().nullable(),
  rule: OfferRule,
  applies: Applicability,
  minSpendFen: Int,
  stackGroup: z.string().nullable(),
  isExclusive: z.boolean(),
  validFrom: z.date().nullable(),
  validTo: z.date().nullable(),
  validDays: Int.nullable(),
  budgetCount: Int.nullable().describe('redemptions the budget allows; null: no count budget'),
  budgetDiscountFen: Int.nullable().describe('discount the budget allows; null: no money budget'),
  perCustomerLimit: Int.nullable(),
  perDayLimit: Int.nullable(),
  isRefundReturning: z.boolean(),
  usedCount: Int,
  usedDiscountFen: Int,
  status: z.enum(['active', 'paused', 'ended']),
  sharedCode: z.string().nullable(),
  createdAt: z.date(),
});

export const Coupon = z.object({
  code: z.string(),
  offerId: z.string(),
  offerName: z.string(),
  customerId: z.string().nullable(),
  state: z.enum(['issued', 'claimed', 'redeemed', 'expired', 'void']),
  isShared: z.boolean(),
  used: Int,
  maxUses: Int.nullable(),
  issuedAt: z.date(),
  claimedAt: z.date().nullable(),
  expiresAt: z.date().nullable(),
  source: z.string().nullable(),
});

export const CodeBatch = z.object({
  batchId: z.string(),
  source: z.string().nullable(),
  codes: Int,
  claimed: Int,
  redeemed: Int,
  expired: Int,
  voided: Int,
  issuedAt: z.date(),
  expiresAt: z.date().nullable(),
});

export const CustomerLoyalty = z.object({
  wallet: z.array(Coupon),
  points: z.object({ customerId: z.string(), balance: Int, pending: Int, active: Int, expiring: z.array(z.object({ expiresAt: z.date(), points: Int })) }),
  ledger: z.array(z.object({ key: z.string(), kind: z.enum(['earn', 'redeem', 'expire', 'reverse', 'adjust']), points: Int, source: z.string(), sourceId: z.string().nullable(), reason: z.string().nullable(), orderId: z.string().nullable(), at: z.date() })),
  tier: z.object({
    customerId: z.string(),
    tier: z.string().nullable(),
    since: z.date().nullable(),
    graceUntil: z.date().nullable(),
    growth: Int.describe('growth over the tier window'),
    history: z.array(z.object({ at: z.date(), from: z.string().nullable(), to: z.string(), reason: z.string() })),
  }),
  storedValue: z.object({ customerId: z.string(), principalFen: Int, bonusFen: Int, entries: z.array(z.object({ key: z.string(), kind: z.string(), principalFen: Int, bonusFen: Int, at: z.date() })) }),
});

export const LoyaltySettings = z.union([PointsSettings, TierSettings, StoredValueSettings]);

export const PointsLiability = z.object({
  asOf: z.date(),
  outstandingPoints: Int,
  valuePerPointFen: Int,
  breakageRate: z.number().describe('of the points earned in closed cohorts, the share that expired'),
  cohortsUsed: Int,
  expectedRedemptionRate: z.number(),
  liabilityFen: Int.describe('outstanding points × value per point × expected redemption rate'),
  grossFen: Int,
  schedule: z.array(z.object({ month: z.string(), points: Int })),
});

export const CouponCost = z.object({
  offers: z.array(
    z.object({
      offerId: z.string(),
      name: z.string(),
      campaign: z.string().nullable(),
      kind: z.string(),
      issued: Int,
      claimed: Int,
      redeemed: Int,
      released: Int,
      rejected: Int,
      discountFen: Int,
      reversedDiscountFen: Int,
      netCostFen: Int.describe('discount given less discount reversed by refunds'),
      budgetCount: Int.nullable(),
      budgetUsedCount: Int,
      budgetDiscountFen: Int.nullable(),
      budgetUsedDiscountFen: Int,
      orders: Int,
      gmvFen: Int,
    }),
  ),
  campaigns: z.array(z.object({ campaign: z.string(), offers: Int, redeemed: Int, discountFen: Int, reversedDiscountFen: Int, orders: Int, gmvFen: Int })),
});

export const TierReport = z.object({
  distribution: z.array(z.object({ tier: z.string(), members: Int })),
  migration: z.array(z.object({ from: z.string(), to: z.string(), reason: z.string(), customers: Int })),
});
