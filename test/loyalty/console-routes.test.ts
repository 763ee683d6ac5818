import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { awardPoints, couponCost, issueCoupons, pointsLiability, upsertOffer } from '../../src/loyalty/index.ts';
import { buildServerAs, jsonCaller } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

// The loyalty routes the console's 权益 pages read, with their response schemas: offers with budgets used, an offer's
// code batches, a customer's wallet and ledgers, the tier rules and the reports, each equal to what the domain computes.

const NOW = new Date('2026-06-01T04:00:00Z');

for (const backend of BACKENDS) {
  describe(`the console's loyalty routes on ${backend}`, () => {
    test('offers with budgets, code batches counted by state, a wallet and points ledger, tier rules and the reports', () =>
      withStore(backend, async (store) => {
        await store.insertRows('customers', ['customer_id', 'name', 'traits', 'created_at', 'updated_at'], [['c1', '张三', '{}', NOW, NOW]]);
        await upsertOffer(store, { id: 'mj', name: '满99减20', campaign: '会员日', rule: { kind: 'spend_save', thresholdFen: 9_900, offFen: 2_000 }, budgetCount: 100, budgetDiscountFen: 200_000, sharedCode: 'MJ20' }, { now: NOW });
        await upsertOffer(store, { id: 'ship', name: '包邮', rule: { kind: 'free_shipping' } }, { now: NOW });
        const app = await buildServerAs(store);
        try {
          const call = jsonCaller(app);
          const { offers } = await call('GET', '/v1/offers');
          assert.deepEqual(offers.map((o: { id: string; budgetCount: number | null; usedCount: number; sharedCode: string | null }) => [o.id, o.budgetCount, o.usedCount, o.sharedCode]), [['mj', 100, 0, 'MJ20'], ['ship', null, 0, null]]);
          assert.deepEqual((await call('GET', '/v1/offers/mj')).rule, { kind: 'spend_save', thresholdFen: 9_900, offFen: 2_000, isRepeating: false });

          const batch = await call('POST', '/v1/offers/mj/batches', { count: 5, prefix: 'VIP' });
          assert.equal(batch.codes.length, 5);
          assert.ok(batch.codes.every((c: string) => c.startsWith('VIP')));
          await call('POST', '/v1/offers/mj/batches', { count: 0 }, 400);
          await call('POST', `/v1/coupons/${batch.codes[0]}/claim`, { customerId: 'c1' });
          await call('POST', `/v1/coupons/${batch.codes[1]}/void`, { reason: 'printed twice' });
          const { batches } = await call('GET', '/v1/offers/mj/batches');
          assert.deepEqual(batches.map((b: { batchId: string; codes: number; claimed: number; voided: number; source: string }) => [b.batchId, b.codes, b.claimed, b.voided, b.source]), [[batch.batchId, 5, 1, 1, 'batch']]);
          await call('GET', '/v1/offers/nope/batches', undefined, 404);

          await store.transaction((tx) => issueCoupons(tx, 'ship', ['c1'], { source: 'test', now: NOW }));
          await store.transaction((tx) => awardPoints(tx, [{ customerId: 'c1', key: 'welcome', points: 300, source: 'staff', reason: '开卡礼', isImmediate: true, at: NOW }], { now: NOW }));
          const mine = await call('GET', '/v1/customers/c1/loyalty');
          assert.deepEqual(mine.wallet.map((c: { offerId: string; state: string }) => [c.offerId, c.state]).sort(), [['mj', 'claimed'], ['ship', 'claimed']]);
          assert.equal(mine.points.balance, 300);
          assert.deepEqual(mine.ledger.map((e: { key: string; kind: string; points: number; reason: string }) => [e.key, e.kind, e.points, e.reason]), [['welcome', 'earn', 300, '开卡礼']]);
          assert.deepEqual([mine.storedValue.principalFen, mine.tier.tier], [0, null]);

          const tiers = await call('GET', '/v1/loyalty/settings/tiers');
          assert.deepEqual(tiers.tiers.map((t: { name: string; threshold: number }) => [t.name, t.threshold]), [['普通', 0], ['高级', 1000], ['VIP', 5000]]);
          assert.equal((await call('GET', '/v1/loyalty/settings/points')).fenPerPoint, 1);
          // The ladder is checked on the server too: each problem at its row, nothing saved.
          const ladder = (tiers: { name: string; threshold: number }[]) => app.inject({ method: 'PUT', url: '/v1/loyalty/settings/tiers', payload: { tiers } });
          for (const [tiers, path] of [
            [[{ name: '普通', threshold: 0 }, { name: 'VIP', threshold: 5000 }, { name: '高级', threshold: 1000 }], 'tiers[2].threshold'],
            [[{ name: '普通', threshold: 100 }, { name: '高级', threshold: 1000 }], 'tiers[0].threshold'],
            [[{ name: '普通', threshold: 0 }, { name: '普通', threshold: 1000 }], 'tiers[1].name'],
          ] as const) {
            const refused = await ladder([...tiers]);
            assert.equal(refused.statusCode, 400, refused.body);
            assert.ok(JSON.stringify(refused.json()).includes(path), `${path}: ${refused.body}`);
          }
          assert.deepEqual((await call('GET', '/v1/loyalty/settings/tiers')).tiers.map((t: { threshold: number }) => t.threshold), [0, 1000, 5000]);

          const asOf = new Date().toISOString();
          const liability = await call('GET', `/v1/reports/loyalty/liability?asOf=${encodeURIComponent(asOf)}`);
          assert.deepEqual(liability, JSON.parse(JSON.stringify(await pointsLiability(store, new Date(asOf)))));
          assert.equal(liability.outstandingPoints, 300);
          assert.deepEqual(await call('GET', '/v1/reports/loyalty/coupons'), JSON.parse(JSON.stringify(await couponCost(store))));
          const report = await call('GET', `/v1/reports/loyalty/tiers?from=2026-01-01T00:00:00Z&to=${encodeURIComponent(asOf)}`);
          assert.deepEqual(report, { distribution: [], migration: [] });
        } finally {
          await app.close();
        }
      }));
  });
}
