import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeAttributes, computeRfm, dueSegments, listSegments, refreshDueSegments, saveSegment } from '../../src/segment/index.ts';
import { isSiyuError } from '../../src/core/errors.ts';
import { buildServerAs } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { load } from './fixture.ts';

for (const backend of BACKENDS) {
  describe(`layer and segment routes on ${backend}`, () => {
    test('compute RFM, tiers, lifecycle and attributes over HTTP with the CLI options, and refuse bad bodies by path', () =>
      withStore(backend, async (store) => {
        await load(store);
        const app = await buildServerAs(store);
        try {
          const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });
          const rfm = await post('/v1/layers/rfm', { as_of: '2026-06-30', threshold: 'median' });
          assert.equal(rfm.statusCode, 200);
          const thresholds = rfm.json().thresholds;
          assert.deepEqual([thresholds.recencyDays, thresholds.frequency, thresholds.monetary], [59.5, 1.5, 340], 'the hand-computed medians (test/segment/rfm.test.ts)');
          assert.deepEqual(rfm.json().classes.map((c: { code: string; customers: number }) => c.customers), (await computeRfm(store, { asOf: '2026-06-30', threshold: 'median' })).classes.map((c) => c.customers));

          const tiers = await post('/v1/layers/tiers', { as_of: '2026-06-30' });
          assert.deepEqual(tiers.json().tiers.map((t: { code: string; customers: number }) => [t.code, t.customers]), [['head', 1], ['waist', 2], ['tail', 3]]);
          const lifecycle = await post('/v1/layers/lifecycle', { as_of: '2026-06-30' });
          assert.deepEqual([lifecycle.statusCode, lifecycle.json().customers], [200, 7], 'G, who never bought, is a prospect');
          const attributes = await post('/v1/layers/attributes', { as_of: '2026-06-30' });
          assert.deepEqual([attributes.statusCode, attributes.json().customers], [200, 7]);
          assert.equal(rfm.json().measuredFrom, 'orders', 'no attributes yet then');
          const again = await post('/v1/layers/rfm', { as_of: '2026-06-30', threshold: 'median' });
          assert.equal(again.json().measuredFrom, 'attributes', 'right after the attributes, as of the same day');
          assert.deepEqual(again.json().classes, rfm.json().classes);
          const clusters = await post('/v1/layers/clusters', {});
          assert.deepEqual([clusters.statusCode, clusters.json().code], [400, 'too_few_customers'], 'six buyers are too few to cluster');

          const bad = await post('/v1/layers/rfm', { threshold: 'mode', window_days: 0 });
          assert.equal(bad.statusCode, 400);
          assert.deepEqual(bad.json().errors.map((e: { path: string }) => e.path).sort(), ['threshold', 'window_days']);
          assert.equal((await post('/v1/layers/tiers', { head_share: 0.8, waist_share: 0.5 })).json().code, 'invalid_shares');
        } finally {
          await app.close();
        }
      }));

    test('save, refresh and export a segment over HTTP', () =>
      withStore(backend, async (store) => {
        await load(store);
        const app = await buildServerAs(store);
        try {
          await app.inject({ method: 'POST', url: '/v1/layers/attributes', payload: { as_of: '2026-06-30' } });
          const saved = await app.inject({ method: 'PUT', url: '/v1/segments/recent', payload: { description: 'bought within 30 days', definition: { attribute: 'recency_days', op: '<=', value: 30 } } });
          assert.deepEqual([saved.statusCode, saved.json().name], [200, 'recent']);
          const bad = await app.inject({ method: 'PUT', url: '/v1/segments/broken', payload: { definition: { all: [{ attribute: 'recency_days', op: '~', value: 1 }] } } });
          assert.equal(bad.statusCode, 400);
          assert.match(JSON.stringify(bad.json()), /all\[0\]\.op/);

          const refreshed = await app.inject({ method: 'POST', url: '/v1/segments/recent/refresh', payload: { as_of: '2026-06-30' } });
          assert.deepEqual([refreshed.json().members, refreshed.json().entered], [3, 3], 'A (2 days), B (29) and E (0)');
          assert.equal((await app.inject({ method: 'POST', url: '/v1/segments/nope/refresh', payload: {} })).statusCode, 404);

          const csv = await app.inject({ url: '/v1/segments/recent/export?format=csv&fields=orders_lifetime&as_of=2026-06-30' });
          assert.equal(csv.statusCode, 200);
          assert.match(String(csv.headers['content-type']), /text\/csv/);
          assert.equal(csv.headers['x-siyu-rows'], '3');
          assert.deepEqual(csv.body.trim().split('\n'), ['customer_id,orders_lifetime', 'A,3', 'B,1', 'E,1']);
          await store.execute("UPDATE customers SET name = '王芳', phone = '13800138000' WHERE customer_id = 'A'");
          const masked = await app.inject({ url: '/v1/segments/recent/export?format=jsonl&fields=name,phone&as_of=2026-06-30' });
          assert.deepEqual(JSON.parse(masked.body.split('\n')[0]!), { customer_id: 'A', name: '王*', phone: '138****8000' }, 'personal data is masked over HTTP');
          const unknown = await app.inject({ url: '/v1/segments/recent/export?fields=shoe_size' });
          assert.deepEqual([unknown.statusCode, unknown.json().code], [400, 'unknown_field']);
        } finally {
          await app.close();
        }
      }));

    test('scheduled segments refresh once their interval has passed, and only they', () =>
      withStore(backend, async (store) => {
        await load(store);
        await computeAttributes(store); // as of the latest order day, 2026-07-05
        const definition = { attribute: 'recency_days', op: '<=', value: 30 };
        await saveSegment(store, { name: 'recent', definition, refreshEvery: 'daily' });
        await saveSegment(store, { name: 'manual', definition });
        const now = new Date();
        const hours = (h: number) => new Date(now.getTime() + h * 3_600_000);
        assert.deepEqual(await dueSegments(store, now), ['recent'], 'never refreshed, so due at once; on-demand segments never are');
        const reports = await refreshDueSegments(store, now);
        assert.deepEqual(reports.map((r) => [r.segment, r.asOf, r.members]), [['recent', '2026-07-05', 2]], 'A (0 days) and E (5)');
        assert.deepEqual(await dueSegments(store, hours(23)), []);
        assert.deepEqual(await dueSegments(store, hours(25)), ['recent']);

        await saveSegment(store, { name: 'recent', definition: { attribute: 'recency_days', op: '<=', value: 7 } });
        const listed = Object.fromEntries((await listSegments(store)).map((s) => [s.name, s]));
        assert.equal(listed.recent!.refreshEvery, 'daily', 'replacing a definition keeps its schedule');
        assert.ok(listed.recent!.refreshedAt instanceof Date);
        assert.equal(listed.manual!.refreshEvery, null);
        await saveSegment(store, { name: 'recent', definition, refreshEvery: null });
        assert.deepEqual(await dueSegments(store, hours(48)), [], 'null turns the schedule off');
        await assert.rejects(saveSegment(store, { name: 'x', definition, refreshEvery: 'monthly' as 'daily' }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_schedule');

        const app = await buildServerAs(store);
        try {
          const put = await app.inject({ method: 'PUT', url: '/v1/segments/manual', payload: { definition, refresh_every: 'hourly' } });
          assert.deepEqual([put.statusCode, put.json().refreshEvery], [200, 'hourly']);
          assert.deepEqual(await dueSegments(store, now), ['manual']);
        } finally {
          await app.close();
        }
      }));
  });
}
