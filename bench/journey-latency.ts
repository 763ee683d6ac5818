// Event-triggered journey latency (issue #19): `siyu serve` on a fresh store with one published journey entered on
// Product Added. This process sends --rate events a second for --seconds seconds over HTTP (Segment batches every
// 50 ms, each event a new customer) and times each event from its batch's acknowledgement until:
// - `--until sent` (the default): the journey's message reaches a channel: its one step is a webhook to a receiver in
//   this process, which records when each customer's message arrives (every event is timed, and nothing polls);
// - `--until step`: its first step (a tag) shows through the API: for one event in --sample, this process polls
//   GET /v1/customers/:id/journeys every 10 ms (the polls load the server's API as a console or script would).
// Medians of --runs runs, on --backend duckdb (a fresh file) or postgres (SIYU_BENCH_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres, in a schema of its own). Target: p99 ≤ 1 s at 1,000 events/s.
// Usage: node --import tsx bench/journey-latency.ts [--rate 1000] [--seconds 10] [--until sent|step] [--sample 20] [--runs 3] [--backend duckdb] [--keep]
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiKey } from '../src/access/index.ts';
import { updateContactPolicy } from '../src/channels/index.ts';
import { publishJourney, saveJourneyDraft } from '../src/journey/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';
import { serveArgs, startServer } from './server.ts';

const rate = Number(arg('rate', '1000'));
const seconds = Number(arg('seconds', '10'));
const until = arg('until', 'sent');
const sample = Number(arg('sample', until === 'sent' ? '1' : '20'));
const runs = Number(arg('runs', '3'));
const backend = arg('backend', 'duckdb');
const keep = process.argv.includes('--keep'); // leave the last run's store, to look into
if (until !== 'sent' && until !== 'step') throw new Error(`--until is sent or step, not ${until}`);
if (backend !== 'duckdb' && backend !== 'postgres') throw new Error(`--backend is duckdb or postgres, not ${backend}`);
const root = new URL('..', import.meta.url).pathname;
const TICK_MS = 50;
const GIVE_UP_MS = 60_000;

// The receiver of the journey's webhooks: when each customer's message arrived.
const arrivals = new Map<string, number>();
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += String(chunk)));
  request.on('end', () => {
    arrivals.set((JSON.parse(body) as { customer_id: string }).customer_id, performance.now());
    response.end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/journey`;
process.env.SIYU_WEBHOOK_ALLOW_PRIVATE = '1'; // the server (a child process) may call this machine

/** A fresh store for one run: its location and how to remove it. */
function freshStore(run: number): { db: string; drop: () => Promise<void> } {
  if (backend === 'postgres') {
    const url = new URL(process.env.SIYU_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    const schema = `bench_journey_latency_${Date.now()}_${run}`;
    url.searchParams.set('schema', schema);
    return {
      db: url.toString(),
      drop: async () => {
        const admin = await openStore(url.toString());
        await admin.execute(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      },
    };
  }
  mkdirSync(`${root}bench/data`, { recursive: true });
  const db = `${root}bench/data/bench-journey-latency.duckdb`;
  const drop = async () => {
    for (const suffix of ['', '.wal']) rmSync(`${db}${suffix}`, { force: true });
  };
  return { db, drop };
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const results: { p50: number; p95: number; p99: number; max: number; sent: number; seconds: number; samples: number }[] = [];
for (let r = 0; r < runs; r++) {
  const { db, drop } = freshStore(r);
  await drop();
  const store = await openStore(db);
  await migrate(store);
  const first = until === 'sent' ? { kind: 'webhook', url: webhookUrl, next: 'done' } : { kind: 'update', add_tags: ['加购'], next: 'done' };
  const definition = { entry: { kind: 'event', event: 'Product Added' }, start: 'first', nodes: { first, done: { kind: 'exit' } } };
  await saveJourneyDraft(store, { id: 'cart', name: '加购', definition }, { actor: 'bench' });
  await publishJourney(store, 'cart', { actor: 'bench' });
  // A webhook is marketing: without this, quiet hours (21:00–08:00 Asia/Shanghai) would defer it and the global
  // control group would keep 5% of the customers from it.
  await updateContactPolicy(store, { quiet_hours: null, global_control_share: 0 }, 'bench');
  const { key } = await createApiKey(store, { name: 'bench', scopes: ['ingest:write', 'journeys:read'] }, 'bench');
  await store.close();
  const { server, host } = await startServer(serveArgs(db));
  process.once('exit', () => server.kill()); // also when this script fails or is stopped
  const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  arrivals.clear();
  const latencies: number[] = [];
  const waits: Promise<void>[] = [];
  const poll = async (id: string, acked: number) => {
    for (;;) {
      const body = (await (await fetch(`${host}/v1/customers/${id}/journeys`, { headers: { authorization: `Bearer ${key}` } })).json()) as { journeys: { steps: unknown[] }[] };
      if (body.journeys?.[0]?.steps.length) break;
      if (performance.now() - acked > GIVE_UP_MS) throw new Error(`${id}'s first step did not run within ${GIVE_UP_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    latencies.push(performance.now() - acked);
  };
  const acks: [string, number][] = [];
  const perTick = Math.round((rate * TICK_MS) / 1000);
  const ticks = Math.round((seconds * 1000) / TICK_MS);
  const started = performance.now();
  let sent = 0;
  for (let t = 0; t < ticks; t++) {
    const batch = Array.from({ length: perTick }, (_, i) => {
      const id = `lt-${r}-${t}-${i}`;
      return { type: 'track', userId: id, event: 'Product Added', messageId: `${id}-add`, properties: { product_id: 'SKU-1', price: 99 } };
    });
    const res = await fetch(`${host}/v1/batch`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`batch ${t}: HTTP ${res.status}`);
    const acked = performance.now();
    sent += batch.length;
    for (let i = 0; i < batch.length; i += sample) {
      if (until === 'step') waits.push(poll(batch[i]!.userId, acked));
      else acks.push([batch[i]!.userId, acked]);
    }
    const wait = started + (t + 1) * TICK_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(waits);
  if (until === 'sent') {
    while (acks.some(([id]) => !arrivals.has(id))) {
      if (performance.now() - started > seconds * 1000 + GIVE_UP_MS) throw new Error(`${acks.filter(([id]) => !arrivals.has(id)).length} messages did not arrive within ${GIVE_UP_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const [id, acked] of acks) latencies.push(arrivals.get(id)! - acked);
  }
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  if (!keep || r < runs - 1) await drop();
  latencies.sort((a, b) => a - b);
  results.push({ p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), p99: percentile(latencies, 0.99), max: latencies.at(-1)!, sent, seconds: elapsed, samples: latencies.length });
  process.stderr.write(`run ${r + 1}: ${sent} events in ${elapsed.toFixed(1)} s (${(sent / elapsed).toFixed(0)}/s); p50 ${results[r]!.p50.toFixed(0)} ms, p99 ${results[r]!.p99.toFixed(0)} ms over ${latencies.length} samples\n`);
}
receiver.close();
const med = (k: 'p50' | 'p95' | 'p99' | 'max') => median(results.map((x) => x[k]));
const achieved = median(results.map((x) => x.sent / x.seconds));
const what = until === 'sent' ? "the journey's webhook received" : 'first step visible via the API';
printTable(
  `Event-triggered journey: Product Added acknowledged → ${what}, at ${achieved.toFixed(0)} events/s (asked ${rate}), ${backend === 'duckdb' ? 'DuckDB' : 'PostgreSQL'}; medians of ${runs}`,
  ['p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'target'],
  [[med('p50').toFixed(0), med('p95').toFixed(0), med('p99').toFixed(0), med('max').toFixed(0), 'p99 ≤ 1,000 ms at 1,000 events/s']],
);
const name = `journey-latency-${until}${backend === 'postgres' ? '-postgres' : ''}`;
process.stdout.write(`wrote ${writeResult(name, { rate, seconds, until, sample, runs, backend, achievedRate: achieved, results, median: { p50: med('p50'), p95: med('p95'), p99: med('p99') } })}\n`);
