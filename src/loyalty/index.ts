/**
 * Loyalty (docs/loyalty.md): offers and coupons with budgets exact under concurrency, the points and growth ledgers,
 * member tiers, stored value, and the reports finance needs.
 */
export { CODE_ALPHABET, checkCharacter, generateCodes, isMistyped, normaliseCode } from './codes.ts';
export { claimCoupon, createCodeBatch, expireCoupons, importCodes, issueCoupons, listCodeBatches, listCoupons, voidCoupon, type CodeBatch, type Coupon, type CouponState, type IssueOutcome } from './coupons.ts';
export { findOffer, getOffer, listOffers, setOfferStatus, upsertOffer, type Offer, type OfferStatus } from './offers.ts';
export { applyLoyaltyOrders, type LoyaltyOrderEvent } from './orders.ts';
export { allocateProRata, priceCart, type AppliedCoupon, type Pricing, type Rejected } from './pricing.ts';
export { REFUSAL_CODES, REFUSAL_PARAMS, refusalReason, type Refusal, type RefusalCode, type RefusalParams } from './refusals.ts';
export { findRedemption, redeemCoupon, releaseRedemption, validateCart, type Redemption, type RedemptionStatus } from './redeem.ts';
export { Applicability, Cart, OfferInput, OfferRule, PointsSettings, RedeemInput, StoredValueSettings, TierSettings, type CartInput } from './schemas.ts';
export { readLoyaltySettings, writeLoyaltySettings } from './settings.ts';
export { awardPoints, pointsBalance, pointsExpiry, pointsLedger, spendPoints, type AwardOutcome, type PointsAward, type PointsBalance } from './points.ts';
export { checkPoints, expirePoints, type PointsCheck } from './points-expiry.ts';
export { awardGrowth, customerTier, evaluateTiers, setTier, type GrowthAward } from './tiers.ts';
export { refundStoredValue, spendStoredValue, storedValueBalance, topUp, type StoredValueEntry } from './stored-value.ts';
export { couponCost, pointsLiability, pointsRollForward, storedValueAgeing, tierReport, type PointsLiability, type PointsRollForward } from './reports.ts';
export { DEMO_OFFERS, seedDemoLoyalty, type DemoLoyaltySummary } from './demo.ts';
