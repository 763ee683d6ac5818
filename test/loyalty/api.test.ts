import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkCharacter, isMistyped, pointsLiability, pointsRollForward, upsertOffer, awardPoints, expirePoints } from '../../src/loyalty/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { bearer, buildServerAs } from '../helpers/auth.ts';

const NOW = new Date('2026-06-01T04:00:00Z');
const lines = [
  { line: 1, sku: 'tea', category: '茶', quantity: 2, unitPriceFen: 10_000 },
  { line: 2, sku: 'cup', category: '器具', quantity: 1, unitPriceFen: 5_000 },
  { line: 3, sku: 'gift-card', category: '卡券', quantity: 1, unitPriceFen: 10_000 },
];

describe('codes', () => {
  test('the check character catches a mistyped character and a swap of neighbours', () => {
    const body = 'K7MQ2XPA';
    const code = `TEA-${body}${checkCharacter(body)}`;
    assert.equal(isMistyped(code), false);
    assert.equal(isMistyped(code.replace('K7', 'K8')), true);
    assert.equal(isMistyped(code.replace('K7', '7K')), true);
  });
});

for (const backend of BACKENDS) {
  describe(`coupons over HTTP (${backend})`, () => {
    test('validate applies percent-off first, then spend-and-save on what is left, one per stacking group, and says why each other coupon does not apply', async () => {
      await withStore(backend, async (store) => {
        const offers = [
          { id: 'pct', name: '茶9折', rule: { kind: 'percent', percentOff: 10, maxOffFen: 5_000 }, applies: { categories: ['茶'] }, sharedCode: 'TEA10', stackGroup: 'shop' },
          { id: 'mj', name: '每满200减20', rule: { kind: 'spend_save', thresholdFen: 20_000, offFen: 2_000, isRepeating: true }, applies: { excludeCategories: ['卡券'] }, sharedCode: 'MJ20', stackGroup: 'platform' },
          { id: 'mj2', name: '满300减50', rule: { kind: 'spend_save', thresholdFen: 30_000, offFen: 5_000 }, sharedCode: 'MJ50', stackGroup: 'platform' },
          { id: 'big', name: '满1000减300', rule: { kind: 'spend_save', thresholdFen: 100_000, offFen: 30_000 }, sharedCode: 'BIG300' },
          { id: 'excl', name: '独享10元', rule: { kind: 'fixed', offFen: 1_000 }, isExclusive: true, sharedCode: 'SOLO10' },
          { id: 'ship', name: '包邮', rule: { kind: 'free_shipping' }, sharedCode: 'SHIP' },
          { id: 'late', name: '下月', rule: { kind: 'fixed', offFen: 500 }, validFrom: '2099-07-01T00:00:00Z', sharedCode: 'LATER' },
          { id: 'app', name: 'App专享', rule: { kind: 'fixed', offFen: 500 }, applies: { channels: ['app'] }, sharedCode: 'APPONLY' },
        ];
        for (const o of offers) await upsertOffer(store, o, { now: NOW });
        const app = await buildServerAs(store);
        const res = await app.inject({ method: 'POST', url: '/v1/coupons/validate', payload: { channel: 'mini', shippingFen: 800, lines, codes: ['TEA10', 'MJ20', 'MJ50', 'BIG300', 'SOLO10', 'SHIP', 'LATER', 'APPONLY', 'NOPE'] } });
        assert.equal(res.statusCode, 200, res.body);
        const p = res.json();
        // 9折 on tea: 20,000 → 2,000 off; then 满300减50 on the 33,000 left (worth more alone than 每满200减20, its group's
        // other coupon), spread over the lines pro rata to what is left of each; then shipping
        assert.deepEqual(p.applied.map((a: { code: string; discountFen: number; shippingDiscountFen: number }) => [a.code, a.discountFen + a.shippingDiscountFen]), [['TEA10', 2_000], ['MJ50', 5_000], ['SHIP', 800]]);
        assert.equal(p.totalDiscountFen, 7_000);
        assert.deepEqual(p.lines.map((l: { discountFen: number }) => l.discountFen), [2_000 + 2_727, 758, 1_515]);
        const why = Object.fromEntries(p.rejected.map((r: { code: string; reason: string }) => [r.code, r.reason]));
        assert.match(why.MJ20, /MJ50 already applies from the same stacking group platform/);
        assert.match(why.BIG300, /spend ¥1000.00 to save/);
        assert.match(why.SOLO10, /exclusive; the combination applied saves more/);
        assert.match(why.LATER, /not valid before/);
        assert.match(why.APPONLY, /not valid in channel mini/);
        assert.equal(why.NOPE, 'unknown code');
        // The same reasons as codes with their figures (test/loyalty/refusals.test.ts has every code), through the route's schema.
        const codes = Object.fromEntries(p.rejected.map((r: { code: string; reasonCode: string; params: unknown }) => [r.code, [r.reasonCode, r.params]]));
        assert.deepEqual(codes, {
          MJ20: ['stacking_group_taken', { appliedCode: 'MJ50', stackGroup: 'platform' }],
          BIG300: ['threshold_not_met', { thresholdFen: 100_000, offFen: 30_000, eligibleFen: 35_000 }],
          SOLO10: ['combination_better', { savedFen: 7_800, aloneFen: 1_000 }],
          LATER: ['not_yet_valid', { validFrom: '2099-07-01T00:00:00.000Z' }],
          APPONLY: ['channel_not_allowed', { channel: 'mini' }],
          NOPE: ['unknown_code', {}],
        });
        await app.close();
      });
    });

    test('redeem and release over HTTP are idempotent on the key; an analyst may validate but not redeem', async () => {
      await withStore(backend, async (store) => {
        await upsertOffer(store, { id: 'once', name: '无门槛5元', rule: { kind: 'fixed', offFen: 500 }, sharedCode: 'FIVE', perCustomerLimit: 1 }, { now: NOW });
        const app = await buildServerAs(store);
        const body = { key: 'pos-1', code: 'five', cart: { customerId: 'c1', lines } };
        const first = (await app.inject({ method: 'POST', url: '/v1/coupons/redeem', payload: body })).json();
        assert.equal(first.status, 'redeemed');
        assert.equal(first.discountFen, 500);
        const again = (await app.inject({ method: 'POST', url: '/v1/coupons/redeem', payload: body })).json();
        assert.equal(again.isReplay, true);
        const other = (await app.inject({ method: 'POST', url: '/v1/coupons/redeem', payload: { ...body, key: 'pos-2' } })).json();
        assert.equal(other.status, 'rejected');
        assert.match(other.reason, /by this customer/);
        const released = (await app.inject({ method: 'POST', url: '/v1/coupons/release', payload: { key: 'pos-1' } })).json();
        assert.equal(released.status, 'released');
        assert.equal((await app.inject({ method: 'POST', url: '/v1/coupons/redeem', payload: { ...body, key: 'pos-3' } })).json().status, 'redeemed');
        const analyst = await bearer(store, ['coupons:read', 'loyalty:read']);
        assert.equal((await app.inject({ method: 'POST', url: '/v1/coupons/validate', headers: { authorization: analyst }, payload: { lines } })).statusCode, 200);
        assert.equal((await app.inject({ method: 'POST', url: '/v1/coupons/redeem', headers: { authorization: analyst }, payload: { ...body, key: 'pos-4' } })).statusCode, 403);
        const cost = (await app.inject({ method: 'GET', url: '/v1/reports/loyalty/coupons' })).json();
        assert.deepEqual([cost.offers[0].redeemed, cost.offers[0].released, cost.offers[0].discountFen], [1, 1, 500]);
        await app.close();
      });
    });

    test('stored value: the bonus rule applies, the prepaid cap holds, payments take principal and bonus in proportion', async () => {
      await withStore(backend, async (store) => {
        const app = await buildServerAs(store);
        const top = (await app.inject({ method: 'POST', url: '/v1/stored-value/top-up', payload: { customerId: 'c1', key: 't1', amountFen: 50_000 } })).json();
        assert.deepEqual([top.principalFen, top.bonusFen], [50_000, 5_000]);
        const over = await app.inject({ method: 'POST', url: '/v1/stored-value/top-up', payload: { customerId: 'c1', key: 't2', amountFen: 450_001 } });
        assert.equal(over.statusCode, 409);
        const pay = (await app.inject({ method: 'POST', url: '/v1/stored-value/spend', payload: { customerId: 'c1', key: 'p1', amountFen: 11_000 } })).json();
        assert.deepEqual([pay.principalFen, pay.bonusFen], [-10_000, -1_000]);
        await app.inject({ method: 'POST', url: '/v1/stored-value/refund', payload: { customerId: 'c1', key: 'r1', spendKey: 'p1' } });
        const card = (await app.inject({ method: 'GET', url: '/v1/customers/c1/loyalty' })).json();
        assert.deepEqual([card.storedValue.principalFen, card.storedValue.bonusFen], [50_000, 5_000]);
        await app.close();
      });
    });
  });

  describe(`loyalty reports (${backend})`, () => {
    test('the roll-forward adds up and the liability applies breakage from closed cohorts', async () => {
      await withStore(backend, async (store) => {
        const t = (iso: string) => new Date(iso);
        // a 2024 cohort: 1,000 earned, 600 spent, 400 expired at the end of 2025 → breakage 40%
        await store.transaction((tx) => awardPoints(tx, [{ customerId: 'a', key: 'e1', points: 1_000, source: 'staff', isImmediate: true, at: t('2024-03-01T00:00:00Z') }], { now: t('2024-03-01T00:00:00Z') }));
        await store.execute(`UPDATE points_buckets SET created_at = '2024-03-01T00:00:00Z'`);
        const { spendPoints } = await import('../../src/loyalty/index.ts');
        await spendPoints(store, { customerId: 'a', key: 's1', points: 600, now: t('2024-06-01T00:00:00Z') });
        await store.execute(`UPDATE points_ledger SET created_at = '2024-06-01T00:00:00Z' WHERE entry_key = 's1'`);
        await expirePoints(store, t('2026-01-01T00:00:00Z'));
        // a 2026 cohort still open: 2,000 outstanding
        await store.transaction((tx) => awardPoints(tx, [{ customerId: 'b', key: 'e2', points: 2_000, source: 'staff', isImmediate: true, at: t('2026-02-01T00:00:00Z') }], { now: t('2026-02-01T00:00:00Z') }));
        await store.execute(`UPDATE points_buckets SET created_at = '2026-02-01T00:00:00Z' WHERE bucket_key = 'e2'`);
        const r = await pointsRollForward(store, t('2025-01-01T00:00:00Z'), t('2026-12-31T00:00:00Z'));
        assert.deepEqual([r.opening, r.earned, r.redeemed, r.expired, r.closing], [400, 2_000, 0, 400, 2_000]);
        assert.equal(r.opening + r.earned - r.redeemed - r.expired + r.reversed + r.adjusted, r.closing);
        const l = await pointsLiability(store, t('2026-06-01T00:00:00Z'));
        assert.equal(l.cohortsUsed, 1);
        assert.equal(l.breakageRate, 0.4);
        assert.equal(l.liabilityFen, 1_200); // 2,000 points × ¥0.01 × 60%
      });
    });
  });
}
