// The nightly job and `siyu layers update` on PostgreSQL against the embedded store, on the same data in one run
// (issue #16, part 4: nightly within 4× of DuckDB's time). The orders file of bench/csv-import.ts (--rows, default
// 1M: 100,000 customers) is imported once into an embedded store under bench/data, then copied into a schema of its
// own on PostgreSQL with psql's \copy (the import path itself is bench/csv-import.ts's business). On each backend:
// the first computation, then for each of --runs days 1 new order per 1,000 orders of the file and the nightly job,
// then as many more and `siyu layers update`; medians. With --profile, each PostgreSQL statement of the nightly job
// and the update is timed, and the slowest are printed (then EXPLAIN ANALYZE them by hand: docs/operations.md).
// Usage: node --import tsx bench/layers-postgres.ts --pg postgres://postgres@127.0.0.1:5432/db [--rows 1000000] [--runs 3] [--profile]
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { computeLayers, saveSegment, updateLayers } from '../src/segment/index.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { ensureOrdersFile } from './orders-file.ts';
import { arg, median, printTable, writeResult } from './report.ts';
import { storeWithOrders } from './stores.ts';

const rows = Number(arg('rows', '1000000'));
const runs = Number(arg('runs', '3'));
const url = arg('pg', process.env.SIYU_BENCH_DATABASE_URL ?? '');
const profile = process.argv.includes('--profile');
if (!url) throw new Error('give --pg postgres://… (a database this benchmark may add a schema to)');
const data = (name: string) => new URL(`./data/${name}`, import.meta.url).pathname;
const schema = `bench_layers_${rows}`;

const SEGMENTS: Record<string, unknown> = {
  important_value: { field: 'rfm_class', op: '=', value: 'important_value' },
  win_back: { all: [{ field: 'stage', op: 'in', value: ['dormant', 'churned'] }, { field: 'tier', op: 'in', value: ['head', 'waist'] }] },
  big_spenders_90d: { attribute: 'monetary_90d', op: '>', value: 1000 },
  lapsing_regulars: { all: [{ attribute: 'orders_lifetime', op: '>=', value: 5 }, { attribute: 'recency_days', op: '>', value: 60 }] },
};
const CUSTOMER_COLUMNS = 'customer_id, created_at, updated_at';
const ORDER_COLUMNS = 'customer_id, order_id, placed_at, status, total_fen, discount_fen, refunded_fen, currency, channel, store_id, coupon_code, source, updated_at';

const duck = await openStore(await storeWithOrders(data(`layers-${rows}.duckdb`), await ensureOrdersFile(data(`orders-${rows}.csv`), rows)));
await migrate(duck);
const postgres = await openStore(`${url}${url.includes('?') ? '&' : '?'}schema=${schema}`);
await migrate(postgres);
const [{ n: copied }] = (await postgres.query<{ n: number }>('SELECT count(*) AS n FROM orders')) as [{ n: number }];
if (Number(copied) < rows) {
  process.stderr.write(`copying ${rows.toLocaleString('en-US')} orders into PostgreSQL schema ${schema} (once)…\n`);
  await postgres.execute('TRUNCATE orders, customers');
  for (const [table, columns] of [['customers', CUSTOMER_COLUMNS], ['orders', ORDER_COLUMNS]] as const) {
    const file = data(`${schema}-${table}.csv`);
    await duck.execute(`COPY (SELECT ${columns} FROM ${table} WHERE ${table === 'orders' ? "order_id NOT LIKE 'INC%'" : 'TRUE'}) TO '${file}' (HEADER, DELIMITER ',')`);
    execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${schema}.${table} (${columns}) FROM '${file}' CSV HEADER`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  await postgres.execute('ANALYZE');
}

/** Statement times on PostgreSQL while `profiling` is set, by statement text. */
const statements = new Map<string, number[]>();
let profiling = false;
if (profile) {
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    const result = original.apply(this, args);
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
    if (profiling && text && result instanceof Promise) {
      const started = performance.now();
      void result.then(() => statements.set(text, [...(statements.get(text) ?? []), performance.now() - started]), () => undefined);
    }
    return result;
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

/** The first computation, then `runs` days of new orders, the nightly job and an update; then one full recompute. */
async function bench(store: Store, name: string) {
  for (const [segment, definition] of Object.entries(SEGMENTS)) await saveSegment(store, { name: segment, definition });
  await store.transaction(async (tx) => {
    await tx.execute(`DELETE FROM orders WHERE order_id LIKE 'INC%'`);
    for (const table of ['customer_attribute_values', 'rfm_score_values', 'tier_scores', 'lifecycle_stage_values', 'lifecycle_history', 'layer_history', 'layer_runs', 'segment_membership', 'segment_refreshes']) await tx.execute(`DELETE FROM ${table}`);
    await tx.execute(`DELETE FROM events WHERE source LIKE 'siyu %'`);
  });
  const [{ latest }] = (await store.query<{ latest: string }>(`SELECT CAST(max(placed_at) AS DATE) AS latest FROM orders`)) as [{ latest: string }];
  const day = (offset: number) => new Date(Date.parse(`${latest}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
  const newOrders = (asOf: string, hour: number, salt: string) =>
    store.execute(
      `INSERT INTO orders (customer_id, order_id, placed_at, status, total_fen, discount_fen, refunded_fen, currency, channel, updated_at)
       SELECT customer_id, 'INC' || $2 || customer_id, CAST($1 AS TIMESTAMPTZ), 'completed', 12800, 0, 0, 'CNY', '小程序商城', now()
       FROM (SELECT customer_id FROM customers ORDER BY md5(customer_id || $2) LIMIT ${Math.round(rows / 1000)}) c`,
      [new Date(`${asOf}T${String(hour).padStart(2, '0')}:00:00Z`), salt],
    );
  if (store.kind === 'postgres') await store.execute('ANALYZE');
  const first = await timed(() => computeLayers(store, { asOf: day(-runs) }));
  const nightly: number[] = [];
  const update: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const asOf = day(run - runs);
    await newOrders(asOf, 2, `n${run}`);
    profiling = true;
    nightly.push(await timed(async () => {
      const report = await computeLayers(store, { asOf });
      if (report.mode !== 'incremental') throw new Error(`${name}: the nightly job ran ${report.mode}`);
    }));
    await newOrders(asOf, 6, `u${run}`);
    update.push(await timed(() => updateLayers(store, { asOf })));
    profiling = false;
    process.stderr.write(`  ${name} run ${run}: nightly ${nightly.at(-1)!.toFixed(2)} s, update ${update.at(-1)!.toFixed(2)} s\n`);
  }
  const full = await timed(() => computeLayers(store, { asOf: day(0), full: true }));
  return { first, nightly: median(nightly), update: median(update), full, runs: { nightly, update } };
}

const onDuck = await bench(duck, 'duckdb');
const onPostgres = await bench(postgres, 'postgres');
await duck.close();
await postgres.close();
const table = [
  ['nightly job (incremental)', onDuck.nightly, onPostgres.nightly, `${(onPostgres.nightly / onDuck.nightly).toFixed(1)}×; target ≤ 4×`],
  ['layers update', onDuck.update, onPostgres.update, `${(onPostgres.update / onDuck.update).toFixed(1)}×`],
  ['full recompute (one run)', onDuck.full, onPostgres.full, `${(onPostgres.full / onDuck.full).toFixed(1)}×`],
  ['first computation (one run)', onDuck.first, onPostgres.first, `${(onPostgres.first / onDuck.first).toFixed(1)}×`],
];
printTable(`Layers on ${(rows / 10).toLocaleString('en-US')} customers and ${rows.toLocaleString('en-US')} orders, medians of ${runs} days`, ['step', 'DuckDB s', 'PostgreSQL s', 'PostgreSQL / DuckDB'], table);
if (profile) {
  const slowest = [...statements].map(([sql, ms]) => ({ sql, total: ms.reduce((a, b) => a + b, 0), calls: ms.length })).sort((a, b) => b.total - a.total).slice(0, 15);
  for (const s of slowest) process.stdout.write(`\n${(s.total / 1000).toFixed(2)} s in ${s.calls} calls: ${s.sql.replace(/\s+/g, ' ').slice(0, 400)}\n`);
}
process.stdout.write(`wrote ${writeResult(`layers-postgres-${rows}`, { rows, runs, duckdb: onDuck, postgres: onPostgres })}\n`);
