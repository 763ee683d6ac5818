// CSV import benchmark (issue #2): `siyu import orders` of a canonical orders CSV into a fresh embedded store, against
// DuckDB's own read_csv loading the same file into a table, timed alternately in the same run.
// Usage: node --import tsx bench/csv-import.ts [--rows 10000000] [--runs 3]
import { DuckDBInstance } from '@duckdb/node-api';
import { rmSync } from 'node:fs';
import { importFile } from '../src/import/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { ensureOrdersFile } from './orders-file.ts';
import { arg, median, printTable, writeResult } from './report.ts';

const rows = Number(arg('rows', '10000000'));
const runs = Number(arg('runs', '3'));
const file = new URL(`./data/orders-${rows}.csv`, import.meta.url).pathname;
const db = new URL('./data/bench-import.duckdb', import.meta.url).pathname;

function fresh(): void {
  for (const suffix of ['', '.wal']) rmSync(`${db}${suffix}`, { force: true });
}

async function baseline(): Promise<number> {
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

async function siyu(): Promise<number> {
  fresh();
  const store = await openStore(db);
  await migrate(store);
  const started = performance.now();
  const report = await importFile(store, 'orders', file, { rejectsPath: `${db}.rejects.csv` });
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  if (report.accepted !== rows) throw new Error(`expected ${rows} rows imported, got ${report.accepted} (${report.rejected} rejected)`);
  return seconds;
}

process.stderr.write(`preparing ${file} (${rows.toLocaleString('en-US')} rows; written once, then reused)…\n`);
await ensureOrdersFile(file, rows);
const times = { baseline: [] as number[], siyu: [] as number[] };
for (let run = 1; run <= runs; run++) {
  times.baseline.push(await baseline());
  times.siyu.push(await siyu());
  process.stderr.write(`  run ${run}/${runs}: read_csv ${times.baseline.at(-1)!.toFixed(2)} s, siyu import ${times.siyu.at(-1)!.toFixed(2)} s\n`);
}
fresh();
const base = median(times.baseline);
const ours = median(times.siyu);
const ratio = ours / base;
printTable(`CSV import: ${rows.toLocaleString('en-US')} order rows, median of ${runs} runs`, ['method', 'median s', 'rows/s', 'vs read_csv', 'target'], [
  ['DuckDB read_csv → table', base, Math.round(rows / base), 1, '(baseline)'],
  ['siyu import orders', ours, Math.round(rows / ours), ratio, '≤ 3× and ≥ 1M rows/s'],
]);
const path = writeResult('csv-import', {
  rows,
  runs,
  secondsBaseline: times.baseline,
  secondsSiyu: times.siyu,
  medianBaseline: base,
  medianSiyu: ours,
  ratio,
  rowsPerSecondSiyu: rows / ours,
  targets: { maxRatio: 3, minRowsPerSecond: 1_000_000 },
  metRatio: ratio <= 3,
  metRowsPerSecond: rows / ours >= 1_000_000,
});
process.stdout.write(`\nwrote ${path}\n`);
