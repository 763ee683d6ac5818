// Recommendation serving benchmark (issue #5): the 100k-customer demo brand with trained recommendations, `siyu serve`
// in its own process, and this process as the load generator: --connections keep-alive loops requesting
// GET /v1/recommendations/:id?n=10 for --seconds, for random known customers plus 5% unknown ids. Reports requests/s
// and latency percentiles, measured once the server's in-memory snapshot is ready (what the server serves from).
// Median of --runs.
// Usage: node --import tsx bench/recommend-serve.ts [--db FILE] [--seconds 20] [--connections 16] [--runs 3]
// Without --db it builds the demo brand into bench/data/bench-serve.duckdb first (about a minute).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createApiKey } from '../src/access/index.ts';
import { Random } from '../src/core/random.ts';
import { generateDemo } from '../src/demo/index.ts';
import { importFile, type ImportKind } from '../src/import/index.ts';
import { trainRecommendations } from '../src/recommend/index.ts';
import { computeTiers } from '../src/segment/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';
import { serveArgs, startServer } from './server.ts';

const root = new URL('..', import.meta.url).pathname;
const seconds = Number(arg('seconds', '20'));
const connections = Number(arg('connections', '16'));
const runs = Number(arg('runs', '3'));
let db = arg('db', '');

if (!db) {
  db = `${root}bench/data/bench-serve.duckdb`;
  if (!existsSync(db)) {
    mkdirSync(`${root}bench/data`, { recursive: true });
    process.stderr.write('building the demo brand…\n');
    const files = generateDemo({ customers: 100_000, seed: 42, end: new Date('2026-10-31T23:59:59Z'), days: 730, outDir: `${root}bench/data/serve-demo` });
    const store = await openStore(db);
    await migrate(store);
    const steps: [ImportKind, string][] = [['customers', files.customers], ['products', files.products], ['orders', files.orders], ['order-items', files.orderItems]];
    for (const [kind, file] of steps) await importFile(store, kind, file, { rejectsPath: `${files.dir}/${kind}.rejects.csv` });
    await computeTiers(store);
    await trainRecommendations(store, { algorithm: 'ease', onProgress: (line) => process.stderr.write(`  ${line}\n`) });
    await store.close();
  }
}

const store = await openStore(db);
const ids = (await store.query<{ customer_id: string }>('SELECT customer_id FROM customers ORDER BY customer_id')).map((r) => r.customer_id);
// The API needs a key with recommendations:read, as a mini-program backend would hold.
const authorization = `Bearer ${(await createApiKey(store, { name: 'bench serve', scopes: ['recommendations:read'] }, 'bench')).key}`;
await store.close();

async function startAndWait(): Promise<{ server: ChildProcess; host: string }> {
  const started = await startServer(serveArgs(db));
  for (;;) {
    const health = (await (await fetch(`${started.host}/health`)).json()) as { recommendations: { snapshot: string } };
    if (health.recommendations.snapshot === 'ready') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return started;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

const results: { rps: number; p50: number; p95: number; p99: number; errors: number }[] = [];
for (let r = 0; r < runs; r++) {
  const { server, host } = await startAndWait();
  const random = new Random(r + 1);
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const id = random.next() < 0.05 ? `unknown-${random.int(0, 1e9)}` : ids[random.int(0, ids.length - 1)]!;
        const t = performance.now();
        const res = await fetch(`${host}/v1/recommendations/${encodeURIComponent(id)}?n=10&context=bench`, { headers: { authorization } });
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        if (res.status !== 200) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  latencies.sort((a, b) => a - b);
  results.push({ rps: latencies.length / elapsed, p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), p99: percentile(latencies, 0.99), errors });
  process.stderr.write(`run ${r + 1}: ${results[r]!.rps.toFixed(0)} req/s, p99 ${results[r]!.p99.toFixed(1)} ms, ${errors} errors\n`);
}
const med = (key: 'rps' | 'p50' | 'p95' | 'p99') => median(results.map((x) => x[key]));
printTable(
  `GET /v1/recommendations/:id?n=10 on the demo brand (${ids.length.toLocaleString('en-US')} customers), ${connections} keep-alive connections from a separate process, ${seconds} s per run; medians of ${runs}`,
  ['requests/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'target'],
  [[med('rps').toFixed(0), med('p50').toFixed(2), med('p95').toFixed(2), med('p99').toFixed(2), String(results.reduce((s, x) => s + x.errors, 0)), '≥ 1,000 req/s, p99 < 20 ms']],
);
process.stdout.write(`wrote ${writeResult('recommend-serve', { customers: ids.length, connections, seconds, runs, results, median: { rps: med('rps'), p50: med('p50'), p95: med('p95'), p99: med('p99') } })}\n`);
