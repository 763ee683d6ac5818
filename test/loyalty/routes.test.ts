import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPoints, getOffer, listCoupons, pointsRollForward, readLoyaltySettings, storedValueAgeing } from '../../src/loyalty/index.ts';
import { buildServerAs, jsonCaller } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

// The loyalty routes that write, and the reports the console does not read yet, answer through their response
// schemas: each answer is what the domain returns (as JSON), so no field is dropped on the way out.

const json = (value: unknown) => JSON.parse(JSON.stringify(value));

for (const backend of BACKENDS) {
  describe(`the loyalty write routes on ${backend}`, () => {
    test('offers, codes, issues, points, tiers, settings and the points and stored-value reports each answer what the domain returns', () =>
      withStore(backend, async (store) => {
        const app = await buildServerAs(store);
        try {
          const call = jsonCaller(app);

          const offer = await call('PUT', '/v1/offers/gift', { name: '买茶送杯', rule: { kind: 'gift', giftSku: 'cup' }, applies: { categories: ['茶'] }, sharedCode: 'CUP', validDays: 30 });
          assert.deepEqual(offer, json(await getOffer(store, 'gift')));
          assert.deepEqual(offer.rule, { kind: 'gift', giftSku: 'cup', giftQuantity: 1 });
          const priced = await call('POST', '/v1/coupons/validate', { lines: [{ sku: 'tea', category: '茶', quantity: 1, unitPriceFen: 9_900 }], codes: ['CUP', 'NOPE'] });
          assert.deepEqual(priced.applied.map((a: { kind: string; gift: unknown }) => [a.kind, a.gift]), [['gift', { sku: 'cup', quantity: 1 }]]);
          assert.deepEqual(priced.rejected.map((r: { code: string; offerId?: string }) => [r.code, r.offerId]), [['NOPE', undefined]]);

          const imported = await call('POST', '/v1/offers/gift/codes/import', { codes: ['MKT-0001', 'mkt-0001', 'x'] });
          assert.deepEqual([imported.accepted, imported.rejected.map((r: { line: number; reason: string }) => [r.line, r.reason])], [1, [[2, 'repeated in the file'], [3, '3–40 letters, digits or dashes']]]);
          const issued = await call('POST', '/v1/offers/gift/issue', { customerIds: ['c1', 'c2'], source: 'welcome' });
          const codes = (await listCoupons(store, { offerId: 'gift', state: 'claimed' })).map((c) => c.code);
          assert.deepEqual(issued.outcomes.map((o: { customerId: string; outcome: string; code: string }) => [o.customerId, o.outcome, codes.includes(o.code)]), [['c1', 'issued', true], ['c2', 'issued', true]]);
          const again = await call('POST', '/v1/offers/gift/issue', { customerIds: ['c1'], source: 'welcome' });
          assert.deepEqual(again.outcomes, [{ customerId: 'c1', outcome: 'already_issued', code: issued.outcomes[0].code }]);

          for (const [verb, status] of [['pause', 'paused'], ['resume', 'active'], ['end', 'ended']]) {
            const changed = await call('POST', `/v1/offers/gift/${verb}`);
            assert.equal(changed.status, status);
            assert.deepEqual(changed, json(await getOffer(store, 'gift')));
          }
          assert.deepEqual((await call('POST', '/v1/offers/gift/issue', { customerIds: ['c3'] })).outcomes, [{ customerId: 'c3', outcome: 'rejected', reason: 'offer gift is ended' }]);

          const awards = [{ customerId: 'c1', key: 'k1', points: 500, reason: '开卡礼' }, { customerId: 'c1', key: 'k2', points: -50, reason: '更正' }];
          assert.deepEqual((await call('POST', '/v1/points/award', { awards })).outcomes, awards.map((a) => ({ customerId: 'c1', key: a.key, outcome: 'awarded', points: a.points })));
          assert.deepEqual((await call('POST', '/v1/points/award', { awards: awards.slice(0, 1) })).outcomes[0].outcome, 'duplicate');
          const spent = await call('POST', '/v1/points/spend', { customerId: 'c1', key: 's1', points: 100 });
          assert.deepEqual(spent, { key: 's1', points: 100, valueFen: 100, isReplay: false });
          assert.deepEqual(await call('POST', '/v1/points/spend', { customerId: 'c1', key: 's1', points: 100 }), { ...spent, isReplay: true });
          const check = await call('GET', '/v1/points/check');
          assert.deepEqual(check, json(await checkPoints(store)));
          assert.deepEqual(check, { customers: 1, mismatches: [] });

          assert.deepEqual(await call('POST', '/v1/tiers/set', { customerIds: ['c1', 'c2'], tier: 'VIP' }), { changed: 2 });
          assert.deepEqual(await call('POST', '/v1/tiers/set', { customerIds: ['c1'], tier: 'VIP' }), { changed: 0 });
          const moved = await store.query<{ properties: unknown }>(`SELECT properties FROM events WHERE name = 'Tier Changed' AND customer_id = 'c1'`);
          assert.deepEqual(moved.map((e) => (typeof e.properties === 'string' ? JSON.parse(e.properties) : e.properties)), [{ from: null, to: 'VIP', reason: 'set' }], 'one Tier Changed event, its properties JSON');
          const settings = await call('PUT', '/v1/loyalty/settings/stored_value', { capFen: 100_000 });
          assert.deepEqual(settings, json(await readLoyaltySettings(store, 'stored_value')));
          assert.equal(settings.capFen, 100_000);

          assert.equal((await call('POST', '/v1/stored-value/top-up', { customerId: 'c1', key: 't1', amountFen: 60_000 })).bonusFen, 5_000);
          const asOf = new Date(Date.now() + 60_000).toISOString();
          const ageing = await call('GET', `/v1/reports/loyalty/stored-value?asOf=${encodeURIComponent(asOf)}`);
          assert.deepEqual(ageing, json({ ageing: await storedValueAgeing(store, new Date(asOf)) }));
          assert.deepEqual(ageing.ageing, [{ age: '0-90 days', cards: 1, principalFen: 60_000, bonusFen: 5_000 }]);
          const from = '2026-01-01T00:00:00.000Z';
          const points = await call('GET', `/v1/reports/loyalty/points?from=${from}&to=${encodeURIComponent(asOf)}`);
          assert.deepEqual(points, json(await pointsRollForward(store, new Date(from), new Date(asOf))));
          assert.deepEqual([points.earned, points.adjusted, points.redeemed, points.closing], [500, -50, 100, 350]);
        } finally {
          await app.close();
        }
      }));
  });
}
