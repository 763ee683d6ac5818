import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { computeTiers, layerMigration } from '../../src/segment/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { load } from './fixture.ts';

const tiers = async (store: Store) => Object.fromEntries((await store.query<{ customer_id: string; tier: string }>('SELECT customer_id, tier FROM tier_scores ORDER BY customer_id')).map((r) => [r.customer_id, r.tier]));

for (const backend of BACKENDS) {
  describe(`value tiers on ${backend}`, () => {
    test('rank by money paid in the window: the top share is the head, the next the waist, nothing paid is tail', () =>
      withStore(backend, async (store) => {
        await load(store);
        // Paid in the window to 2026-06-30: C 2000, F 1200, A 600, E 80, B 50, D 0.
        const report = await computeTiers(store, { asOf: '2026-06-30' });
        assert.deepEqual(await tiers(store), { A: 'waist', B: 'tail', C: 'head', D: 'tail', E: 'tail', F: 'waist' });
        assert.deepEqual(report.tiers.map((t) => [t.code, t.customers, t.minValue, t.totalValue]), [['head', 1, 2000, 2000], ['waist', 2, 600, 1800], ['tail', 3, 0, 130]]);
        await computeTiers(store, { asOf: '2026-06-30', headShare: 0.5, waistShare: 0.25 });
        assert.deepEqual(await tiers(store), { A: 'head', B: 'tail', C: 'head', D: 'tail', E: 'waist', F: 'head' }, 'the shares are configurable and a rerun replaces the tiers');
        // Tiers on an earlier day, then the migration from it: the 06-30 run with the last shares is what stands.
        await computeTiers(store, { asOf: '2026-03-31' });
        const before = await tiers(store);
        await computeTiers(store, { asOf: '2026-06-30', headShare: 0.5, waistShare: 0.25 });
        const after = await tiers(store);
        const want = new Map<string, number>();
        for (const [c, to] of Object.entries(after)) want.set(`${before[c] ?? '(none)'} → ${to}`, (want.get(`${before[c] ?? '(none)'} → ${to}`) ?? 0) + 1);
        const moved = await layerMigration(store, 'tier', '2026-03-31', '2026-06-30');
        assert.deepEqual(new Map(moved.links.map((l) => [`${l.source} → ${l.target}`, l.customers])), want);
      }));

    test('rank by predicted CLV once scores exist, and refuse clearly before', () =>
      withStore(backend, async (store) => {
        await assert.rejects(computeTiers(store, { basis: 'clv' }), (e: unknown) => isSiyuError(e) && e.code === 'no_clv_scores');
        const at = new Date();
        await store.insertRows(
          'clv_scores',
          ['customer_id', 'p_alive', 'expected_orders_90d', 'expected_aov_fen', 'clv_12m_fen', 'as_of'],
          [['x', 0.9, 1, 100, 90_000, '2026-06-30'], ['y', 0.5, 1, 100, 10_000, '2026-06-30'], ['z', 0.1, 0, 100, 0, '2026-06-30']],
        );
        await store.insertRows(
          'clv_runs',
          ['run_id', 'model', 'fit_id', 'spend_fit_id', 'currency', 'as_of', 'horizon_months', 'monthly_discount_rate', 'customers', 'scored_at'],
          [['r', 'bgnbd', 'f', null, 'CNY', '2026-06-30', 12, 0.01, 3, at]],
        );
        const report = await computeTiers(store, { basis: 'clv', headShare: 0.3, waistShare: 0.4 });
        assert.deepEqual(await tiers(store), { x: 'head', y: 'waist', z: 'tail' });
        assert.deepEqual([report.basis, report.asOf], ['clv', '2026-06-30']);
        await assert.rejects(computeTiers(store, { headShare: 0.7, waistShare: 0.4 }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_shares');
      }));
  });
}
