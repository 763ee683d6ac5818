// HTTP ingest benchmark (issue #2): `siyu serve` in one process, the official @segment/analytics-node client in
// another, batches of 100 for --seconds, on each backend. Reports sustained acknowledged events/s and the p50/p99
// latency of each batch request, then checks that every acknowledged event is in the store exactly once.
// Usage: node --import tsx bench/http-ingest.ts [--seconds 60] [--clients 8] [--in-flight 2] [--backends duckdb,postgres]
// PostgreSQL: SIYU_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), in a schema of its own.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createWriteKey } from '../src/ingest/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';
import { serveArgs, startServer } from './server.ts';

const seconds = Number(arg('seconds', '60'));
const clients = arg('clients', '8');
const inFlight = arg('in-flight', '2');
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

const startSiyu = (db: string | undefined) => startServer(db === undefined ? ['bench/null-server.ts'] : serveArgs(db));

type Generator = 'official' | 'raw';
type ClientRun = { sent: number; acked: number; failed: number; seconds: number; latenciesMs: number[] };

async function runClient(host: string, key: string, generator: Generator): Promise<ClientRun> {
  const args = ['--host', host, '--key', key, '--seconds', String(seconds), '--clients', clients, '--in-flight', inFlight, ...(generator === 'raw' ? ['--raw'] : [])];
  const client = spawn(process.execPath, ['--import', 'tsx', 'bench/ingest-client.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  client.stdout!.on('data', (chunk) => (out += String(chunk)));
  await once(client, 'exit');
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** Serves a fresh database on `backend` (or the null server), drives it, and checks what was stored. */
async function measure(backend: string, generator: Generator) {
  process.stderr.write(`${generator} clients → ${backend}: ${seconds} s…\n`);
  if (backend === 'null') {
    const { server, host } = await startSiyu(undefined);
    const run = await runClient(host, 'none', generator);
    server.kill('SIGTERM');
    await once(server, 'exit');
    return { ...summarise(backend, generator, run, undefined), drainSeconds: null, processedPerSecond: null };
  }
  const db = location(backend);
  const store = await openStore(db);
  await migrate(store);
  const { key } = await createWriteKey(store, 'bench');
  await store.close();
  const { server, host } = await startSiyu(db);
  const run = await runClient(host, key, generator);
  // Acknowledged is not yet processed: wait for the inbox to empty, so the processing rate is known too.
  const sendingEnded = performance.now();
  while (((await (await fetch(`${host}/health`)).json()) as { inbox: { pending: number } }).inbox.pending > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  const drainSeconds = (performance.now() - sendingEnded) / 1000;
  server.kill('SIGTERM');
  await once(server, 'exit');
  const check = await openStore(db);
  const [stored] = await check.query<{ n: number; distinct_ids: number }>(`SELECT count(*) AS n, count(DISTINCT message_id) AS distinct_ids FROM events WHERE message_id LIKE 'bench-%'`);
  if (backend === 'postgres') await check.execute(`DROP SCHEMA ${new URL(db).searchParams.get('schema')} CASCADE`);
  await check.close();
  return { ...summarise(backend, generator, run, { n: stored!.n, once: stored!.n === stored!.distinct_ids && stored!.n === run.acked }), drainSeconds, processedPerSecond: run.acked / (run.seconds + drainSeconds) };
}

function summarise(backend: string, generator: Generator, run: ClientRun, stored: { n: number; once: boolean } | undefined) {
  return {
    generator,
    server: backend === 'null' ? 'null server (answers 200, does nothing)' : `siyu on ${backend}`,
    acked: run.acked,
    failed: run.failed,
    seconds: run.seconds,
    eventsPerSecond: run.acked / run.seconds,
    requests: run.latenciesMs.length,
    p50Ms: median(run.latenciesMs),
    p99Ms: percentile(run.latenciesMs, 0.99),
    stored: stored?.n ?? null,
    storedOnce: stored?.once ?? null,
  };
}

// Each generator first drives the null server: that is the ceiling the generator and this machine put on any server.
const results = [];
for (const generator of ['official', 'raw'] as const) {
  for (const backend of ['null', ...backends]) results.push(await measure(backend, generator));
}
printTable(
  `HTTP ingest: batches of 100 from ${clients} concurrent clients, ${seconds} s each`,
  ['clients', 'server', 'events acked', 'acked/s', 'p50 ms', 'p99 ms', 'backlog drained in s', 'processed/s', 'stored once'],
  results.map((r) => [
    r.generator === 'official' ? '@segment/analytics-node' : 'raw fetch',
    r.server,
    r.acked,
    Math.round(r.eventsPerSecond),
    r.p50Ms,
    r.p99Ms,
    r.drainSeconds ?? '-',
    r.processedPerSecond === null ? '-' : Math.round(r.processedPerSecond),
    r.storedOnce === null ? '-' : r.storedOnce ? 'yes' : `NO (${r.stored})`,
  ]),
);
process.stdout.write('target: ≥ 20,000 events/s sustained with p99 < 50 ms\n');
const path = writeResult('http-ingest', { seconds, batchSize: 100, clients: Number(clients), batchesQueuedPerClient: Number(inFlight), results, targets: { minEventsPerSecond: 20_000, maxP99Ms: 50 } });
process.stdout.write(`\nwrote ${path}\n`);
