import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { computeLifecycle } from '../../src/segment/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { load } from './fixture.ts';

// The RFM fixture (fixture.ts) plus H, who bought monthly in early 2025 and came back in June 2026, and order lines
// that put A, F and H in one category (饮料) so its median gap bounds their thresholds.
async function loadMore(store: Store): Promise<void> {
  await load(store);
  const at = new Date('2026-07-01T00:00:00Z');
  await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], [['H', at, at]]);
  const h = ['2025-01-01', '2025-01-31', '2025-03-02', '2025-04-01', '2026-06-20'];
  await store.insertRows('orders', ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'currency', 'updated_at'], h.map((d, i) => ['H', `H${i}`, new Date(`${d}T04:00:00Z`), 'completed', 1000, 'CNY', at]));
  const orders = await store.query<{ customer_id: string; order_id: string }>("SELECT customer_id, order_id FROM orders WHERE customer_id IN ('A', 'F', 'H')");
  await store.insertRows('order_items', ['customer_id', 'order_id', 'line', 'sku', 'quantity', 'unit_price_fen', 'category'], orders.map((o) => [o.customer_id, o.order_id, 1, 'S1', 1, 1000, '饮料']));
}

const stages = async (store: Store) => Object.fromEntries((await store.query<{ customer_id: string; stage: string }>('SELECT customer_id, stage FROM lifecycle_stages ORDER BY customer_id')).map((r) => [r.customer_id, r.stage]));

for (const backend of BACKENDS) {
  describe(`lifecycle stages on ${backend}`, () => {
    test('stages by hand, with thresholds from each customer\'s own gaps bounded by their category, and fixed ones for one purchase', () =>
      withStore(backend, async (store) => {
        await loadMore(store);
        const report = await computeLifecycle(store, { asOf: '2026-06-30' });
        // A: gaps 111, 58 → 3 × 84.5 = 253.5, capped at 2 × 3 × 31 (饮料's median of A 84.5, F 31, H 30); last gap 58 → repeat.
        // B: one purchase day 29 days ago → new. C: last bought 211 days ago, own churn threshold 6 × 30 = 180 → churned.
        // D: one purchase 486 days ago → churned (fixed 180). E: only completed order today → new.
        // F: gaps 31, 28, 31 → dormant after 93; 90 days since → repeat. G: never bought → prospect.
        // H: gaps 30, 30, 30, 445 → the last gap exceeds 90 → reactivated.
        assert.deepEqual(await stages(store), { A: 'repeat', B: 'new', C: 'churned', D: 'churned', E: 'new', F: 'repeat', G: 'prospect', H: 'reactivated' });
        const rows = Object.fromEntries((await store.query<{ customer_id: string; dormant_days: number | null; churned_days: number | null; basis: string }>('SELECT customer_id, dormant_days, churned_days, basis FROM lifecycle_stages')).map((r) => [r.customer_id, [r.dormant_days, r.churned_days, r.basis]]));
        assert.deepEqual(rows.A, [186, 372, 'own']);
        assert.deepEqual(rows.F, [93, 186, 'own']);
        assert.deepEqual(rows.B, [90, 180, 'fixed']);
        assert.deepEqual(rows.G, [null, null, 'none']);
        assert.equal(report.changes, 8, 'everyone is staged for the first time');
        assert.deepEqual(report.stages.find((s) => s.code === 'churned'), { code: 'churned', zh: '流失', en: 'Churned', customers: 2, share: 2 / 8 });
      }));

    test('each change is recorded once in the history and as a Stage Changed event, however often a day is rerun', () =>
      withStore(backend, async (store) => {
        await loadMore(store);
        await computeLifecycle(store, { asOf: '2026-06-30' });
        // Five days later F is 95 days past a 93-day threshold, and B's first purchase is 34 days old: B is active.
        const later = await computeLifecycle(store, { asOf: '2026-07-05' });
        const key = (t: { from: string | null; to: string }) => `${t.from}>${t.to}`;
        assert.deepEqual(later.transitions.map(key).sort(), ['new>active', 'repeat>dormant']);
        assert.equal((await stages(store)).F, 'dormant');
        await computeLifecycle(store, { asOf: '2026-07-05' });
        const events = await store.query<{ customer_id: string; properties: { from: string; to: string; at: string } }>("SELECT customer_id, properties FROM events WHERE name = 'Stage Changed' AND customer_id = 'F' ORDER BY ts");
        assert.deepEqual(events.map((e) => e.properties), [{ from: null, to: 'repeat', at: '2026-06-30' }, { from: 'repeat', to: 'dormant', at: '2026-07-05' }]);
        const history = await store.query("SELECT from_stage, to_stage, changed_on FROM lifecycle_history WHERE customer_id = 'F' ORDER BY changed_on");
        assert.deepEqual(history, [{ from_stage: null, to_stage: 'repeat', changed_on: '2026-06-30' }, { from_stage: 'repeat', to_stage: 'dormant', changed_on: '2026-07-05' }]);
        await assert.rejects(computeLifecycle(store, { dormantMultiplier: 6, churnedMultiplier: 3 }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_threshold');
      }));
  });
}
