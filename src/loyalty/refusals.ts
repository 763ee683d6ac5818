import { z } from 'zod';

// Why a coupon does not apply to a cart: a stable code and its figures (amounts in fen, codes and ids, UTC instants),
// which the console words in the operator's language, and the English sentence made from them, which the CLI prints
// and API clients of before the codes read. The params are zod schemas so the API documents each code's figures.

const Fen = z.number().int();
const Count = z.number().int();
const Instant = z.string().describe('UTC instant, ISO 8601');
const None = z.object({});

/** Every reason a coupon is refused, with the figures it carries. */
export const REFUSAL_PARAMS = {
  // The code itself (candidates.ts).
  unknown_code: None,
  mistyped_code: None,
  already_used: None,
  voided: None,
  expired: z.object({ expiresAt: Instant.nullable() }),
  other_customer: None,
  // Its offer's status, window and budgets (candidates.ts).
  offer_not_active: z.object({ status: z.enum(['paused', 'ended']) }),
  not_yet_valid: z.object({ validFrom: Instant }),
  offer_expired: z.object({ validTo: Instant }),
  budget_used_up: z.object({ budgetCount: Count }),
  discount_budget_used_up: z.object({ budgetDiscountFen: Fen }),
  customer_limit_reached: z.object({ perCustomerLimit: Count }),
  day_limit_reached: z.object({ perDayLimit: Count }),
  // The cart (pricing.ts).
  channel_not_allowed: z.object({ channel: z.string().nullable().describe('the cart\'s channel; null when it has none') }),
  store_not_allowed: z.object({ storeId: z.string().nullable().describe('the cart\'s store; null when it has none') }),
  no_eligible_line: None,
  min_spend_not_met: z.object({ minSpendFen: Fen, eligibleFen: Fen }),
  threshold_not_met: z.object({ thresholdFen: Fen, offFen: Fen, eligibleFen: Fen }),
  no_shipping: None,
  already_free: None,
  // The other coupons (pricing.ts, stacking).
  stacking_group_taken: z.object({ appliedCode: z.string(), stackGroup: z.string() }),
  same_offer_taken: z.object({ appliedCode: z.string() }),
  exclusive_better: z.object({ appliedCode: z.string() }),
  combination_better: z.object({ savedFen: Fen, aloneFen: Fen }),
} as const;

export type RefusalCode = keyof typeof REFUSAL_PARAMS;
export type RefusalParams<C extends RefusalCode> = z.infer<(typeof REFUSAL_PARAMS)[C]>;
/** A refusal: its code and that code's figures. */
export type Refusal = { [C in RefusalCode]: { reasonCode: C; params: RefusalParams<C> } }[RefusalCode];

export const REFUSAL_CODES = Object.keys(REFUSAL_PARAMS) as RefusalCode[];

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

const ENGLISH: { [C in RefusalCode]: (p: RefusalParams<C>) => string } = {
  unknown_code: () => 'unknown code',
  mistyped_code: () => 'mistyped code: its check character does not match',
  already_used: () => 'already used',
  voided: () => 'voided',
  expired: (p) => `expired on ${p.expiresAt ?? 'an earlier day'}`,
  other_customer: () => 'belongs to another customer',
  offer_not_active: (p) => `offer ${p.status}`,
  not_yet_valid: (p) => `not valid before ${p.validFrom}`,
  offer_expired: (p) => `offer ended ${p.validTo}`,
  budget_used_up: (p) => `budget of ${p.budgetCount} redemptions used up`,
  discount_budget_used_up: (p) => `discount budget of ${yuan(p.budgetDiscountFen)} used up`,
  customer_limit_reached: (p) => `used ${p.perCustomerLimit} time(s) already by this customer, the limit`,
  day_limit_reached: (p) => `today's ${p.perDayLimit} redemptions are used up`,
  channel_not_allowed: (p) => `not valid in channel ${p.channel ?? '(none)'}`,
  store_not_allowed: (p) => `not valid in store ${p.storeId ?? '(none)'}`,
  no_eligible_line: () => 'no line in the cart is eligible',
  min_spend_not_met: (p) => `minimum spend ${yuan(p.minSpendFen)} not met (eligible ${yuan(p.eligibleFen)})`,
  threshold_not_met: (p) => `spend ${yuan(p.thresholdFen)} to save ${yuan(p.offFen)} (eligible ${yuan(p.eligibleFen)})`,
  no_shipping: () => 'no shipping charge to waive',
  already_free: () => 'the eligible lines are already free',
  stacking_group_taken: (p) => `${p.appliedCode} already applies from the same stacking group ${p.stackGroup}`,
  same_offer_taken: (p) => `${p.appliedCode} already applies from the same stacking group (one coupon per offer)`,
  exclusive_better: (p) => `exclusive coupon ${p.appliedCode} saves more and combines with no other`,
  combination_better: (p) => `exclusive; the combination applied saves more (${yuan(p.savedFen)} against ${yuan(p.aloneFen)})`,
};

/** A refusal with its code's figures. */
export function refusal<C extends RefusalCode>(reasonCode: C, params: RefusalParams<C>): Refusal {
  return { reasonCode, params } as Refusal;
}

/** The English sentence of a refusal, as the CLI prints it and the API's `reason` carries it. */
export function refusalReason(r: Refusal): string {
  return (ENGLISH[r.reasonCode] as (p: Refusal['params']) => string)(r.params);
}
