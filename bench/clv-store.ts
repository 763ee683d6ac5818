// CLV end to end from the store (issue #4): `siyu clv fit` then `siyu clv score` (BG/NBD + Gamma-Gamma), summary
// SQL and the clv_scores write included, on two embedded stores built once and reused from bench/data:
//   - the demo brand (100k customers, `siyu demo generate` defaults), target ≤ 2 s;
//   - the demo brand's generator at 1M customers (BG/NBD buyers, about 3.9M orders), target ≤ 5 s.
// Each is timed in-process (the domain calls the CLI makes) and as the two CLI commands in child processes (Node
// start-up and module loading included: about 0.4 s each from the built package, `npm run build`, and 0.8 s from the
// TypeScript sources through tsx), median of --runs.
// Issue #22's target, timed in the same run: the whole `siyu clv fit --model bgnbd` process ≤ 3× DuckDB's bare
// aggregation of (x, tₓ, T) over the same orders, plus Node's own start-up (`node -e 0`). No Python peer (lifetimes)
// can be installed here, so the engine's floor stands in for it.
// Usage: node --import tsx bench/clv-store.ts [--runs 3] [--skip-1m]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { generateDemo } from '../src/demo/index.ts';
import { fitClv, scoreClv } from '../src/models/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { arg, markdownTable, median, printTable, replaceBetweenMarkers, writeResult } from './report.ts';
import { storeWithOrders } from './stores.ts';

const runs = Number(arg('runs', '3'));
const data = (name: string) => new URL(`./data/${name}`, import.meta.url).pathname;

interface Timing {
  load: string;
  customers: number;
  fit: number[];
  score: number[];
  total: number[];
  cli: number[];
  /** One `siyu clv fit --model bgnbd` process; the bare aggregation of (x, tₓ, T) in the engine; `node -e 0`. */
  fitProcess: number[];
  floor: number[];
  nodeStart: number[];
}

/** DuckDB's bare aggregation of (x, tₓ, T) per customer over the purchases, the floor a fit's history query sits on. */
const FLOOR_SQL = `SELECT count(*) AS n, sum(x) AS x, sum(tx) AS tx, sum(t) AS t FROM (
  SELECT customer_id, count(DISTINCT day) - 1 AS x, max(day) - min(day) AS tx, (SELECT max(CAST(placed_at AS DATE)) FROM orders) - min(day) AS t
  FROM (SELECT customer_id, CAST(placed_at AS DATE) AS day FROM orders WHERE status NOT IN ('cancelled', 'refunded')) AS d GROUP BY customer_id) AS h`;

const seconds = (since: number) => (performance.now() - since) / 1000;

async function time(label: string, db: string): Promise<Timing> {
  const timing: Timing = { load: label, customers: 0, fit: [], score: [], total: [], cli: [], fitProcess: [], floor: [], nodeStart: [] };
  for (let run = 0; run < runs; run++) {
    const store = await openStore(db);
    await migrate(store); // stores built by an earlier version
    const bare = performance.now();
    await store.query(FLOOR_SQL);
    timing.floor.push(seconds(bare));
    const started = performance.now();
    const fit = await fitClv(store, { model: 'bgnbd', timeUnit: 'week' });
    const fitted = performance.now();
    const scored = await scoreClv(store, { model: 'bgnbd' });
    const done = performance.now();
    await store.close();
    if (!fit.frequency!.converged) throw new Error(`${label}: BG/NBD did not converge`);
    timing.customers = scored.customers;
    timing.fit.push((fitted - started) / 1000);
    timing.score.push((done - fitted) / 1000);
    timing.total.push((done - started) / 1000);
    const cli = performance.now();
    for (const command of ['fit', 'score']) execFileSync(process.execPath, ['bin/siyu.mjs', 'clv', command, '--db', db], { stdio: 'ignore' });
    timing.cli.push((performance.now() - cli) / 1000);
    const node = performance.now();
    execFileSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    timing.nodeStart.push(seconds(node));
    const fitProcess = performance.now();
    execFileSync(process.execPath, ['bin/siyu.mjs', 'clv', 'fit', '--model', 'bgnbd', '--db', db], { stdio: 'ignore' });
    timing.fitProcess.push(seconds(fitProcess));
    process.stderr.write(
      `  ${label} run ${run + 1}/${runs}: fit ${timing.fit.at(-1)!.toFixed(2)} s, score ${timing.score.at(-1)!.toFixed(2)} s; CLI ${timing.cli.at(-1)!.toFixed(2)} s; fit process ${timing.fitProcess.at(-1)!.toFixed(2)} s, floor ${timing.floor.at(-1)!.toFixed(2)} s, node ${timing.nodeStart.at(-1)!.toFixed(2)} s\n`,
    );
  }
  return timing;
}

/** The demo brand's orders file for `customers` customers (`siyu demo generate` defaults otherwise), written once. */
function demoOrders(customers: number): string {
  const dir = data(`clv-demo-${customers}`);
  if (!existsSync(`${dir}/orders.csv`)) {
    process.stderr.write(`generating the demo brand with ${customers.toLocaleString('en-US')} customers (once)…\n`);
    generateDemo({ customers, seed: 42, end: new Date('2026-10-31T23:59:59Z'), days: 730, outDir: dir });
  }
  return `${dir}/orders.csv`;
}

const results = [await time('demo brand, 100k customers', await storeWithOrders(data('clv-demo-100000.duckdb'), demoOrders(100_000)))];
if (!process.argv.includes('--skip-1m')) results.push(await time('demo generator, 1M customers', await storeWithOrders(data('clv-demo-1000000.duckdb'), demoOrders(1_000_000))));
const cli = existsSync(new URL('../dist/cli/main.js', import.meta.url)) ? 'built' : 'tsx';
const targets: Record<string, number> = { 'demo brand, 100k customers': 2, 'demo generator, 1M customers': 5 };
const header = ['store', 'buyers', 'fit s', 'score s', 'fit + score s', `two CLI commands s (${cli})`, 'target', '`clv fit` process s', 'bare (x, tₓ, T) s', 'Node start-up s', '(process − start-up) / bare'];
const rows = results.map((r) => {
  const ratio = (median(r.fitProcess) - median(r.nodeStart)) / median(r.floor);
  return [r.load, r.customers.toLocaleString('en-US'), median(r.fit), median(r.score), median(r.total), median(r.cli), `≤ ${targets[r.load]} s`, median(r.fitProcess), median(r.floor), median(r.nodeStart), `${ratio.toFixed(1)}× (target ≤ 3×)`];
});
printTable(`siyu clv fit && siyu clv score (BG/NBD + Gamma-Gamma, weeks) on embedded stores, median of ${runs} runs`, header, rows);
if (results.length === 2) {
  replaceBetweenMarkers(new URL('../docs/models.md', import.meta.url), 'clv-store-bench', `${markdownTable(header, rows)}\n\n\`bench/clv-store.ts\` on ${new Date().toISOString().slice(0, 10)}, medians of ${runs} runs. "fit s" and "score s" are the domain calls the commands make, history SQL and writes included; the CLI column adds two Node start-ups.`);
}
process.stdout.write(`\nwrote ${writeResult('clv-store', { runs, cli, results, targets })}\n`);
