import { z } from 'zod';

const Fen = z.number().int('must be whole fen').nonnegative();
const PositiveFen = z.number().int('must be whole fen').positive();
const Id = z.string().min(1).max(120).regex(/^[\w.:-]+$/u, 'letters, digits, _ . : - only');

/** What an offer takes off, by kind (docs/loyalty.md, Offer types). */
export const OfferRule = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('spend_save').describe('满减: spend thresholdFen, save offFen; isRepeating: 每满, capped by maxOffFen'),
      thresholdFen: PositiveFen,
      offFen: PositiveFen,
      isRepeating: z.boolean().default(false),
      maxOffFen: PositiveFen.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('percent').describe('折扣: percentOff of the eligible lines (20 = 8折), capped by maxOffFen'), percentOff: z.number().gt(0).lt(100), maxOffFen: PositiveFen.optional() }).strict(),
  z.object({ kind: z.literal('fixed').describe('无门槛: offFen off, no threshold beyond minSpendFen'), offFen: PositiveFen }).strict(),
  z.object({ kind: z.literal('gift').describe('赠品: a gift line added to the order'), giftSku: z.string().min(1), giftQuantity: z.number().int().positive().default(1) }).strict(),
  z.object({ kind: z.literal('free_shipping').describe('free shipping, up to maxOffFen'), maxOffFen: PositiveFen.optional() }).strict(),
]);
export type OfferRule = z.infer<typeof OfferRule>;
export type OfferKind = OfferRule['kind'];

/** Where an offer applies; an empty list means "any". Exclusions win over inclusions. */
export const Applicability = z
  .object({
    products: z.array(z.string()).default([]),
    categories: z.array(z.string()).default([]),
    channels: z.array(z.string()).default([]),
    stores: z.array(z.string()).default([]),
    excludeProducts: z.array(z.string()).default([]),
    excludeCategories: z.array(z.string()).default([]),
  })
  .strict();
export type Applicability = z.infer<typeof Applicability>;

export const OfferInput = z
  .object({
    id: Id,
    name: z.string().min(1),
    campaign: z.string().optional(),
    rule: OfferRule,
    applies: Applicability.default({ products: [], categories: [], channels: [], stores: [], excludeProducts: [], excludeCategories: [] }),
    minSpendFen: Fen.default(0),
    stackGroup: z.string().min(1).optional().describe('at most one coupon of a group per order; default: the offer alone in its group'),
    isExclusive: z.boolean().default(false).describe('combines with no other coupon'),
    validFrom: z.iso.datetime({ offset: true }).optional(),
    validTo: z.iso.datetime({ offset: true }).optional(),
    validDays: z.number().int().positive().max(3650).optional().describe('a claimed coupon is valid this many days (within validTo)'),
    budgetCount: z.number().int().positive().optional(),
    budgetDiscountFen: PositiveFen.optional(),
    perCustomerLimit: z.number().int().positive().optional(),
    perDayLimit: z.number().int().positive().optional(),
    isRefundReturning: z.boolean().default(true).describe('a refunded order gives the coupon back when it has not expired'),
    sharedCode: z.string().min(3).max(40).optional().describe('one code anyone may use, within the limits'),
  })
  .strict()
  .refine((o) => !o.validFrom || !o.validTo || o.validFrom < o.validTo, { message: 'validFrom must be before validTo', path: ['validTo'] });
export type OfferInput = z.input<typeof OfferInput>;

export const CartLine = z
  .object({
    line: z.number().int().positive().optional(),
    sku: z.string().min(1),
    category: z.string().optional(),
    quantity: z.number().int().positive(),
    unitPriceFen: Fen,
  })
  .strict();

export const Cart = z
  .object({
    customerId: z.string().min(1).optional(),
    channel: z.string().optional(),
    storeId: z.string().optional(),
    shippingFen: Fen.default(0),
    lines: z.array(CartLine).min(1).max(500),
    codes: z.array(z.string().min(1)).max(20).default([]).describe('codes typed in; the customer\'s wallet is considered too'),
  })
  .strict();
export type Cart = z.output<typeof Cart>;
export type CartInput = z.input<typeof Cart>;

export const RedeemInput = z
  .object({
    key: z.string().min(1).max(200).describe('the caller\'s idempotency key: a repeat returns the first outcome'),
    code: z.string().min(1),
    orderId: z.string().min(1).optional(),
    cart: Cart,
  })
  .strict();
export type RedeemInput = z.input<typeof RedeemInput>;

/** The points program (docs/loyalty.md, Points). */
export const PointsSettings = z
  .object({
    pointsPerYuan: z.number().nonnegative().default(1),
    pendingDays: z.number().int().nonnegative().max(365).default(15),
    expiry: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('rolling'), months: z.number().int().positive().max(120) }).strict(),
        z.object({ kind: z.literal('calendar').describe('points earned in a year expire at the end of the next year') }).strict(),
        z.object({ kind: z.literal('never') }).strict(),
      ])
      .default({ kind: 'calendar' }),
    actions: z.record(z.string(), z.number().int().nonnegative()).default({ 'Signed Up': 100, 'Review Submitted': 20, 'Checked In': 5, Birthday: 200 }),
    campaigns: z.array(z.object({ name: z.string(), from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }), multiplier: z.number().positive() }).strict()).default([]),
    fenPerPoint: z.number().int().positive().default(1).describe('what one point is worth when spent (1: 100 points = ¥1)'),
    maxShareOfOrder: z.number().gt(0).max(1).default(0.5),
    minOrderFen: Fen.default(0),
    reminderDays: z.number().int().positive().default(7),
  })
  .strict();
export type PointsSettings = z.output<typeof PointsSettings>;

export const TierSettings = z
  .object({
    tiers: z
      .array(z.object({ name: z.string().min(1), threshold: z.number().int().nonnegative(), pointsMultiplier: z.number().positive().default(1), benefits: z.array(z.string()).default([]) }).strict())
      .min(1)
      // The ladder: the entry tier at 0 (everyone holds it), thresholds rising, names distinct; each problem is named
      // at its row, as the console's editor names it.
      .superRefine((tiers, ctx) => {
        const seen = new Set<string>();
        tiers.forEach((tier, i) => {
          if (seen.has(tier.name.trim())) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `another tier is already named ${tier.name.trim()}` });
          seen.add(tier.name.trim());
          if (i === 0 && tier.threshold !== 0) ctx.addIssue({ code: 'custom', path: [i, 'threshold'], message: 'the first tier is the entry tier: its threshold must be 0' });
          if (i > 0 && tier.threshold <= tiers[i - 1]!.threshold) ctx.addIssue({ code: 'custom', path: [i, 'threshold'], message: `must be above the tier before it (${tiers[i - 1]!.threshold}): tiers are listed from the lowest up` });
        });
      })
      .default([
        { name: '普通', threshold: 0, pointsMultiplier: 1, benefits: [] },
        { name: '高级', threshold: 1000, pointsMultiplier: 1.2, benefits: ['free_shipping'] },
        { name: 'VIP', threshold: 5000, pointsMultiplier: 1.5, benefits: ['free_shipping', 'exclusive_coupons'] },
      ]),
    growthPerYuan: z.number().nonnegative().default(1),
    windowDays: z.number().int().positive().default(365).describe('growth counted over this many days back'),
    keepShare: z.number().min(0).max(1).default(0.8).describe('保级: a member keeps the tier with this share of its threshold'),
    graceDays: z.number().int().nonnegative().default(30),
  })
  .strict();
export type TierSettings = z.output<typeof TierSettings>;

export const StoredValueSettings = z
  .object({
    capFen: PositiveFen.default(500_000).describe('the most a card may hold (¥5,000 for a registered card)'),
    bonusRules: z.array(z.object({ minTopUpFen: PositiveFen, bonusFen: PositiveFen }).strict()).default([{ minTopUpFen: 50_000, bonusFen: 5_000 }]),
  })
  .strict();
export type StoredValueSettings = z.output<typeof StoredValueSettings>;
