import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Random } from '../../src/core/random.ts';
import { generateDemo } from '../../src/demo/index.ts';
import { importFile, type ImportKind } from '../../src/import/index.ts';
import { computeAttributes, computeClusters, kMeans, previewSegment, silhouette } from '../../src/segment/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

test('k-means++ recovers three separated blobs, and the silhouette prefers k = 3', () => {
  const random = new Random(9);
  const centres = [[0, 0], [10, 0], [0, 10]];
  const points = centres.flatMap(([x, y]) => Array.from({ length: 100 }, () => Float64Array.from([x! + random.normal(), y! + random.normal()])));
  const scores = [2, 3, 4, 5].map((k) => ({ k, s: silhouette(points, kMeans(points, k, 1).assignment, k) }));
  assert.equal(scores.reduce((a, b) => (b.s > a.s ? b : a)).k, 3, JSON.stringify(scores));
  const fit = kMeans(points, 3, 1);
  for (let blob = 0; blob < 3; blob++) {
    const labels = new Set(Array.from(fit.assignment.slice(blob * 100, blob * 100 + 100)));
    assert.equal(labels.size, 1, `blob ${blob} split across clusters`);
  }
  assert.deepEqual(kMeans(points, 3, 1).assignment, fit.assignment, 'a fixed seed gives the same clusters');
  assert.throws(() => kMeans(points.slice(0, 2), 3), /cannot make 3 clusters/);
});

const files = generateDemo({ customers: 400, seed: 3, end: new Date('2026-10-31T23:59:59Z'), days: 730, outDir: mkdtempSync(join(tmpdir(), 'siyu-clusters-')) });

for (const backend of BACKENDS) {
  describe(`clusters on ${backend}`, () => {
    test('buyers are clustered on their attributes, named by what sets each cluster apart, and usable in segments', () =>
      withStore(backend, async (store) => {
        const steps: [ImportKind, string][] = [['customers', files.customers], ['products', files.products], ['orders', files.orders], ['order-items', files.orderItems], ['events', files.events]];
        for (const [kind, file] of steps) await importFile(store, kind, file, { rejectsPath: join(files.dir, `${kind}.rej`) });
        await computeAttributes(store);
        const report = await computeClusters(store);
        assert.ok(report.k >= 2 && report.k <= 10 && report.silhouettes.length === 9);
        assert.equal(report.k, report.silhouettes.reduce((a, b) => (b.silhouette > a.silhouette ? b : a)).k);
        assert.equal(report.clusters.reduce((s, c) => s + c.customers, 0), report.customers);
        assert.equal(new Set(report.clusters.map((c) => c.name)).size, report.k, 'names are distinct');
        for (const c of report.clusters) assert.match(c.name, /^(久未购|近期购|高频|低频|高消费|低消费|高客单|低客单|长周期|短周期|爱用券|少用券|多品类|单品类|常浏览|少浏览){2}(·\d+)?$/);
        const [{ n }] = (await store.query<{ n: number }>('SELECT count(*) AS n FROM customer_clusters')) as [{ n: number }];
        assert.equal(Number(n), report.customers);
        const first = report.clusters[0]!;
        assert.equal((await previewSegment(store, { field: 'cluster', op: '=', value: first.name })).count, first.customers);
        const fixed = await computeClusters(store, { k: 4 });
        assert.deepEqual([fixed.k, fixed.silhouettes.length], [4, 0]);
      }));
  });
}
