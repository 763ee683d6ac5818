// CSV import benchmark (issues #2 and #16): `siyu import orders` of a canonical orders CSV into a fresh store, against
// each engine's own bulk load of the same file into an unindexed table, timed alternately in the same run:
// - embedded store: DuckDB's read_csv into a table;
// - PostgreSQL: a bare `COPY … FROM STDIN` of the file into a table of typed columns with no index or key.
// Usage: node --import tsx bench/csv-import.ts [--rows 10000000] [--runs 3] [--backend duckdb|postgres|both]
//   PostgreSQL runs when SIYU_BENCH_DATABASE_URL (or SIYU_TEST_DATABASE_URL) names a database; it works in the
//   schema bench_import, dropped before each run.
import { DuckDBInstance } from '@duckdb/node-api';
import { createReadStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { importFile } from '../src/import/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { ensureOrdersFile } from './orders-file.ts';
import { arg, median, printTable, writeResult } from './report.ts';

const rows = Number(arg('rows', '10000000'));
const runs = Number(arg('runs', '3'));
const pgUrl = process.env.SIYU_BENCH_DATABASE_URL ?? process.env.SIYU_TEST_DATABASE_URL;
const backendArg = arg('backend', 'both');
const backends = (backendArg === 'both' ? ['duckdb', 'postgres'] : [backendArg]).filter((b) => b !== 'postgres' || pgUrl);
const file = new URL(`./data/orders-${rows}.csv`, import.meta.url).pathname;
const db = new URL('./data/bench-import.duckdb', import.meta.url).pathname;
const SCHEMA = 'bench_import';

function fresh(): void {
  for (const suffix of ['', '.wal']) rmSync(`${db}${suffix}`, { force: true });
}

async function duckdbFloor(): Promise<number> {
  fresh();
  const instance = await DuckDBInstance.create(db);
  const connection = await instance.connect();
  const started = performance.now();
  await connection.run(`CREATE TABLE orders AS SELECT * FROM read_csv('${file}')`);
  const seconds = (performance.now() - started) / 1000;
  connection.closeSync();
  instance.closeSync();
  return seconds;
}

async function freshSchema(client: pg.Client | pg.Pool): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.query(`CREATE SCHEMA ${SCHEMA}`);
}

/** The floor on PostgreSQL: the file as it is, streamed through COPY into a table with no index, key or check. */
async function postgresFloor(): Promise<number> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await freshSchema(client);
    await client.query(`CREATE TABLE ${SCHEMA}.orders (order_id TEXT, customer_id TEXT, placed_at TIMESTAMP, total NUMERIC(12,2), discount NUMERIC(12,2),
      currency TEXT, channel TEXT, store_id TEXT, status TEXT, coupon_code TEXT)`);
    const started = performance.now();
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), client.query(copyFrom(`COPY ${SCHEMA}.orders FROM STDIN (FORMAT csv, HEADER true)`)));
    return (performance.now() - started) / 1000;
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await client.end();
  }
}

async function siyu(backend: string): Promise<number> {
  let location = db;
  if (backend === 'duckdb') fresh();
  else {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await freshSchema(admin);
    await admin.end();
    const url = new URL(pgUrl!);
    url.searchParams.set('schema', SCHEMA);
    location = url.toString();
  }
  const store = await openStore(location);
  await migrate(store);
  const started = performance.now();
  const report = await importFile(store, 'orders', file, { rejectsPath: `${db}.rejects.csv` });
  const seconds = (performance.now() - started) / 1000;
  if (backend === 'postgres') await store.execute(`DROP SCHEMA ${SCHEMA} CASCADE`);
  await store.close();
  if (report.accepted !== rows) throw new Error(`expected ${rows} rows imported, got ${report.accepted} (${report.rejected} rejected)`);
  return seconds;
}

process.stderr.write(`preparing ${file} (${rows.toLocaleString('en-US')} rows; written once, then reused)…\n`);
await ensureOrdersFile(file, rows);
if (!backends.includes('postgres')) process.stderr.write('PostgreSQL skipped: set SIYU_BENCH_DATABASE_URL to a database to run it\n');
const result: Record<string, unknown> = { rows, runs };
for (const backend of backends) {
  const times = { floor: [] as number[], siyu: [] as number[] };
  const floorName = backend === 'duckdb' ? 'DuckDB read_csv → table' : 'PostgreSQL bare COPY → unindexed table';
  for (let run = 1; run <= runs; run++) {
    times.floor.push(backend === 'duckdb' ? await duckdbFloor() : await postgresFloor());
    times.siyu.push(await siyu(backend));
    process.stderr.write(`  ${backend} run ${run}/${runs}: floor ${times.floor.at(-1)!.toFixed(2)} s, siyu import ${times.siyu.at(-1)!.toFixed(2)} s\n`);
  }
  fresh();
  const base = median(times.floor);
  const ours = median(times.siyu);
  const ratio = ours / base;
  printTable(`CSV import on ${backend}: ${rows.toLocaleString('en-US')} order rows, median of ${runs} runs`, ['method', 'median s', 'rows/s', 'vs floor', 'target'], [
    [floorName, base, Math.round(rows / base), 1, '(floor)'],
    ['siyu import orders', ours, Math.round(rows / ours), ratio, backend === 'duckdb' ? '≤ 3× and ≥ 1M rows/s' : '≤ 3×'],
  ]);
  const figures = { floor: floorName, secondsFloor: times.floor, secondsSiyu: times.siyu, medianFloor: base, medianSiyu: ours, ratio, rowsPerSecondSiyu: rows / ours, metRatio: ratio <= 3 };
  // The embedded store's figures keep the names earlier results used.
  if (backend === 'duckdb') {
    Object.assign(result, { secondsBaseline: times.floor, secondsSiyu: times.siyu, medianBaseline: base, medianSiyu: ours, ratio, rowsPerSecondSiyu: rows / ours });
    Object.assign(result, { targets: { maxRatio: 3, minRowsPerSecond: 1_000_000 }, metRatio: ratio <= 3, metRowsPerSecond: rows / ours >= 1_000_000 });
  } else result.postgres = { ...figures, targets: { maxRatio: 3 } };
}
const path = writeResult('csv-import', result);
process.stdout.write(`\nwrote ${path}\n`);
