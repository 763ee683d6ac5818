// The journey engine at scale (issue #19): N customers (default 1M) enter a broadcast journey from a saved segment and
// pass a 10% holdout, a one-hour wait, a condition and a message step to the outbox, on the embedded store, against a
// bare INSERT … SELECT of the same N rows timed in the same run (the floor). Medians of --runs runs, each on a fresh
// copy of the prepared store; peak RSS of this process.
// Usage: node --import tsx bench/journeys.ts [--customers 1000000] [--runs 3] [--batch 500000]
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { publishJourney, runJourneys, saveJourneyDraft } from '../src/journey/index.ts';
import { refreshSegment, saveSegment } from '../src/segment/index.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';
import { finishPartial, startPartial } from './stores.ts';

const customers = Number(arg('customers', '1000000'));
const runs = Number(arg('runs', '3'));
const batchSize = Number(arg('batch', '500000'));
const data = (name: string) => new URL(`./data/${name}`, import.meta.url).pathname;
const T0 = new Date('2026-12-01T02:00:00Z');

/** A store of `customers` profiles (two channels) with a saved segment holding all of them, made once. */
async function prepared(): Promise<string> {
  const path = data(`journeys-${customers}.duckdb`);
  if (existsSync(path)) return path;
  process.stderr.write(`preparing ${path} (once)…\n`);
  mkdirSync(new URL('./data/', import.meta.url), { recursive: true });
  const partial = startPartial(path);
  const store = await openStore(partial);
  await migrate(store);
  await store.execute(
    `INSERT INTO customers (customer_id, traits, channel, created_at, updated_at)
     SELECT 'C' || lpad(CAST(i AS VARCHAR), 7, '0'), '{}', CASE WHEN i % 3 = 0 THEN 'store' ELSE 'mini_program' END, TIMESTAMPTZ '2026-01-01', TIMESTAMPTZ '2026-01-01' FROM range(${customers}) t(i)`,
  );
  await saveSegment(store, { name: 'everyone', definition: { tag: 'never-set', op: 'not_exists' } });
  await refreshSegment(store, 'everyone', { asOf: '2026-11-30' });
  await store.close();
  finishPartial(path);
  return path;
}

const definition = {
  entry: { kind: 'broadcast', segment: 'everyone', at: T0.toISOString() },
  holdout: 0.1,
  goal: { event: 'Order Completed', within_days: 7 },
  start: 'pause',
  nodes: {
    pause: { kind: 'wait', duration: '1h', next: 'online' },
    online: { kind: 'condition', condition: { field: 'channel', op: '=', value: 'mini_program' }, then: 'message', else: 'done' },
    message: { kind: 'message', channel: 'sms', content: { body: '{{ customer.name | default: "您好" }}，双十二会员日' }, next: 'done' },
    done: { kind: 'exit' },
  },
};

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await fn();
  return [(performance.now() - started) / 1000, result];
}

async function oneRun(source: string, run: number): Promise<Record<string, number>> {
  const copy = data(`journeys-run.duckdb`);
  for (const suffix of ['', '.wal', '.key']) rmSync(`${copy}${suffix}`, { force: true });
  copyFileSync(source, copy);
  if (existsSync(`${source}.key`)) copyFileSync(`${source}.key`, `${copy}.key`); // the master key beside the store
  const store: Store = await openStore(copy);
  try {
    const [floor] = await timed(() => store.execute(`CREATE TEMP TABLE floor AS SELECT customer_id, 'bench' AS journey_id, customer_id AS instance_id, 1 AS version, 'active' AS status FROM customers`));
    await saveJourneyDraft(store, { id: 'double-12', name: '双十二会员日', definition }, { now: T0, actor: 'bench' });
    await publishJourney(store, 'double-12', { now: new Date(T0.getTime() - 60_000), actor: 'bench' });
    const [enter, first] = await timed(() => runJourneys(store, { now: T0, batchSize }));
    const [rest] = await timed(() => runJourneys(store, { now: new Date(T0.getTime() + 61 * 60_000), batchSize }));
    const [[{ n: queued }]] = [await store.query<{ n: number }>('SELECT count(*) AS n FROM outbound_messages')] as [[{ n: number }]];
    const entered = first.broadcasts[0]?.entered ?? 0;
    process.stderr.write(`  run ${run + 1}: floor ${floor.toFixed(2)} s, entry and first steps ${enter.toFixed(2)} s, wait → condition → message ${rest.toFixed(2)} s; ${entered} entered, ${Number(queued)} messages queued\n`);
    return { floor, enter, rest, total: enter + rest, entered, queued: Number(queued) };
  } finally {
    await store.close();
    for (const suffix of ['', '.wal', '.key']) rmSync(`${copy}${suffix}`, { force: true });
  }
}

const source = await prepared();
const results: Record<string, number>[] = [];
for (let i = 0; i < runs; i++) results.push(await oneRun(source, i));
const m = (key: string) => median(results.map((r) => r[key]!));
const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);
printTable(`Journey engine, ${customers.toLocaleString('en-US')} customers, medians of ${runs}`, ['step', 'median s', 'vs floor'], [
  ['floor: INSERT … SELECT of every customer', m('floor'), '1×'],
  ['broadcast entry, holdout, wait parked', m('enter'), `${(m('enter') / m('floor')).toFixed(1)}×`],
  ['wait over, condition, message to the outbox, exit', m('rest'), `${(m('rest') / m('floor')).toFixed(1)}×`],
  ['all (target ≤ 30 s)', m('total'), `${(m('total') / m('floor')).toFixed(1)}×`],
]);
process.stdout.write(`entered ${m('entered')}, messages queued ${m('queued')}, peak RSS ${peakMiB} MiB (target ≤ 2,048)\n`);
writeResult('journeys', { customers, runs, batchSize, medians: { floor: m('floor'), enter: m('enter'), rest: m('rest'), total: m('total') }, entered: m('entered'), queued: m('queued'), peakRssMiB: peakMiB, runsDetail: results });
