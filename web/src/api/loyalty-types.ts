import type { paths } from './schema.d.ts';

// The loyalty API's shapes (docs/loyalty.md), in a file of types alone: the editors' models (pages/loyalty/*-form.ts)
// use them, and the tests that run those models in Node type-check them without the browser client.

export type Offer = paths['/v1/offers/{id}']['get']['responses']['200']['content']['application/json'];
export type CodeBatch = paths['/v1/offers/{id}/batches']['get']['responses']['200']['content']['application/json']['batches'][number];
export type CustomerLoyalty = paths['/v1/customers/{id}/loyalty']['get']['responses']['200']['content']['application/json'];
export type LoyaltySettings = paths['/v1/loyalty/settings/{key}']['get']['responses']['200']['content']['application/json'];
export type TierSettings = Extract<LoyaltySettings, { tiers: unknown }>;
export type PointsLiability = paths['/v1/reports/loyalty/liability']['get']['responses']['200']['content']['application/json'];
export type CouponCost = paths['/v1/reports/loyalty/coupons']['get']['responses']['200']['content']['application/json'];
export type TierReport = paths['/v1/reports/loyalty/tiers']['get']['responses']['200']['content']['application/json'];

export type OfferStatus = Offer['status'];

/**
 * The body of PUT /v1/offers/:id, as src/loyalty/schemas.ts (OfferInput) checks it: the route declares its body as
 * any object, so the generated client has no shape for it. The whole offer is sent: what is left out is unset.
 */
export type OfferInput = {
  id: string;
  name: string;
  campaign?: string;
  rule: Offer['rule'];
  applies: Offer['applies'];
  minSpendFen: number;
  stackGroup?: string;
  isExclusive: boolean;
  validFrom?: string;
  validTo?: string;
  validDays?: number;
  budgetCount?: number;
  budgetDiscountFen?: number;
  perCustomerLimit?: number;
  perDayLimit?: number;
  isRefundReturning: boolean;
  sharedCode?: string;
};

type Validate = paths['/v1/coupons/validate']['post'];
/** A cart to price (POST /v1/coupons/validate): its lines, the codes typed in, and for a known customer their wallet. */
export type CartBody = Validate['requestBody']['content']['application/json'];
export type Pricing = Validate['responses']['200']['content']['application/json'];
/** A coupon the cart cannot use: its reason code, the figures of that code, and the API's English sentence. */
export type CouponRefusal = Pricing['rejected'][number];
