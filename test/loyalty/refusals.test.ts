import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CODE_ALPHABET, claimCoupon, createCodeBatch, redeemCoupon, REFUSAL_CODES, setOfferStatus, upsertOffer, validateCart, voidCoupon, type CartInput } from '../../src/loyalty/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

// Every way a cart's coupon is refused (validateCart, which POST /v1/coupons/validate answers with), with its reason
// code, its figures (fen, codes, instants) and the English sentence the API gave before the codes existed. A refusal
// code no case here produces fails the test. test/loyalty/api.test.ts checks that the route carries them.

const NOW = new Date('2026-06-01T04:00:00Z');
const EARLIER = new Date('2026-05-20T04:00:00Z');
const tea = { sku: 'tea', category: '茶', quantity: 2, unitPriceFen: 10_000 };
const freebie = { sku: 'sample', category: '赠品', quantity: 1, unitPriceFen: 0 };
const fixed = (offFen: number) => ({ kind: 'fixed', offFen });

/** The offers and codes every case draws on; returns the unique codes the cases type in. */
async function seed(store: Store) {
  const offers = [
    { id: 'paused', name: '暂停', rule: fixed(500), sharedCode: 'PAUSED' },
    { id: 'later', name: '下月', rule: fixed(500), sharedCode: 'LATER', validFrom: '2026-07-01T00:00:00Z' },
    { id: 'over', name: '已结束', rule: fixed(500), sharedCode: 'OVER' },
    { id: 'budget', name: '限量1张', rule: fixed(500), sharedCode: 'BUDGET', budgetCount: 1 },
    { id: 'money', name: '预算5元', rule: fixed(500), sharedCode: 'MONEY', budgetDiscountFen: 500 },
    { id: 'once', name: '每人1次', rule: fixed(500), sharedCode: 'ONCE', perCustomerLimit: 1 },
    { id: 'daily', name: '每天1次', rule: fixed(500), sharedCode: 'DAILY', perDayLimit: 1 },
    { id: 'app', name: 'App专享', rule: fixed(500), sharedCode: 'APP', applies: { channels: ['app'] } },
    { id: 'store', name: '门店专享', rule: fixed(500), sharedCode: 'STORE1', applies: { stores: ['S1'] } },
    { id: 'cups', name: '器具券', rule: fixed(500), sharedCode: 'CUPS', applies: { categories: ['器具'] } },
    { id: 'min', name: '满500可用', rule: fixed(1_000), sharedCode: 'MIN', minSpendFen: 50_000 },
    { id: 'mj', name: '满300减30', rule: { kind: 'spend_save', thresholdFen: 30_000, offFen: 3_000 }, sharedCode: 'MJ30' },
    { id: 'ship', name: '包邮', rule: { kind: 'free_shipping' }, sharedCode: 'SHIP' },
    { id: 'free', name: '赠品减5元', rule: fixed(500), sharedCode: 'FREEBIE', applies: { categories: ['赠品'] } },
    { id: 'single', name: '单次券', rule: fixed(100), validDays: 1 },
    { id: 'g1', name: '店铺券10元', rule: fixed(1_000), sharedCode: 'SHOP10', stackGroup: 'shop' },
    { id: 'g2', name: '店铺券5元', rule: fixed(500), sharedCode: 'SHOP5', stackGroup: 'shop' },
    { id: 'two', name: '3元券', rule: fixed(300), sharedCode: 'TWO' },
    { id: 'solo', name: '独享50元', rule: fixed(5_000), sharedCode: 'SOLO', isExclusive: true },
    { id: 'solos', name: '独享1元', rule: fixed(100), sharedCode: 'SOLOS', isExclusive: true },
  ];
  for (const o of offers) await upsertOffer(store, o, { now: EARLIER });
  // The shared code keeps the window it was made with; the offer's own end moved since.
  await upsertOffer(store, { ...offers[2], validTo: '2026-05-31T00:00:00Z' }, { now: EARLIER });
  await setOfferStatus(store, 'paused', 'paused', { now: EARLIER });
  const cart = (customerId: string) => ({ customerId, lines: [tea] });
  for (const [key, code, customerId] of [['b', 'BUDGET', 'x1'], ['m', 'MONEY', 'x1'], ['o', 'ONCE', 'c1'], ['d', 'DAILY', 'x2']] as const) {
    assert.equal((await redeemCoupon(store, { key, code, cart: cart(customerId) }, NOW)).status, 'redeemed', code);
  }
  const [used, voided, expired, owned] = (await createCodeBatch(store, 'single', { count: 4, prefix: 'ONE', now: EARLIER })).codes as [string, string, string, string];
  assert.equal((await redeemCoupon(store, { key: 'u', code: used, cart: cart('x3') }, NOW)).status, 'redeemed');
  await voidCoupon(store, voided, { reason: 'test', now: EARLIER });
  await claimCoupon(store, expired, 'c3', EARLIER); // one day's validity, long gone
  await claimCoupon(store, owned, 'c2', new Date(NOW.getTime() - 3_600_000));
  const [twoOther] = (await createCodeBatch(store, 'two', { count: 1, prefix: 'TWO', now: EARLIER })).codes as [string];
  const last = used.slice(-1);
  const mistyped = used.slice(0, -1) + [...CODE_ALPHABET].find((c) => c !== last)!;
  return { used, voided, expired, owned, twoOther, mistyped };
}

type Codes = Awaited<ReturnType<typeof seed>>;
type Expected = [code: string, reasonCode: string, params: Record<string, unknown>, reason: string][];

/** Each case: a cart, and every coupon it refuses, in the order the API lists them. */
const CASES: { title: string; cart: (c: Codes) => CartInput; rejected: (c: Codes) => Expected }[] = [
  {
    title: 'the code: unknown, mistyped, used, voided, another customer\'s, and one in the wallet that expired',
    cart: (c) => ({ customerId: 'c3', lines: [tea], codes: ['NOPE', c.mistyped, c.used, c.voided, c.owned] }),
    rejected: (c) => [
      ['NOPE', 'unknown_code', {}, 'unknown code'],
      [c.mistyped, 'mistyped_code', {}, 'mistyped code: its check character does not match'],
      [c.used, 'already_used', {}, 'already used'],
      [c.voided, 'voided', {}, 'voided'],
      [c.owned, 'other_customer', {}, 'belongs to another customer'],
      [c.expired, 'expired', { expiresAt: '2026-05-21T04:00:00.000Z' }, 'expired on 2026-05-21T04:00:00.000Z'],
    ],
  },
  {
    title: 'the offer: paused, not started, ended, its budgets and its limits used up',
    cart: () => ({ customerId: 'c1', lines: [tea], codes: ['PAUSED', 'LATER', 'OVER', 'BUDGET', 'MONEY', 'ONCE', 'DAILY'] }),
    rejected: () => [
      ['PAUSED', 'offer_not_active', { status: 'paused' }, 'offer paused'],
      ['LATER', 'not_yet_valid', { validFrom: '2026-07-01T00:00:00.000Z' }, 'not valid before 2026-07-01T00:00:00.000Z'],
      ['OVER', 'offer_expired', { validTo: '2026-05-31T00:00:00.000Z' }, 'offer ended 2026-05-31T00:00:00.000Z'],
      ['BUDGET', 'budget_used_up', { budgetCount: 1 }, 'budget of 1 redemptions used up'],
      ['MONEY', 'discount_budget_used_up', { budgetDiscountFen: 500 }, 'discount budget of ¥5.00 used up'],
      ['ONCE', 'customer_limit_reached', { perCustomerLimit: 1 }, 'used 1 time(s) already by this customer, the limit'],
      ['DAILY', 'day_limit_reached', { perDayLimit: 1 }, "today's 1 redemptions are used up"],
    ],
  },
  {
    title: 'the cart: channel, store, no eligible line, minimum spend, spend-and-save threshold, no shipping, lines already free',
    cart: () => ({ channel: 'mini', lines: [tea, freebie], codes: ['APP', 'STORE1', 'CUPS', 'MIN', 'MJ30', 'SHIP', 'FREEBIE'] }),
    rejected: () => [
      ['APP', 'channel_not_allowed', { channel: 'mini' }, 'not valid in channel mini'],
      ['STORE1', 'store_not_allowed', { storeId: null }, 'not valid in store (none)'],
      ['CUPS', 'no_eligible_line', {}, 'no line in the cart is eligible'],
      ['MIN', 'min_spend_not_met', { minSpendFen: 50_000, eligibleFen: 20_000 }, 'minimum spend ¥500.00 not met (eligible ¥200.00)'],
      ['MJ30', 'threshold_not_met', { thresholdFen: 30_000, offFen: 3_000, eligibleFen: 20_000 }, 'spend ¥300.00 to save ¥30.00 (eligible ¥200.00)'],
      ['SHIP', 'no_shipping', {}, 'no shipping charge to waive'],
      ['FREEBIE', 'already_free', {}, 'the eligible lines are already free'],
    ],
  },
  {
    title: 'stacking: a second coupon of a stacking group, and a second coupon of one offer',
    cart: (c) => ({ lines: [tea], codes: ['SHOP10', 'SHOP5', 'TWO', c.twoOther] }),
    rejected: (c) => [
      ['SHOP5', 'stacking_group_taken', { appliedCode: 'SHOP10', stackGroup: 'shop' }, 'SHOP10 already applies from the same stacking group shop'],
      [c.twoOther, 'same_offer_taken', { appliedCode: 'TWO' }, 'TWO already applies from the same stacking group (one coupon per offer)'],
    ],
  },
  {
    title: 'an exclusive coupon that saves more refuses the others',
    cart: () => ({ lines: [tea], codes: ['SHOP10', 'SOLO'] }),
    rejected: () => [['SHOP10', 'exclusive_better', { appliedCode: 'SOLO' }, 'exclusive coupon SOLO saves more and combines with no other']],
  },
  {
    title: 'an exclusive coupon that saves less than the combination is refused',
    cart: () => ({ lines: [tea], codes: ['SHOP10', 'SOLOS'] }),
    rejected: () => [['SOLOS', 'combination_better', { savedFen: 1_000, aloneFen: 100 }, 'exclusive; the combination applied saves more (¥10.00 against ¥1.00)']],
  },
];

for (const backend of BACKENDS) {
  describe(`why a coupon is refused on ${backend}`, () => {
    test('each refusal has its reason code, its figures and its English sentence; together the cases give every code', () =>
      withStore(backend, async (store) => {
        const codes = await seed(store);
        const seen = new Set<string>();
        for (const c of CASES) {
          const { rejected } = await validateCart(store, c.cart(codes), NOW);
          assert.deepEqual(rejected.map((r) => [r.code, r.reasonCode, r.params, r.reason]), c.rejected(codes), c.title);
          for (const r of rejected) seen.add(r.reasonCode);
        }
        assert.deepEqual([...seen].sort(), [...REFUSAL_CODES].sort(), 'a refusal code no case produces');
      }));
  });
}
