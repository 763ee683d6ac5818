import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeKpis, computeRetention } from '../../src/analytics/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { loadKpiFixture } from './fixture.ts';

const firsts = async (store: Store) =>
  Object.fromEntries((await store.query<{ buyer_id: string; first_day: string }>(`SELECT buyer_id, CAST(first_day AS VARCHAR) AS first_day FROM analytics_first_purchases ORDER BY buyer_id`)).map((r) => [r.buyer_id, r.first_day]));
const newBuyers = async (store: Store) => (await computeKpis(store, { from: '2026-06-01', to: '2026-06-08' })).metrics.find((m) => m.key === 'newBuyers')!.value;
const later = new Date('2026-08-01T00:00:00Z');

for (const backend of BACKENDS) {
  describe(`analytics first purchases (${backend})`, () => {
    it('are built on first use and follow new orders, refunds and merges without a full rebuild', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        assert.equal(await newBuyers(store), 2);
        assert.deepEqual(await firsts(store), { A: '2026-05-10', B: '2026-06-03', C: '2026-06-07', D: '2026-05-28', J: '2026-05-26' });
        const builtAt = async () => JSON.parse((await store.query<{ value: string }>(`SELECT value FROM analytics_state WHERE key = 'first_purchases'`))[0]!.value).builtAt;
        const built = await builtAt();

        // An older order of B arrives late: B is no longer new in the week.
        await store.insertRows('orders', ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'currency', 'updated_at'], [['B', 'B0', new Date('2026-04-01T04:00:00Z'), 'completed', 1000, 'CNY', later]]);
        assert.equal(await newBuyers(store), 1);
        assert.equal((await firsts(store)).B, '2026-04-01');
        assert.equal(await builtAt(), built, 'brought up to date, not rebuilt');

        // J's first order is refunded in full: her first purchase moves to her second.
        await store.execute(`UPDATE orders SET status = 'refunded', refunded_fen = total_fen, updated_at = CAST($1 AS TIMESTAMPTZ) WHERE order_id = 'J1'`, [new Date('2026-08-02T00:00:00Z')]);
        await newBuyers(store);
        assert.equal((await firsts(store)).J, '2026-05-27');

        // C is merged into A (her orders move with their old updated_at): C disappears, A keeps her first.
        await store.execute(`UPDATE orders SET customer_id = 'A' WHERE customer_id = 'C'`);
        await store.insertRows('customer_merges', ['customer_id', 'merged_id', 'reason', 'merged_at'], [['A', 'C', 'alias', new Date('2026-08-03T00:00:00Z')]]);
        assert.equal(await newBuyers(store), 0);
        const after = await firsts(store);
        assert.equal(after.C, undefined);
        assert.equal(after.A, '2026-05-10');
        const [state] = await store.query<{ value: string }>(`SELECT value FROM analytics_state WHERE key = 'first_purchases'`);
        assert.equal(JSON.parse(state!.value).merges, 1);
        assert.equal(await builtAt(), built);
      }));

    it('are rebuilt in the new timezone when the brand changes it', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        await computeRetention(store);
        assert.equal((await firsts(store)).C, '2026-06-07'); // 15:30 UTC is 23:30 in Shanghai
        await store.execute(`UPDATE settings SET value = 'Asia/Tokyo' WHERE key = 'timezone'`);
        await computeRetention(store);
        assert.equal((await firsts(store)).C, '2026-06-08'); // and 00:30 the next day in Tokyo
      }));
  });
}
