// Real-time tag latency (issue #3): `siyu serve` on a fresh store with one real-time tag (3 母婴 product views in
// 7 days → 育儿需求); this process sends each customer's three views over HTTP and polls GET /v1/customers/:id/tags
// every 5 ms from the third view's acknowledgement until the tag shows. --customers per run, --concurrency at once,
// medians of --runs. Target: p99 ≤ 500 ms.
// Usage: node --import tsx bench/realtime-tags.ts [--customers 200] [--concurrency 4] [--runs 3]
import { mkdirSync, rmSync } from 'node:fs';
import { createApiKey } from '../src/access/index.ts';
import { defineTag } from '../src/segment/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';
import { serveArgs, startServer } from './server.ts';

const customers = Number(arg('customers', '200'));
const concurrency = Number(arg('concurrency', '4'));
const runs = Number(arg('runs', '3'));
const root = new URL('..', import.meta.url).pathname;


const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const results: { p50: number; p95: number; p99: number; max: number }[] = [];
for (let r = 0; r < runs; r++) {
  mkdirSync(`${root}bench/data`, { recursive: true });
  const db = `${root}bench/data/bench-realtime.duckdb`;
  for (const suffix of ['', '.wal']) rmSync(`${db}${suffix}`, { force: true });
  const store = await openStore(db);
  await migrate(store);
  await defineTag(store, { name: '育儿需求', kind: 'realtime', definition: { event: 'Product Viewed', where: [{ property: 'category', op: '=', value: '母婴' }], op: '>=', value: 3, within_days: 7 } });
  // One key sends the events (Basic, as Segment clients do) and reads the tags (Bearer).
  const { key } = await createApiKey(store, { name: 'bench', scopes: ['ingest:write', 'customers:read'] }, 'bench');
  await store.close();
  const { server, host } = await startServer(serveArgs(db));
  const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < customers) {
        const id = `rt-${r}-${next++}`;
        let acked = 0;
        for (let n = 0; n < 3; n++) {
          const res = await fetch(`${host}/v1/track`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ userId: id, event: 'Product Viewed', messageId: `${id}-${n}`, properties: { category: '母婴' } }) });
          await res.arrayBuffer();
          acked = performance.now();
        }
        for (;;) {
          const body = (await (await fetch(`${host}/v1/customers/${id}/tags`, { headers: { authorization: `Bearer ${key}` } })).json()) as { tags: unknown[] };
          if (body.tags.length) break;
          if (performance.now() - acked > 10_000) throw new Error(`${id} was not tagged within 10 s`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        latencies.push(performance.now() - acked);
      }
    }),
  );
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  latencies.sort((a, b) => a - b);
  results.push({ p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), p99: percentile(latencies, 0.99), max: latencies.at(-1)! });
  process.stderr.write(`run ${r + 1}: p50 ${results[r]!.p50.toFixed(0)} ms, p99 ${results[r]!.p99.toFixed(0)} ms\n`);
}
const med = (k: 'p50' | 'p95' | 'p99' | 'max') => median(results.map((x) => x[k]));
printTable(
  `Real-time tag latency: third event acknowledged → tag visible via the API; ${customers} customers × ${concurrency} at a time, DuckDB; medians of ${runs}`,
  ['p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'target'],
  [[med('p50').toFixed(0), med('p95').toFixed(0), med('p99').toFixed(0), med('max').toFixed(0), 'p99 ≤ 500 ms']],
);
process.stdout.write(`wrote ${writeResult('realtime-tags', { customers, concurrency, runs, results, median: { p50: med('p50'), p95: med('p95'), p99: med('p99') } })}\n`);
