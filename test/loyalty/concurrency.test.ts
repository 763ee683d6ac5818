import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCodeBatch, findRedemption, redeemCoupon, releaseRedemption, upsertOffer } from '../../src/loyalty/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { send } from '../ingest/helpers.ts';

const NOW = new Date('2026-06-01T04:00:00Z');
// The full 20,000-against-10,000 race runs on PostgreSQL; on DuckDB, whose statements cost about 1 ms each on this
// machine, it is 2,000 against 1,000 unless SIYU_LOYALTY_FULL=1 (docs/loyalty.md gives both runs' times).
const raceSize = (backend: string) => (backend === 'postgres' || process.env.SIYU_LOYALTY_FULL === '1' ? { tries: 20_000, budget: 10_000 } : { tries: 2_000, budget: 1_000 });
const cart = (customerId?: string) => ({ customerId, lines: [{ sku: 'tea', quantity: 2, unitPriceFen: 10_000 }] });

/** Several handles on the same database, so redemptions really run at once (DuckDB: connections of one process; PG: the pool). */
async function handles(store: Store, n: number): Promise<{ all: Store[]; close: () => Promise<void> }> {
  const forks = await Promise.all(Array.from({ length: n - 1 }, () => store.fork()));
  return { all: [store, ...forks], close: async () => void (await Promise.all(forks.map((f) => f.close()))) };
}

async function counters(store: Store, offerId: string) {
  const [o] = await store.query<{ used_count: number; used_discount_fen: number }>('SELECT used_count, used_discount_fen FROM loyalty_offers WHERE offer_id = $1', [offerId]);
  const [r] = await store.query<{ n: number; fen: number }>(`SELECT count(*) AS n, coalesce(sum(discount_fen), 0) AS fen FROM coupon_redemptions WHERE offer_id = $1 AND status = 'redeemed'`, [offerId]);
  return { usedCount: Number(o!.used_count), usedFen: Number(o!.used_discount_fen), redeemed: Number(r!.n), redeemedFen: Number(r!.fen) };
}

for (const backend of BACKENDS) {
  describe(`coupon concurrency (${backend})`, () => {
    test('1,000 concurrent redeems of one single-use code: exactly one succeeds', async () => {
      await withStore(backend, async (store) => {
        await upsertOffer(store, { id: 'once', name: '满200减30', rule: { kind: 'spend_save', thresholdFen: 20_000, offFen: 3_000 } }, { now: NOW });
        const { codes } = await createCodeBatch(store, 'once', { count: 1, now: NOW });
        const h = await handles(store, 4);
        try {
          const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => redeemCoupon(h.all[i % 4]!, { key: `k${i}`, code: codes[0]!, cart: cart(`c${i}`) }, NOW)));
          assert.equal(results.filter((r) => r.status === 'redeemed').length, 1);
          assert.equal(results.filter((r) => r.status === 'rejected').length, 999);
        } finally {
          await h.close();
        }
        assert.deepEqual(await counters(store, 'once'), { usedCount: 1, usedFen: 3_000, redeemed: 1, redeemedFen: 3_000 });
      });
    });

    const { tries, budget } = raceSize(backend);
    test(`${tries.toLocaleString('en-US')} concurrent redeems against a budget of ${budget.toLocaleString('en-US')}: exactly the budget succeeds`, async () => {
      await withStore(backend, async (store) => {
        await upsertOffer(store, { id: 'hot', name: '无门槛5元', rule: { kind: 'fixed', offFen: 500 }, sharedCode: 'HOT5', budgetCount: budget }, { now: NOW });
        // DuckDB's optimistic transactions on one hot row mostly retry each other beyond two connections.
        const n = backend === 'postgres' ? 6 : 2;
        const h = await handles(store, n);
        try {
          const results = await Promise.all(Array.from({ length: tries }, (_, i) => redeemCoupon(h.all[i % n]!, { key: `k${i}`, code: 'hot5', cart: cart(`c${i % 997}`) }, NOW)));
          assert.equal(results.filter((r) => r.status === 'redeemed').length, budget);
        } finally {
          await h.close();
        }
        assert.deepEqual(await counters(store, 'hot'), { usedCount: budget, usedFen: budget * 500, redeemed: budget, redeemedFen: budget * 500 });
        const [day] = await store.query<{ used: number }>(`SELECT used FROM loyalty_offer_usage WHERE offer_id = 'hot' AND scope LIKE 'd:%'`);
        assert.equal(Number(day!.used), budget);
      });
    });

    test('releases racing redeems of the same keys lose no count, and each key counts at most once', async () => {
      await withStore(backend, async (store) => {
        await upsertOffer(store, { id: 'race', name: '9折', rule: { kind: 'percent', percentOff: 10 }, sharedCode: 'RACE10', budgetCount: 300 }, { now: NOW });
        const h = await handles(store, 4);
        try {
          const work: Promise<unknown>[] = [];
          for (let i = 0; i < 400; i++) {
            const key = `k${i}`;
            work.push(redeemCoupon(h.all[i % 4]!, { key, code: 'RACE10', cart: cart() }, NOW));
            if (i % 2 === 0) work.push(releaseRedemption(h.all[(i + 1) % 4]!, key, { now: NOW }));
            if (i % 5 === 0) work.push(redeemCoupon(h.all[(i + 2) % 4]!, { key, code: 'RACE10', cart: cart() }, NOW));
          }
          await Promise.all(work);
        } finally {
          await h.close();
        }
        const c = await counters(store, 'race');
        assert.equal(c.usedCount, c.redeemed);
        assert.equal(c.usedFen, c.redeemedFen);
        assert.ok(c.redeemed >= 150 && c.redeemed <= 300, `${c.redeemed} redeemed`);
        // every released key stays released: redeeming it again counts nothing
        const again = await redeemCoupon(store, { key: 'k0', code: 'RACE10', cart: cart() }, NOW);
        assert.equal(again.status, 'released');
        assert.equal((await counters(store, 'race')).usedCount, c.usedCount);
      });
    });

    test('a redelivered Order Completed redeems nothing twice; a cancellation gives the coupon back once', async () => {
      await withStore(backend, async (store) => {
        await upsertOffer(store, { id: 'ord', name: '满100减10', rule: { kind: 'spend_save', thresholdFen: 10_000, offFen: 1_000 }, sharedCode: 'ORDER10', perCustomerLimit: 1 }, { now: NOW });
        const order = { type: 'track', event: 'Order Completed', userId: 'u1', timestamp: NOW.toISOString(), properties: { order_id: 'o1', total: 90, discount: 10, coupon: 'order10' } };
        await send(store, order);
        await send(store, order); // the same order again, under a new messageId
        await send(store, { ...order, messageId: 'same' }, { ...order, messageId: 'same' });
        assert.deepEqual(await counters(store, 'ord'), { usedCount: 1, usedFen: 1_000, redeemed: 1, redeemedFen: 1_000 });
        const [row] = await store.query<{ redemption_key: string }>(`SELECT redemption_key FROM coupon_redemptions WHERE order_id = 'o1'`);
        await send(store, { type: 'track', event: 'Order Cancelled', userId: 'u1', properties: { order_id: 'o1' } });
        await send(store, { type: 'track', event: 'Order Cancelled', userId: 'u1', properties: { order_id: 'o1' } });
        assert.deepEqual(await counters(store, 'ord'), { usedCount: 0, usedFen: 0, redeemed: 0, redeemedFen: 0 });
        assert.equal((await findRedemption(store, row!.redemption_key))!.status, 'released');
        const [usage] = await store.query<{ used: number }>(`SELECT used FROM loyalty_offer_usage WHERE offer_id = 'ord' AND scope LIKE 'c:%'`);
        assert.equal(Number(usage!.used), 0);
      });
    });
  });
}
