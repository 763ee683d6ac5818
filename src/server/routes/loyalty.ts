import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertCustomerVisible, principalActor } from '../../access/index.ts';
import {
  Cart, checkPoints, claimCoupon, couponCost, createCodeBatch, customerTier, getOffer, importCodes, issueCoupons, listCoupons, listOffers, pointsBalance, pointsLedger,
  pointsLiability, pointsRollForward, readLoyaltySettings, redeemCoupon, RedeemInput, refundStoredValue, releaseRedemption, setOfferStatus, spendPoints, spendStoredValue,
  storedValueAgeing, storedValueBalance, tierReport, topUp, upsertOffer, validateCart, voidCoupon, writeLoyaltySettings, awardPoints, setTier, listCodeBatches,
} from '../../loyalty/index.ts';
import type { Store } from '../../store/index.ts';
import { principalOf } from '../plugins/auth.ts';
import {
  AwardOutcomes, CodeBatch, CodeImport, Coupon, CouponCost, CustomerLoyalty, IssueOutcomes, LoyaltySettings, Offer, PointsCheck, PointsLiability, PointsRollForward, PointsSpent, Pricing, Redemption,
  StoredValueAgeing, StoredValueEntry, TierReport,
} from './loyalty-schemas.ts';

const tags = ['loyalty'];
const Id = z.object({ id: z.string().min(1) });
const Code = z.object({ code: z.string().min(1) });
const Period = z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }).strict();
const SettingsKey = z.object({ key: z.enum(['points', 'tiers', 'stored_value']) });
const perm = (permission: 'coupons:read' | 'coupons:write' | 'points:read' | 'points:write' | 'loyalty:read' | 'loyalty:write') => ({ permission }) as const;

/** Offers, coupons, points, tiers, stored value and the loyalty reports (docs/loyalty.md); the same operations as the CLI. */
export function registerLoyaltyRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const actor = (request: Parameters<typeof principalOf>[0]) => principalActor(principalOf(request));

  // The real-time API for the mall and POS.
  api.post('/v1/coupons/validate', { config: perm('coupons:read'), schema: { tags, summary: "A cart in: the coupons that apply (typed codes and the customer's wallet), the discount per line, and why each other coupon does not apply; writes nothing", body: Cart, response: { 200: Pricing } } }, async (request) =>
    validateCart(store, request.body),
  );
  api.post('/v1/coupons/redeem', { config: perm('coupons:write'), schema: { tags, summary: 'Redeem a code for a cart, once per key: a repeat returns the first outcome; budgets and limits are exact under concurrency', body: RedeemInput, response: { 200: Redemption } } }, async (request) =>
    redeemCoupon(store, request.body),
  );
  api.post(
    '/v1/coupons/release',
    { config: perm('coupons:write'), schema: { tags, summary: 'Release a redemption (order unpaid or cancelled), once per key; a release before its redemption makes the redemption count nothing', body: z.object({ key: z.string().min(1).max(200), reason: z.string().optional() }).strict(), response: { 200: Redemption } } },
    async (request) => releaseRedemption(store, request.body.key, { reason: request.body.reason }),
  );
  api.get('/v1/coupons', { config: perm('coupons:read'), schema: { tags, summary: "Coupons by customer (the wallet), offer, code or state", querystring: z.object({ customerId: z.string().optional(), offerId: z.string().optional(), code: z.string().optional(), state: z.enum(['issued', 'claimed', 'redeemed', 'expired', 'void']).optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000) }).strict(), response: { 200: z.object({ coupons: z.array(Coupon) }) } } }, async (request) =>
    ({ coupons: await listCoupons(store, request.query) }),
  );
  api.post('/v1/coupons/:code/claim', { config: perm('coupons:write'), schema: { tags, summary: "A customer claims an unclaimed code: it moves to their wallet and its validity starts", params: Code, body: z.object({ customerId: z.string().min(1) }).strict(), response: { 200: Coupon } } }, async (request) =>
    claimCoupon(store, request.params.code, request.body.customerId),
  );
  api.post('/v1/coupons/:code/void', { config: perm('coupons:write'), schema: { tags, summary: 'Void a coupon not yet redeemed; audited', params: Code, body: z.object({ reason: z.string().min(1) }).strict(), response: { 200: Coupon } } }, async (request) =>
    voidCoupon(store, request.params.code, { reason: request.body.reason, actor: actor(request) }),
  );

  // Offers and codes.
  api.get('/v1/offers', { config: perm('coupons:read'), schema: { tags, summary: 'Every offer with its budgets and what is used of them', querystring: z.object({ status: z.enum(['active', 'paused', 'ended']).optional(), campaign: z.string().optional() }).strict(), response: { 200: z.object({ offers: z.array(Offer) }) } } }, async (request) =>
    ({ offers: await listOffers(store, request.query) }),
  );
  api.get('/v1/offers/:id', { config: perm('coupons:read'), schema: { tags, summary: 'One offer', params: Id, response: { 200: Offer } } }, async (request) => getOffer(store, request.params.id));
  api.put('/v1/offers/:id', { config: perm('coupons:write'), schema: { tags, summary: 'Create an offer or change its rules, window, limits and budgets (never what is used); audited', params: Id, body: z.record(z.string(), z.unknown()), response: { 200: Offer } } }, async (request) =>
    upsertOffer(store, { ...request.body, id: request.params.id }, { actor: actor(request) }),
  );
  for (const [verb, status] of [['pause', 'paused'], ['resume', 'active'], ['end', 'ended']] as const) {
    api.post(`/v1/offers/:id/${verb}`, { config: perm('coupons:write'), schema: { tags, summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} an offer${verb === 'end' ? ' (its open coupons are voided)' : ''}; audited`, params: Id, response: { 200: Offer } } }, async (request) =>
      setOfferStatus(store, request.params.id, status, { actor: actor(request) }),
    );
  }
  api.post('/v1/offers/:id/batches', { config: perm('coupons:write'), schema: { tags, summary: 'Generate unique single-use codes (unambiguous alphabet, check character)', params: Id, body: z.object({ count: z.number().int().min(1).max(1_000_000), prefix: z.string().optional() }).strict(), response: { 200: z.object({ batchId: z.string(), codes: z.array(z.string()) }) } } }, async (request) =>
    createCodeBatch(store, request.params.id, { ...request.body, actor: actor(request) }),
  );
  api.get('/v1/offers/:id/batches', { config: perm('coupons:read'), schema: { tags, summary: "An offer's code batches, newest first: codes made, claimed, redeemed, expired and voided", params: Id, response: { 200: z.object({ batches: z.array(CodeBatch) }) } } }, async (request) => {
    await getOffer(store, request.params.id);
    return { batches: await listCodeBatches(store, request.params.id) };
  });
  api.post('/v1/offers/:id/codes/import', { config: perm('coupons:write'), schema: { tags, summary: 'Import codes made elsewhere; returns the rejects with their line', params: Id, body: z.object({ codes: z.array(z.string()).min(1).max(1_000_000) }).strict(), response: { 200: CodeImport } } }, async (request) =>
    importCodes(store, request.params.id, request.body.codes, { actor: actor(request) }),
  );
  api.post(
    '/v1/offers/:id/issue',
    { config: perm('coupons:write'), schema: { tags, summary: "Put a coupon in each customer's wallet, once per source and customer", params: Id, body: z.object({ customerIds: z.array(z.string().min(1)).min(1).max(100_000), source: z.string().min(1).default('api') }).strict(), response: { 200: IssueOutcomes } } },
    async (request) => ({ outcomes: await store.transaction((tx) => issueCoupons(tx, request.params.id, request.body.customerIds, { source: request.body.source })) }),
  );

  // Points, tiers and stored value.
  api.get('/v1/customers/:id/loyalty', { config: perm('points:read'), schema: { tags, summary: "A customer's wallet, points (pending and active, with the ledger), tier history and stored value", params: Id, response: { 200: CustomerLoyalty } } }, async (request) => {
    const id = request.params.id;
    await assertCustomerVisible(store, principalOf(request), id);
    return { wallet: await listCoupons(store, { customerId: id }), points: await pointsBalance(store, id), ledger: await pointsLedger(store, id), tier: await customerTier(store, id), storedValue: await storedValueBalance(store, id) };
  });
  const Award = z.object({ customerId: z.string().min(1), key: z.string().min(1).max(200), points: z.number().int(), reason: z.string().min(1), isImmediate: z.boolean().default(true) }).strict();
  api.post('/v1/points/award', { config: perm('points:write'), schema: { tags, summary: 'Award (or, negative, take back) points by staff with a reason, once per customer and key', body: z.object({ awards: z.array(Award).min(1).max(10_000) }).strict(), response: { 200: AwardOutcomes } } }, async (request) => {
    const staff = actor(request);
    return { outcomes: await store.transaction((tx) => awardPoints(tx, request.body.awards.map((a) => ({ ...a, source: 'staff' as const, sourceId: staff, kind: a.points < 0 ? ('adjust' as const) : ('earn' as const) })))) };
  });
  api.post('/v1/points/spend', { config: perm('points:write'), schema: { tags, summary: 'Spend points as payment, once per key, within the per-order cap, earliest-expiring first', body: z.object({ customerId: z.string().min(1), key: z.string().min(1).max(200), points: z.number().int().positive(), orderId: z.string().optional(), orderTotalFen: z.number().int().nonnegative().optional() }).strict(), response: { 200: PointsSpent } } }, async (request) =>
    spendPoints(store, request.body),
  );
  api.get('/v1/points/check', { config: perm('loyalty:read'), schema: { tags, summary: 'Proves every cached balance equals its ledger and its buckets', response: { 200: PointsCheck } } }, async () => checkPoints(store));
  api.post('/v1/tiers/set', { config: perm('loyalty:write'), schema: { tags, summary: "Set customers' tier (a Tier Changed event each)", body: z.object({ customerIds: z.array(z.string().min(1)).min(1).max(100_000), tier: z.string().min(1) }).strict(), response: { 200: z.object({ changed: z.number().int().describe('customers whose tier changed') }) } } }, async (request) =>
    ({ changed: await store.transaction((tx) => setTier(tx, request.body.customerIds, request.body.tier)) }),
  );
  const Money = z.object({ customerId: z.string().min(1), key: z.string().min(1).max(200), amountFen: z.number().int().positive() }).strict();
  api.post('/v1/stored-value/top-up', { config: perm('points:write'), schema: { tags, summary: 'Top up a card once per key, with the bonus rule it reaches, within the prepaid cap', body: Money, response: { 200: StoredValueEntry } } }, async (request) => topUp(store, request.body));
  api.post('/v1/stored-value/spend', { config: perm('points:write'), schema: { tags, summary: 'Pay from a card once per key', body: Money.extend({ orderId: z.string().optional() }), response: { 200: StoredValueEntry } } }, async (request) => spendStoredValue(store, request.body));
  api.post('/v1/stored-value/refund', { config: perm('points:write'), schema: { tags, summary: 'Refund a payment to the card once per key', body: z.object({ customerId: z.string().min(1), key: z.string().min(1).max(200), spendKey: z.string().min(1) }).strict(), response: { 200: StoredValueEntry } } }, async (request) =>
    refundStoredValue(store, request.body),
  );

  // Settings and reports.
  api.get('/v1/loyalty/settings/:key', { config: perm('loyalty:read'), schema: { tags, summary: 'The points, tier or stored-value settings, defaults filled in', params: SettingsKey, response: { 200: LoyaltySettings } } }, async (request) => readLoyaltySettings(store, request.params.key));
  api.put('/v1/loyalty/settings/:key', { config: perm('loyalty:write'), schema: { tags, summary: 'Replace the points, tier or stored-value settings (checked; each problem named by its path)', params: SettingsKey, body: z.record(z.string(), z.unknown()), response: { 200: LoyaltySettings } } }, async (request) =>
    writeLoyaltySettings(store, request.params.key, request.body),
  );
  api.get('/v1/reports/loyalty/points', { config: perm('loyalty:read'), schema: { tags, summary: 'Points roll-forward for a period, the closing balance split pending and active', querystring: Period, response: { 200: PointsRollForward } } }, async (request) =>
    pointsRollForward(store, new Date(request.query.from), new Date(request.query.to)),
  );
  api.get('/v1/reports/loyalty/liability', { config: perm('loyalty:read'), schema: { tags, summary: 'Points liability at the expected redemption rate (breakage from closed cohorts) and the expiry schedule', querystring: z.object({ asOf: z.iso.datetime({ offset: true }).optional() }).strict(), response: { 200: PointsLiability } } }, async (request) =>
    pointsLiability(store, request.query.asOf ? new Date(request.query.asOf) : new Date()),
  );
  api.get('/v1/reports/loyalty/coupons', { config: perm('loyalty:read'), schema: { tags, summary: 'Coupon cost per offer and campaign: issued, claimed, redeemed, discount, reversals, budget used, orders and GMV', response: { 200: CouponCost } } }, async () => couponCost(store));
  api.get('/v1/reports/loyalty/stored-value', { config: perm('loyalty:read'), schema: { tags, summary: 'Stored-value balances by age of the last top-up', querystring: z.object({ asOf: z.iso.datetime({ offset: true }).optional() }).strict(), response: { 200: StoredValueAgeing } } }, async (request) =>
    ({ ageing: await storedValueAgeing(store, request.query.asOf ? new Date(request.query.asOf) : new Date()) }),
  );
  api.get('/v1/reports/loyalty/tiers', { config: perm('loyalty:read'), schema: { tags, summary: 'Members per tier and the moves between tiers in a period', querystring: Period, response: { 200: TierReport } } }, async (request) =>
    tierReport(store, new Date(request.query.from), new Date(request.query.to)),
  );
}
