// HTTP ingest benchmark (issue #2): `siyu serve` in one process, the official @segment/analytics-node client in
// another, batches of 100 for --seconds, on each backend. Reports sustained acknowledged events/s and the p50/p99
// latency of each batch request, then checks that every acknowledged event is in the store exactly once.
// Usage: node --import tsx bench/http-ingest.ts [--seconds 60] [--in-flight 8] [--backends duckdb,postgres]
// PostgreSQL: SIYU_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), in a schema of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createWriteKey } from '../src/ingest/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';

const seconds = Number(arg('seconds', '60'));
const inFlight = arg('in-flight', '8');
const backends = arg('backends', 'duckdb,postgres').split(',');
const root = new URL('..', import.meta.url).pathname;

function location(backend: string): string {
  if (backend === 'duckdb') {
    const path = `${root}bench/data/bench-ingest.duckdb`;
    for (const suffix of ['', '.wal']) rmSync(`${path}${suffix}`, { force: true });
    return path;
  }
  const url = new URL(process.env.SIYU_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.searchParams.set('schema', `bench_ingest_${Date.now()}`);
  return url.toString();
}

async function startServer(db: string): Promise<{ server: ChildProcess; host: string }> {
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', db, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    server.stdout!.on('data', (chunk) => {
      out += String(chunk);
      const match = /Siyu API on (http:\/\/[^\s]+)/.exec(out);
      if (match) resolve({ server, host: match[1]! });
    });
    server.once('exit', () => reject(new Error(`the server exited before listening: ${out}`)));
  });
}

async function runClient(host: string, key: string): Promise<{ sent: number; acked: number; failed: number; seconds: number; latenciesMs: number[] }> {
  const client = spawn(process.execPath, ['--import', 'tsx', 'bench/ingest-client.ts', '--host', host, '--key', key, '--seconds', String(seconds), '--in-flight', inFlight], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  client.stdout!.on('data', (chunk) => (out += String(chunk)));
  await once(client, 'exit');
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

const results = [];
for (const backend of backends) {
  const db = location(backend);
  const store = await openStore(db);
  await migrate(store);
  const { key } = await createWriteKey(store, 'bench');
  await store.close();
  process.stderr.write(`${backend}: serving ${db.replace(/\/\/[^@]*@/, '//')}, sending for ${seconds} s…\n`);
  const { server, host } = await startServer(db);
  const run = await runClient(host, key);
  server.kill('SIGTERM');
  await once(server, 'exit');
  const check = await openStore(db);
  const [stored] = await check.query<{ n: number; distinct_ids: number }>(`SELECT count(*) AS n, count(DISTINCT message_id) AS distinct_ids FROM events WHERE message_id LIKE 'bench-%'`);
  if (backend === 'postgres') await check.execute(`DROP SCHEMA ${new URL(db).searchParams.get('schema')} CASCADE`);
  await check.close();
  results.push({
    backend,
    sent: run.sent,
    acked: run.acked,
    failed: run.failed,
    seconds: run.seconds,
    eventsPerSecond: run.acked / run.seconds,
    requests: run.latenciesMs.length,
    p50Ms: median(run.latenciesMs),
    p99Ms: percentile(run.latenciesMs, 0.99),
    stored: stored!.n,
    storedOnce: stored!.n === stored!.distinct_ids && stored!.n === run.acked,
  });
}
printTable(`HTTP ingest: @segment/analytics-node, batches of 100, ${inFlight} batches in flight, ${seconds} s per backend`, ['backend', 'events acked', 'events/s', 'p50 ms', 'p99 ms', 'stored once', 'target'], results.map((r) => [
  r.backend,
  r.acked,
  Math.round(r.eventsPerSecond),
  r.p50Ms,
  r.p99Ms,
  r.storedOnce ? 'yes' : `NO (${r.stored})`,
  '≥ 20,000/s, p99 < 50 ms',
]));
const path = writeResult('http-ingest', { seconds, batchSize: 100, batchesInFlight: Number(inFlight), results: results.map(({ ...r }) => r), targets: { minEventsPerSecond: 20_000, maxP99Ms: 50 } });
process.stdout.write(`\nwrote ${path}\n`);
