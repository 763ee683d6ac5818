import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { recordConsents } from '../../src/privacy/index.ts';
import { computeAttributes, computeLifecycle, exportSegment, layerMigration, previewSegment, refreshSegment, saveSegment } from '../../src/segment/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { load } from './fixture.ts';

// The fixture's customers, their attributes and stages as of 2026-06-30, and a few behaviour events.
async function prepare(store: Store): Promise<void> {
  await load(store);
  const at = (d: string) => new Date(`${d}T04:00:00Z`);
  const view = (customer: string, n: number, category: string, day: string) => [customer, `${customer}-v${n}-${category}`, 'track', 'Product Viewed', { category }, at(day), at(day)];
  await store.insertRows('events', ['customer_id', 'message_id', 'type', 'name', 'properties', 'ts', 'received_at'], [
    view('A', 1, '母婴', '2026-06-25'), view('A', 2, '母婴', '2026-06-27'), view('A', 3, '母婴', '2026-06-29'),
    view('B', 1, '母婴', '2026-06-28'), view('B', 2, '母婴', '2026-06-29'), view('B', 3, '饮料', '2026-06-29'),
    view('D', 1, '母婴', '2026-05-01'), view('D', 2, '母婴', '2026-05-02'), view('D', 3, '母婴', '2026-05-03'), // too long ago
    ['C', 'C-o1', 'track', 'Order Completed', { total: 300 }, at('2026-06-01'), at('2026-06-01')],
    ['C', 'C-o2', 'track', 'Order Completed', { total: 300 }, at('2026-06-10'), at('2026-06-10')],
    ['F', 'F-o1', 'track', 'Order Completed', { total: 450 }, at('2026-06-10'), at('2026-06-10')],
  ]);
  await computeAttributes(store, { asOf: '2026-06-30' });
  await computeLifecycle(store, { asOf: '2026-06-30' });
}

const ids = async (store: Store, definition: unknown) => (await previewSegment(store, definition, { asOf: '2026-06-30' })).sample.map((s) => s.customerId);

for (const backend of BACKENDS) {
  describe(`segment builder on ${backend}`, () => {
    test('attributes, layers, traits and event counts or sums in a window, combined with all, any and not', () =>
      withStore(backend, async (store) => {
        await prepare(store);
        const rich = await previewSegment(store, { attribute: 'monetary_lifetime', op: '>=', value: 1000 }, { asOf: '2026-06-30' });
        assert.deepEqual([rich.count, rich.sample.map((s) => s.customerId)], [2, ['C', 'F']]);
        assert.deepEqual(await ids(store, { field: 'stage', op: 'in', value: ['new'] }), ['B', 'E']);
        // 母婴 views at least 3 times in the last 7 days: A only (B viewed twice, D too long ago).
        assert.deepEqual(await ids(store, { event: 'Product Viewed', where: [{ property: 'category', op: '=', value: '母婴' }], op: '>=', value: 3, within_days: 7 }), ['A']);
        // Order Completed sum(total) > 500 in the last 90 days: C (600), not F (450).
        assert.deepEqual(await ids(store, { event: 'Order Completed', aggregate: 'sum', property: 'total', op: '>', value: 500, within_days: 90 }), ['C']);
        assert.deepEqual(await ids(store, { all: [{ attribute: 'orders_lifetime', op: '>=', value: 2 }, { not: { field: 'stage', op: '=', value: 'churned' } }] }), ['A', 'F']);
        assert.deepEqual(await ids(store, { any: [{ field: 'stage', op: '=', value: 'prospect' }, { attribute: 'recency_days', op: '<=', value: 1 }] }), ['E', 'G']);
        assert.deepEqual(await ids(store, { attribute: 'top_category', op: 'not_exists' }), ['A', 'B', 'C', 'D', 'E', 'F', 'G'], 'no order lines in the fixture');
      }));

    test('a bad node is reported by its path, and nothing runs', () =>
      withStore(backend, async (store) => {
        await prepare(store);
        const paths = async (definition: unknown) => {
          try {
            await previewSegment(store, definition);
          } catch (e) {
            assert.ok(isSiyuError(e) && e.code === 'invalid_segment', String(e));
            return e.details.map((d) => d.path);
          }
          assert.fail('accepted a bad definition');
        };
        assert.deepEqual(await paths({ all: [{ attribute: 'monetary_90d', op: '>', value: 1 }, { any: [{ field: 'tier', op: '~', value: 'head' }] }] }), ['all[1].any[0].op']);
        assert.deepEqual(await paths({ all: [{ attribute: 'no_such_thing', op: '>', value: 1 }] }), ['all[0].attribute']);
        assert.deepEqual(await paths({ not: { attribute: 'aov', op: '>' } }), ['not.value']);
        assert.deepEqual(await paths({ all: [] }), ['all']);
        assert.deepEqual(await paths({ color: 'red' }), ['(root)']);
        assert.deepEqual(await paths({ event: 'Order Completed', aggregate: 'sum', op: '>', value: 1, within_days: 30 }), ['(root).property']);
        const app = await buildServerAs(store);
        try {
          const ok = await app.inject({ method: 'POST', url: '/v1/segments/preview?as_of=2026-06-30', payload: { definition: { field: 'stage', op: '=', value: 'new' } } });
          assert.deepEqual([ok.statusCode, ok.json().count], [200, 2]);
          const bad = await app.inject({ method: 'POST', url: '/v1/segments/preview', payload: { definition: { all: [{ field: 'stage', op: '~' }] } } });
          assert.equal(bad.statusCode, 400);
          assert.match(JSON.stringify(bad.json()), /all\[0\]\.op/);
        } finally {
          await app.close();
        }
      }));

    test('refreshes store snapshots with Segment Entered and Exited events, and migrations compare two days', () =>
      withStore(backend, async (store) => {
        await prepare(store);
        await saveSegment(store, { name: '近期活跃', definition: { attribute: 'recency_days', op: '<=', value: 30 } });
        const first = await refreshSegment(store, '近期活跃', { asOf: '2026-06-30' });
        assert.deepEqual([first.members, first.entered, first.exited, first.previous], [3, 3, 0, null]); // A 2 days, B 29, E 0
        await computeAttributes(store, { asOf: '2026-07-05' });
        const second = await refreshSegment(store, '近期活跃', { asOf: '2026-07-05' });
        assert.deepEqual([second.members, second.entered, second.exited, second.previous], [2, 0, 1, '2026-06-30']); // B is now 34 days
        await refreshSegment(store, '近期活跃', { asOf: '2026-07-05' });
        const events = await store.query<{ customer_id: string; name: string }>("SELECT customer_id, name FROM events WHERE source = 'siyu segment' ORDER BY name, customer_id");
        assert.deepEqual(events.map((e) => `${e.name}:${e.customer_id}`), ['Segment Entered:A', 'Segment Entered:B', 'Segment Entered:E', 'Segment Exited:B'], 'a rerun of a day does not double its events');
        const moved = await layerMigration(store, { segment: '近期活跃' }, '2026-06-30', '2026-07-05');
        assert.deepEqual(moved.links, [{ source: 'in', target: 'in', customers: 2 }, { source: 'in', target: 'out', customers: 1 }]);
        await computeLifecycle(store, { asOf: '2026-07-05' });
        const stages = await layerMigration(store, 'stage', '2026-06-30', '2026-07-05');
        const app = await buildServerAs(store);
        try {
          const viaApi = await app.inject({ url: '/v1/migration?from=2026-06-30&to=2026-07-05' });
          assert.deepEqual(viaApi.json().links, stages.links);
          assert.equal((await app.inject({ url: '/v1/migration?from=2026-07-05&to=2026-06-30' })).statusCode, 400);
          assert.deepEqual((await app.inject({ url: '/v1/segments' })).json().segments.map((x: { name: string; members: number }) => [x.name, x.members]), [['近期活跃', 2]]);
        } finally {
          await app.close();
        }
        assert.ok(stages.links.some((l) => l.source === 'repeat' && l.target === 'dormant' && l.customers === 1), JSON.stringify(stages.links));
        assert.equal(stages.links.reduce((s, l) => s + l.customers, 0), 7);
        await assert.rejects(refreshSegment(store, 'nope'), (e: unknown) => isSiyuError(e) && e.kind === 'not_found');
        // Audience export: the members as of a day with chosen profile fields and attributes.
        const dir = mkdtempSync(join(tmpdir(), 'siyu-export-'));
        const progress: number[] = [];
        const csv = await exportSegment(store, '近期活跃', { out: join(dir, 'a.csv'), format: 'csv', fields: ['city', 'recency_days'], asOf: '2026-07-05', onProgress: (done) => progress.push(done) });
        assert.equal(csv.rows, 2);
        assert.equal(readFileSync(join(dir, 'a.csv'), 'utf8'), 'customer_id,city,recency_days\nA,,0\nE,,5\n');
        assert.deepEqual(progress, [0, 2]);
        await exportSegment(store, '近期活跃', { out: join(dir, 'a.jsonl'), format: 'jsonl', fields: ['recency_days'], asOf: '2026-07-05' });
        assert.deepEqual(readFileSync(join(dir, 'a.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)), [{ customer_id: 'A', recency_days: 0 }, { customer_id: 'E', recency_days: 5 }]);
        await assert.rejects(exportSegment(store, '近期活跃', { out: join(dir, 'b.csv'), format: 'csv', fields: ['shoe_size'] }), (e: unknown) => isSiyuError(e) && e.code === 'unknown_field');
        // A cell a spreadsheet would run as a formula gets a leading quote; numbers stay numbers.
        await store.execute(`UPDATE customers SET city = '=HYPERLINK("http://x")' WHERE customer_id = 'A'`);
        await exportSegment(store, '近期活跃', { out: join(dir, 'c.csv'), format: 'csv', fields: ['city', 'recency_days'], asOf: '2026-07-05' });
        assert.equal(readFileSync(join(dir, 'c.csv'), 'utf8'), 'customer_id,city,recency_days\nA,"\'=HYPERLINK(""http://x"")",0\nE,,5\n');
        // For a purpose, only customers whose consent allows it: sharing with third parties is opt-in.
        await recordConsents(store, [{ customerId: 'E', purpose: 'third_party_sharing', status: 'granted', source: 'test' }]);
        const shared = await exportSegment(store, '近期活跃', { out: join(dir, 'd.csv'), format: 'csv', fields: [], asOf: '2026-07-05', purpose: 'third_party_sharing' });
        assert.deepEqual([shared.rows, shared.withheld, readFileSync(join(dir, 'd.csv'), 'utf8')], [1, 1, 'customer_id\nE\n']);
      }));
  });
}
