import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { computeAttributes, computeLayers, customerAttributes, computeLifecycle, computeRfm, computeTiers, refreshSegment, saveSegment, updateLayers } from '../../src/segment/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { load } from './fixture.ts';

const byId = async <T extends { customer_id: string }>(store: Store, sql: string) => Object.fromEntries((await store.query<T>(sql)).map((r) => [r.customer_id, r]));

for (const backend of BACKENDS) {
  describe(`layers from current attributes on ${backend}`, () => {
    test('RFM, tiers and stages read the attributes while they are current, and get what the orders give', () =>
      withStore(backend, async (store) => {
        await load(store);
        // Lines decide each buyer's main category: E's cancelled order has more lines than her purchase, and must not count.
        const lines: [string, string, number, string][] = [['A', 'O0', 1, '乳品'], ['A', 'O1', 1, '乳品'], ['A', 'O2', 1, '零食'], ['E', 'O8', 1, '零食'], ['E', 'O9', 1, '乳品'], ['E', 'O9', 2, '乳品'], ['F', 'O11', 1, '零食']];
        await store.insertRows('order_items', ['customer_id', 'order_id', 'line', 'sku', 'quantity', 'unit_price_fen', 'category'], lines.map(([c, o, l, cat]) => [c, o, l, `S-${cat}`, 1, 100, cat]));
        const layers = async () => ({
          rfm: await store.query('SELECT customer_id, recency_days, frequency, monetary_fen, r_score, f_score, m_score, rfm_class FROM rfm_scores ORDER BY customer_id'),
          tiers: await store.query('SELECT customer_id, tier, value_fen FROM tier_scores ORDER BY customer_id'),
          stages: await store.query('SELECT customer_id, stage, purchases, recency_days, dormant_days, churned_days, basis FROM lifecycle_stages ORDER BY customer_id'),
        });
        const sources = async () => [(await computeRfm(store)).measuredFrom, (await computeTiers(store)).measuredFrom, (await computeLifecycle(store)).measuredFrom];
        assert.deepEqual(await sources(), ['orders', 'orders', 'orders'], 'no attributes yet');
        const fromOrders = await layers();
        await computeAttributes(store);
        assert.deepEqual(await sources(), ['attributes', 'attributes', 'attributes']);
        assert.deepEqual(await layers(), fromOrders);
        assert.equal((await customerAttributes(store, 'F'))!.last_interpurchase_days, 31, 'F bought on 03-01 and 04-01');

        // A changed order or customer (a merge changes the survivor) makes them stale until the next computation.
        await store.execute("UPDATE orders SET updated_at = CAST($1 AS TIMESTAMPTZ) WHERE order_id = 'O4'", [new Date()]);
        assert.deepEqual(await sources(), ['orders', 'orders', 'orders']);
        await computeAttributes(store);
        await store.execute("UPDATE customers SET updated_at = CAST($1 AS TIMESTAMPTZ) WHERE customer_id = 'B'", [new Date()]);
        assert.deepEqual(await sources(), ['orders', 'orders', 'orders']);
        // Attributes add currencies together, so an order in another currency sends money measures back to the orders.
        await computeAttributes(store);
        await store.execute("UPDATE orders SET currency = 'USD' WHERE order_id = 'O4'");
        assert.deepEqual(await sources(), ['orders', 'orders', 'attributes']);
        // Another window than the attributes' 30, 90, 180 and 365 days is measured on the orders.
        await store.execute("UPDATE orders SET currency = 'CNY' WHERE order_id = 'O4'");
        assert.equal((await computeRfm(store, { windowDays: 200 })).measuredFrom, 'orders');
        assert.equal((await computeRfm(store, { windowDays: 90 })).measuredFrom, 'attributes');
      }));
  });

  describe(`incremental layer updates on ${backend}`, () => {
    test('new orders and events update exactly their customers, as a full run would, against the standing cut points', () =>
      withStore(backend, async (store) => {
        await assert.rejects(updateLayers(store), (e: unknown) => isSiyuError(e) && e.code === 'no_full_run');
        await load(store);
        // The full run as of the latest order day, 2026-07-05.
        await computeAttributes(store);
        await computeRfm(store);
        await computeTiers(store);
        await computeLifecycle(store);
        await saveSegment(store, { name: 'recent', definition: { attribute: 'recency_days', op: '<=', value: 30 } });
        assert.equal((await refreshSegment(store, 'recent')).members, 2, 'A (0 days) and E (5)');
        const attributesBefore = await byId<{ customer_id: string; computed_at: Date }>(store, 'SELECT customer_id, computed_at FROM customer_attributes');

        // B buys again on 07-05 for ¥1,500; H is new with one order; G, a prospect, views a product.
        const now = new Date();
        await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], [['H', now, now]]);
        await store.insertRows(
          'orders',
          ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'updated_at'],
          [['B', 'N1', new Date('2026-07-05T04:00:00Z'), 'completed', 150_000, 0, 0, 'CNY', now], ['H', 'N2', new Date('2026-07-05T05:00:00Z'), 'completed', 10_000, 0, 0, 'CNY', now]],
        );
        await store.insertRows('events', ['customer_id', 'message_id', 'type', 'name', 'properties', 'ts', 'received_at'], [['G', 'g1', 'track', 'Product Viewed', { sku: 'X' }, new Date('2026-07-04T02:00:00Z'), now]]);

        const report = await updateLayers(store);
        assert.deepEqual([report.asOf, report.customers, report.updated], ['2026-07-05', 3, { attributes: 3, rfm: 2, tiers: 2, lifecycle: 3 }], 'G has no orders, so no RFM or tier');

        // Attributes of the three are what a full run gives them; everyone else's rows were not touched.
        const attributes = await byId<{ customer_id: string; computed_at: Date }>(store, 'SELECT customer_id, computed_at FROM customer_attributes');
        for (const id of ['A', 'C', 'D', 'E', 'F']) assert.deepEqual(attributes[id]!.computed_at, attributesBefore[id]!.computed_at, `${id} untouched`);
        const [b, g] = [(await customerAttributes(store, 'B'))!, (await customerAttributes(store, 'G'))!];
        assert.deepEqual([b.orders_lifetime, b.recency_days, g.product_views_30d], [2, 0, 1]);

        // RFM: B (recency 0, 2 orders, ¥1,550) against the standing means (140.2 days, 2 orders, ¥821.5): important development.
        const rfm = await byId<{ customer_id: string; recency_days: number; frequency: number; monetary_fen: number; r_score: number; rfm_class: string }>(store, 'SELECT customer_id, recency_days, frequency, monetary_fen, r_score, rfm_class FROM rfm_scores');
        assert.deepEqual([rfm.B!.recency_days, rfm.B!.frequency, Number(rfm.B!.monetary_fen), rfm.B!.r_score, rfm.B!.rfm_class], [0, 2, 155_000, 5, 'important_development']);
        assert.deepEqual([rfm.H!.frequency, rfm.H!.rfm_class], [1, 'general_development']);
        // Tiers: the standing head starts at ¥2,000 (C) and the waist at ¥1,200 (F), so B's ¥1,550 is waist.
        const tiers = await byId<{ customer_id: string; tier: string }>(store, 'SELECT customer_id, tier FROM tier_scores');
        assert.deepEqual([tiers.B!.tier, tiers.H!.tier, tiers.C!.tier], ['waist', 'tail', 'head']);
        // Lifecycle: B's second purchase day, 34 days after the first, makes her a repeat buyer; H is new. The full run
        // staged everyone first on this same day, so the day's one change per customer now goes from nothing to that.
        const stages = await byId<{ customer_id: string; stage: string }>(store, 'SELECT customer_id, stage FROM lifecycle_stages');
        assert.deepEqual([stages.B!.stage, stages.H!.stage, stages.G!.stage], ['repeat', 'new', 'prospect']);
        const changed = await store.query<{ customer_id: string; properties: unknown }>("SELECT customer_id, properties FROM events WHERE name = 'Stage Changed' AND customer_id IN ('B', 'H') ORDER BY customer_id");
        const props = changed.map((e) => (typeof e.properties === 'string' ? JSON.parse(e.properties) : e.properties) as { from: string | null; to: string });
        assert.deepEqual(props.map((p) => [p.from, p.to]), [[null, 'repeat'], [null, 'new']]);
        // The segment's 07-05 snapshot gains B and H, each with one Segment Entered event.
        assert.deepEqual(report.segments.map((s) => [s.segment, s.members, s.entered, s.exited]), [['recent', 4, 2, 0]]);
        const entered = await store.query<{ customer_id: string }>("SELECT customer_id FROM events WHERE name = 'Segment Entered' ORDER BY customer_id");
        assert.deepEqual(entered.map((e) => e.customer_id), ['A', 'B', 'E', 'H']);
        const [enteredB] = await store.query<{ properties: unknown }>("SELECT properties FROM events WHERE name = 'Segment Entered' AND customer_id = 'B'");
        assert.deepEqual(typeof enteredB!.properties === 'string' ? JSON.parse(enteredB!.properties) : enteredB!.properties, { segment: 'recent', as_of: '2026-07-05' });
        // The migration from the full run's day sees B move.
        const history = await store.query<{ value: string }>("SELECT value FROM layer_history WHERE layer = 'tier' AND customer_id = 'B' ORDER BY changed_on");
        assert.deepEqual(history.map((h) => h.value), ['waist'], 'the day\'s row replaced: one value per customer and day');

        // The same as a full recomputation for the touched customers, where the population does not matter.
        const touched = ['B', 'G', 'H'];
        const incremental = await Promise.all(touched.map((id) => customerAttributes(store, id)));
        await computeAttributes(store);
        await computeLifecycle(store);
        const again = await Promise.all(touched.map((id) => customerAttributes(store, id)));
        touched.forEach((id, i) => assert.deepEqual(incremental[i], again[i], `${id}'s attributes`));
        const stagesAgain = await byId<{ customer_id: string; stage: string }>(store, 'SELECT customer_id, stage FROM lifecycle_stages');
        assert.deepEqual([stagesAgain.B!.stage, stagesAgain.H!.stage], ['repeat', 'new']);

        // Nothing changed since: the next update touches no one.
        const idle = await updateLayers(store);
        assert.deepEqual([idle.customers, idle.updated], [0, { attributes: 0, rfm: 0, tiers: 0, lifecycle: 0 }]);

        // B's new order is cancelled the same day: she leaves the segment again, and her Entered event of the day goes.
        await store.execute("UPDATE orders SET status = 'cancelled', updated_at = $1 WHERE order_id = 'N1'", [new Date()]);
        const cancelled = await updateLayers(store);
        assert.deepEqual([cancelled.customers, cancelled.segments[0]!.members], [1, 3]);
        const bEvents = await store.query<{ name: string }>("SELECT name FROM events WHERE customer_id = 'B' AND source = 'siyu segment'");
        assert.deepEqual(bEvents, [], 'no Segment Entered or Exited for B on a day she ends outside the segment');

        // A new day: F, dormant since 04-01 (95 days against her own threshold of 3 × 31), buys on 07-06.
        await store.insertRows(
          'orders',
          ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'updated_at'],
          [['F', 'N3', new Date('2026-07-06T04:00:00Z'), 'completed', 30_000, 0, 0, 'CNY', new Date()]],
        );
        const nextDay = await updateLayers(store);
        assert.deepEqual([nextDay.asOf, nextDay.customers], ['2026-07-06', 1]);
        const f = await store.query<{ from_stage: string; to_stage: string }>("SELECT from_stage, to_stage FROM lifecycle_history WHERE customer_id = 'F' AND changed_on = CAST('2026-07-06' AS DATE)");
        assert.deepEqual(f.map((h) => [h.from_stage, h.to_stage]), [['dormant', 'reactivated']]);
        // The day's snapshot starts from the latest one, so only F enters.
        assert.deepEqual(nextDay.segments.map((s) => [s.segment, s.members, s.entered, s.exited, s.previous]), [['recent', 4, 1, 0, '2026-07-05']]);

        // H's only order is cancelled: with no purchase left she loses her RFM and tier rows, as a full run would
        // give her none, becomes a prospect and leaves the segment.
        await store.execute("UPDATE orders SET status = 'cancelled', updated_at = $1 WHERE order_id = 'N2'", [new Date()]);
        const gone = await updateLayers(store);
        assert.deepEqual([gone.customers, gone.updated.rfm, gone.updated.tiers], [1, 0, 0]);
        assert.deepEqual(await store.query("SELECT customer_id FROM rfm_scores WHERE customer_id = 'H' UNION ALL SELECT customer_id FROM tier_scores WHERE customer_id = 'H'"), []);
        assert.equal((await byId<{ customer_id: string; stage: string }>(store, "SELECT customer_id, stage FROM lifecycle_stages WHERE customer_id = 'H'")).H!.stage, 'prospect');
        assert.deepEqual(gone.segments.map((s) => [s.segment, s.members, s.entered, s.exited]), [['recent', 3, 0, 1]]);
      }));

    test('the full computation runs every layer and segment with each layer\'s last settings; the update is also over HTTP', () =>
      withStore(backend, async (store) => {
        await load(store);
        await computeRfm(store, { threshold: 'median', windowDays: 180 });
        await saveSegment(store, { name: 'recent', definition: { attribute: 'recency_days', op: '<=', value: 30 } });
        const report = await computeLayers(store);
        assert.deepEqual(report.steps.map((s) => [s.step, s.customers]), [['attributes', 7], ['rfm', 6], ['tiers', 6], ['lifecycle', 7], ['segment recent', 2]]);
        const [rfm] = await store.query<{ threshold: string; window_days: number }>('SELECT DISTINCT threshold, window_days FROM rfm_scores');
        assert.deepEqual([rfm!.threshold, rfm!.window_days], ['median', 180], 'RFM keeps the settings of its last run');
        const app = await buildServerAs(store);
        try {
          const update = await app.inject({ method: 'POST', url: '/v1/layers/update', payload: {} });
          assert.deepEqual([update.statusCode, update.json().customers, update.json().asOf], [200, 0, '2026-07-05']);
        } finally {
          await app.close();
        }
      }));
  });
}
