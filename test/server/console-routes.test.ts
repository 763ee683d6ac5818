import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateDemo } from '../../src/demo/index.ts';
import { importFile, type ImportKind } from '../../src/import/index.ts';
import { fitClv, scoreClv } from '../../src/models/index.ts';
import { computeAttributes, computeClusters, computeLifecycle, computeRfm, computeTiers, refreshSegment, saveSegment } from '../../src/segment/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { opened } from '../helpers/pii.ts';

// The read routes the console uses, on a small demo brand: each must give what the computations reported, and the
// customer list must page through exactly the customers its filters select.

async function demoBrand(store: Store): Promise<void> {
  const files = generateDemo({ customers: 300, seed: 5, end: new Date('2026-10-31T23:59:59Z'), days: 365, outDir: mkdtempSync(join(tmpdir(), 'siyu-console-')) });
  const steps: [ImportKind, string][] = [['customers', files.customers], ['products', files.products], ['orders', files.orders], ['order-items', files.orderItems], ['events', files.events]];
  for (const [kind, file] of steps) await importFile(store, kind, file, { rejectsPath: join(files.dir, `${kind}.rej`) });
}

for (const backend of BACKENDS) {
  describe(`console read routes on ${backend}`, () => {
    test('layer summaries repeat what the computations reported, and are null before them', () =>
      withStore(backend, async (store) => {
        await demoBrand(store);
        const app = await buildServerAs(store, ['admin'], { consoleDir: false });
        try {
          const get = async (url: string) => {
            const response = await app.inject({ method: 'GET', url });
            assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
            return response.json();
          };
          assert.deepEqual(await get('/v1/layers/rfm'), { rfm: null });
          assert.deepEqual(await get('/v1/layers/clusters'), { clusters: null });
          await computeAttributes(store);
          const { measuredFrom: _r, ...rfm } = await computeRfm(store, { threshold: 'median' });
          const { measuredFrom: _t, ...tiers } = await computeTiers(store);
          const lifecycle = await computeLifecycle(store);
          const { k: _k, silhouettes: _s, ...clusters } = await computeClusters(store, { k: 3 });
          assert.deepEqual((await get('/v1/layers/rfm')).rfm, JSON.parse(JSON.stringify(rfm)));
          assert.deepEqual((await get('/v1/layers/tiers')).tiers, JSON.parse(JSON.stringify(tiers)));
          assert.deepEqual((await get('/v1/layers/lifecycle')).lifecycle, { asOf: lifecycle.asOf, customers: lifecycle.customers, stages: lifecycle.stages });
          const stored = (await get('/v1/layers/clusters')).clusters;
          assert.equal(stored.asOf, clusters.asOf);
          assert.deepEqual(stored.clusters.map((c: { customers: number; name: string }) => [c.name, c.customers]), clusters.clusters.map((c) => [c.name, c.customers]));
          for (const [i, c] of clusters.clusters.entries()) {
            for (const [feature, z] of Object.entries(c.zScores)) assert.ok(Math.abs(stored.clusters[i].zScores[feature] - z) < 1e-6, `cluster ${c.name} ${feature}: ${stored.clusters[i].zScores[feature]} vs the centroid ${z}`);
            for (const [feature, mean] of Object.entries(c.means)) assert.ok(Math.abs(stored.clusters[i].means[feature] - mean) < 1e-6 * Math.max(1, Math.abs(mean)), `cluster ${c.name} ${feature} mean`);
          }
        } finally {
          await app.close();
        }
      }));

    test('the customer list filters, searches and pages by customer id without gaps or repeats', () =>
      withStore(backend, async (store) => {
        await demoBrand(store);
        await computeAttributes(store);
        await computeTiers(store);
        await computeLifecycle(store);
        await saveSegment(store, { name: 'head', definition: { field: 'tier', op: '=', value: 'head' } });
        await refreshSegment(store, 'head');
        const app = await buildServerAs(store, ['admin'], { consoleDir: false });
        try {
          const list = async (query: string) => {
            const response = await app.inject({ method: 'GET', url: `/v1/customers?${query}` });
            assert.equal(response.statusCode, 200, response.body);
            return response.json() as { customers: { customerId: string; stage: string | null; tier: string | null; phone: string | null; name: string | null }[]; next: string | null; total: number | null };
          };
          const expected = (await store.query<{ customer_id: string }>("SELECT customer_id FROM lifecycle_stages WHERE stage = 'repeat' ORDER BY customer_id")).map((r) => r.customer_id);
          assert.ok(expected.length > 20, 'enough repeat customers for three pages');
          const seen: string[] = [];
          let after = '';
          for (let page = 0; page < 100; page++) {
            const body = await list(`stage=repeat&limit=10${after ? `&after=${encodeURIComponent(after)}` : ''}&with_total=${page === 0}`);
            if (page === 0) assert.equal(body.total, expected.length);
            seen.push(...body.customers.map((c) => c.customerId));
            assert.ok(body.customers.every((c) => c.stage === 'repeat'));
            if (!body.next) break;
            after = body.next;
          }
          assert.deepEqual(seen, expected);

          const head = await list('segment=head&tier=head&limit=200');
          const heads = (await store.query<{ n: number }>("SELECT count(*) AS n FROM tier_scores WHERE tier = 'head'"))[0]!;
          assert.equal(head.customers.length, Number(heads.n));
          assert.deepEqual(await list('segment=head&tier=tail'), { customers: [], next: null, total: null });

          const [someone] = await opened(store, await store.query<{ customer_id: string; phone: string }>('SELECT customer_id, phone FROM customers WHERE phone IS NOT NULL ORDER BY customer_id LIMIT 1'));
          assert.ok(someone);
          const local = someone.phone.replace(/^\+86/, '');
          const found = await list(`q=${encodeURIComponent(`${local.slice(0, 3)} ${local.slice(3, 7)} ${local.slice(7)}`)}`);
          assert.deepEqual(found.customers.map((c) => c.customerId), [someone.customer_id], 'a phone written with spaces finds its customer');
          assert.match(found.customers[0]!.phone ?? '', /\*{4}/, 'and the phone is masked');
          assert.deepEqual((await list(`q=${someone.customer_id}`)).customers.map((c) => c.customerId), [someone.customer_id]);
          assert.equal((await list('q=nobody-has-this')).customers.length, 0);

          const bad = await app.inject({ method: 'GET', url: '/v1/customers?limit=500&colour=red' });
          assert.equal(bad.statusCode, 400);
          const filters = await app.inject({ method: 'GET', url: '/v1/customers/filters' });
          const cities = filters.json().cities as { value: string; customers: number }[];
          assert.equal(cities.reduce((s, c) => s + c.customers, 0), Number((await store.query<{ n: number }>('SELECT count(*) AS n FROM customers WHERE city IS NOT NULL'))[0]!.n));

          const history = await app.inject({ method: 'GET', url: '/v1/segments/head/history' });
          assert.deepEqual(history.json().refreshes.map((r: { members: number; entered: number }) => [r.members, r.entered]), [[Number(heads.n), Number(heads.n)]]);
          assert.equal((await app.inject({ method: 'GET', url: '/v1/segments/none/history' })).statusCode, 404);
          const catalogue = (await app.inject({ method: 'GET', url: '/v1/segments/catalogue' })).json();
          assert.deepEqual(catalogue.fields.find((f: { name: string }) => f.name === 'stage').values.map((v: { value: string }) => v.value), ['prospect', 'new', 'active', 'repeat', 'dormant', 'churned', 'reactivated']);
          assert.ok(catalogue.attributes.some((a: { name: string }) => a.name === 'recency_days'));
          assert.ok(catalogue.events.length > 0);
          const segments = (await app.inject({ method: 'GET', url: '/v1/segments' })).json().segments;
          assert.deepEqual(segments.map((s: { name: string; members: number }) => [s.name, s.members]), [['head', Number(heads.n)]]);
        } finally {
          await app.close();
        }
      }));

    test('model summaries, write keys, merchandising rules and brand settings over HTTP', () =>
      withStore(backend, async (store) => {
        await demoBrand(store);
        const app = await buildServerAs(store, ['admin'], { consoleDir: false });
        try {
          const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
            const response = await app.inject({ method, url, payload });
            return { status: response.statusCode, body: response.json() };
          };
          const empty = await call('GET', '/v1/clv/summary');
          assert.deepEqual([empty.body.run, empty.body.totals.customers], [null, 0]);
          await fitClv(store, { model: 'bgnbd', timeUnit: 'week' });
          const scored = await scoreClv(store, { model: 'bgnbd' });
          const clv = (await call('GET', '/v1/clv/summary')).body;
          assert.equal(clv.run.customers, scored.customers);
          assert.deepEqual(clv.fits.map((f: { model: string }) => f.model), ['bgnbd', 'gammagamma']);
          assert.equal(clv.pAlive.reduce((s: number, b: { customers: number }) => s + b.customers, 0), scored.customers);
          assert.equal(clv.clvDeciles.reduce((s: number, d: { totalFen: number }) => s + d.totalFen, 0), clv.totals.clv12mFen);
          const evaluation = await call('POST', '/v1/clv/evaluate', { calibration_end: '2026-07-31' });
          assert.equal(evaluation.status, 200);
          assert.equal(evaluation.body.tracking.actual.length, evaluation.body.tracking.predicted.length);
          assert.deepEqual((await call('POST', '/v1/clv/evaluate', { calibration_end: '31/07/2026' })).body.errors.map((e: { path: string }) => e.path), ['calibration_end']);
          assert.deepEqual((await call('GET', '/v1/churn/summary')).body, { model: null, asOf: null, customers: 0, risk: Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, customers: 0 })) });

          const created = await call('POST', '/v1/write-keys', { name: 'mini-program' });
          assert.match(created.body.key, /^syk_/);
          assert.deepEqual((await call('GET', '/v1/write-keys')).body.keys.map((k: { keyId: string; revokedAt: string | null }) => [k.keyId, k.revokedAt]), [[created.body.keyId, null]]);
          assert.equal((await call('POST', `/v1/write-keys/${created.body.keyId}/revoke`)).status, 200);
          assert.notEqual((await call('GET', '/v1/write-keys')).body.keys[0].revokedAt, null);
          assert.equal((await call('POST', `/v1/write-keys/${created.body.keyId}/revoke`)).status, 404, 'already revoked');
          assert.equal((await call('POST', '/v1/write-keys', { name: ' ' })).status, 400);

          const [product] = await store.query<{ sku: string }>('SELECT sku FROM products ORDER BY sku LIMIT 1');
          assert.equal((await call('PUT', `/v1/recommend/rules/${product!.sku}`, { action: 'boost', factor: 3 })).status, 200);
          assert.deepEqual((await call('GET', '/v1/recommend/rules')).body.rules.map((r: { sku: string; factor: number }) => [r.sku, r.factor]), [[product!.sku, 3]]);
          assert.equal((await call('PUT', '/v1/recommend/rules/NO-SUCH-SKU', { action: 'pin' })).status, 404);
          assert.deepEqual((await call('DELETE', `/v1/recommend/rules/${product!.sku}`)).body, { cleared: true });
          assert.deepEqual((await call('GET', '/v1/recommend/experiments')).body, { experiments: [] });
          assert.deepEqual((await call('GET', '/v1/recommend/report')).body.rows, []);

          assert.deepEqual((await call('GET', '/v1/settings')).body.timezone, 'Asia/Shanghai');
        } finally {
          await app.close();
        }
      }));
  });
}
