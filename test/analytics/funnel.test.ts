import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeFunnel } from '../../src/analytics/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { loadFunnelFixture } from './fixture.ts';

// The funnel fixture (test/analytics/fixture.ts, docs/analytics.md): P views, adds and completes on events; Q adds
// 17 days after viewing; R views and adds on 天猫 and completes with an imported order 25 hours after adding;
// S adds without viewing.
const STEPS = [{ event: 'Product Viewed' }, { event: 'Product Added' }, { event: 'Order Completed' }];
const WEEK = { from: '2026-06-01', to: '2026-06-08' };

for (const backend of BACKENDS) {
  describe(`analytics funnels (${backend})`, () => {
    it('counts each customer once from her first entry, each step within the window of the first, with step and overall conversion', () =>
      withStore(backend, async (store) => {
        await loadFunnelFixture(store);
        const r = await computeFunnel(store, { steps: STEPS, ...WEEK });
        assert.deepEqual(r.steps.map((s) => s.customers), [3, 2, 2]);
        assert.deepEqual(r.steps.map((s) => s.conversion), [1, 2 / 3, 1]);
        assert.deepEqual(r.steps.map((s) => s.conversionFromFirst), [1, 2 / 3, 2 / 3]);
        assert.equal(r.overallConversion, 2 / 3);
        assert.equal(r.windowDays, 14);
      }));

    it('gives the median time between steps', () =>
      withStore(backend, async (store) => {
        await loadFunnelFixture(store);
        const r = await computeFunnel(store, { steps: STEPS, ...WEEK });
        // P: 5 min then 25 min; R: 1 h then 25 h (to the imported order).
        assert.deepEqual(r.steps.map((s) => s.medianSecondsFromPrevious), [null, (300 + 3600) / 2, (1500 + 90000) / 2]);
      }));

    it('splits by the channel of each entry: the channel property, else the app', () =>
      withStore(backend, async (store) => {
        await loadFunnelFixture(store);
        const r = await computeFunnel(store, { steps: STEPS, ...WEEK, byChannel: true });
        assert.deepEqual(
          r.byChannel!.map((c) => [c.channel, c.steps.map((s) => s.customers), c.overallConversion]),
          [['mp-shop', [2, 1, 1], 0.5], ['天猫', [1, 1, 1], 1]],
        );
      }));

    it('drops a step that falls outside a shorter conversion window', () =>
      withStore(backend, async (store) => {
        await loadFunnelFixture(store);
        const r = await computeFunnel(store, { steps: STEPS, ...WEEK, windowDays: 1 });
        assert.deepEqual(r.steps.map((s) => s.customers), [3, 2, 1]);
      }));

    it('filters a step on event properties', () =>
      withStore(backend, async (store) => {
        await loadFunnelFixture(store);
        const r = await computeFunnel(store, { steps: [{ event: 'Product Viewed', where: [{ property: 'category', op: '=', value: '个护' }] }, ...STEPS.slice(1)], ...WEEK });
        assert.deepEqual(r.steps.map((s) => s.customers), [2, 2, 2]);
        const others = await computeFunnel(store, { steps: [{ event: 'Product Viewed', where: [{ property: 'category', op: '!=', value: '个护' }] }, STEPS[1]!], ...WEEK });
        assert.deepEqual(others.steps.map((s) => s.customers), [2, 0]); // P's 彩妆 view on 6 June, Q's on 3 June; neither adds in time after
      }));

    it('measures cart abandonment: carts in the period with no completed order (event or imported order) within the window', () =>
      withStore(backend, async (store) => {
        await loadFunnelFixture(store);
        const r = await computeFunnel(store, { steps: STEPS, ...WEEK });
        assert.deepEqual(r.cartAbandonment, { carts: 3, abandoned: 1, rate: 1 / 3 });
      }));

    it('refuses a funnel of one step, naming the field', () =>
      withStore(backend, async (store) => {
        await assert.rejects(() => computeFunnel(store, { steps: [{ event: 'Product Viewed' }] }), (e: Error & { details?: { path: string }[] }) => e.details?.[0]?.path === 'steps');
      }));
  });
}
