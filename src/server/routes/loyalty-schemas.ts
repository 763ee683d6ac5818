import { z } from 'zod';
import { component } from './components.ts';
import { Applicability, OfferRule, PointsSettings, REFUSAL_CODES, REFUSAL_PARAMS, StoredValueSettings, TierSettings, type RefusalCode } from '../../loyalty/index.ts';

// Response shapes of the loyalty routes the console reads (src/loyalty: offers.ts, coupons.ts, points.ts, tiers.ts,
// stored-value.ts, reports.ts), which the OpenAPI document, and so the console's generated client, carries.

const Int = z.number().int();

export const Offer = component('Offer', z.object({
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
}));

export const Coupon = component('Coupon', z.object({
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
}));

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

export const LoyaltySettings = component('LoyaltySettings', z.union([PointsSettings, TierSettings, StoredValueSettings]));

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

const OfferKind = z.enum(['spend_save', 'percent', 'fixed', 'gift', 'free_shipping']);

const refusalOf = <C extends RefusalCode>(reasonCode: C) =>
  z.object({
    code: z.string(),
    offerId: z.string().optional(),
    reasonCode: z.literal(reasonCode),
    params: REFUSAL_PARAMS[reasonCode],
    reason: z.string().describe('the same in an English sentence (the CLI prints it)'),
  });

/** A coupon that does not apply, and why: a stable code with its figures (src/loyalty/refusals.ts), one shape per code. */
const CouponRefusal = component(
  'CouponRefusal',
  z.discriminatedUnion('reasonCode', REFUSAL_CODES.map(refusalOf) as [ReturnType<typeof refusalOf<RefusalCode>>, ...ReturnType<typeof refusalOf<RefusalCode>>[]]),
);

/** A cart priced with the coupons that apply (redeem.ts validateCart, pricing.ts). */
export const Pricing = z.object({
  applied: z.array(
    z.object({
      code: z.string(),
      offerId: z.string(),
      kind: OfferKind,
      discountFen: Int,
      shippingDiscountFen: Int,
      gift: z.object({ sku: z.string(), quantity: Int }).optional(),
      lines: z.array(z.object({ line: Int, discountFen: Int })),
    }),
  ),
  rejected: z.array(CouponRefusal).describe('every other candidate coupon, with why it does not apply'),
  totalDiscountFen: Int,
  shippingDiscountFen: Int,
  lines: z.array(z.object({ line: Int, sku: z.string(), amountFen: Int, discountFen: Int, payFen: Int })),
});

const IsReplay = z.boolean().describe('true when the key was used before: this is the first outcome, and nothing changed');

export const Redemption = component('Redemption', z.object({
  key: z.string(),
  status: z.enum(['redeemed', 'released', 'rejected']),
  code: z.string().nullable(),
  offerId: z.string().nullable(),
  customerId: z.string().nullable(),
  orderId: z.string().nullable(),
  discountFen: Int,
  reversedDiscountFen: Int,
  reason: z.string().nullable(),
  lines: z.array(z.object({ line: Int, discountFen: Int })),
  redeemedAt: z.date(),
  releasedAt: z.date().nullable(),
  isReplay: IsReplay,
}));

export const CodeImport = z.object({ batchId: z.string(), accepted: Int, rejected: z.array(z.object({ line: Int, code: z.string(), reason: z.string() })) });

export const IssueOutcomes = z.object({
  outcomes: z.array(
    z.discriminatedUnion('outcome', [
      z.object({ customerId: z.string(), outcome: z.enum(['issued', 'already_issued']), code: z.string() }),
      z.object({ customerId: z.string(), outcome: z.literal('rejected'), reason: z.string() }),
    ]),
  ),
});

export const AwardOutcomes = z.object({ outcomes: z.array(z.object({ customerId: z.string(), key: z.string(), outcome: z.enum(['awarded', 'duplicate']), points: Int })) });

export const PointsSpent = z.object({ key: z.string(), points: Int, valueFen: Int.describe('what the points paid'), isReplay: IsReplay });

export const PointsCheck = z.object({
  customers: Int,
  mismatches: z.array(z.object({ customerId: z.string(), cached: Int, ledger: Int, buckets: Int, allocations: Int })).describe('customers whose cached balance, ledger sum, buckets and allocations disagree; empty when all agree'),
});

export const StoredValueEntry = component('StoredValueEntry', z.object({
  key: z.string(),
  kind: z.enum(['top_up', 'spend', 'refund', 'adjust']),
  principalFen: Int.describe('the change to the principal (negative for a payment)'),
  bonusFen: Int.describe('the change to the bonus'),
  isReplay: IsReplay,
}));

export const PointsRollForward = z.object({
  from: z.date(),
  to: z.date(),
  opening: Int,
  earned: Int,
  redeemed: Int,
  expired: Int,
  reversed: Int,
  adjusted: Int,
  closing: Int.describe('opening + earned − redeemed − expired + reversed + adjusted'),
  closingPending: Int,
  closingActive: Int,
});

export const StoredValueAgeing = z.object({
  ageing: z.array(z.object({ age: z.string().describe('0-90 days, 91-180 days, 181-365 days, over 365 days or no top-up'), cards: Int, principalFen: Int, bonusFen: Int })),
});
