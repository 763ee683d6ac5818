// Recommender scale benchmark (issue #5): a synthetic retail catalogue of --customers customers (1M), --items SKUs
// (5k, in 50 categories with Zipf popularity inside each) and about 10 distinct items per customer (10M
// interactions), each customer leaning to one to three favourite categories. Measures training EASE and ALS, and
// the full precompute (score every customer, keep the top 30 with reasons, append them to a fresh DuckDB file),
// as medians of --runs, plus the peak RSS of the process. Usage:
//   node --import tsx bench/recommend-scale.ts [--customers 1000000] [--items 5000] [--runs 3] [--skip-ease]
// EASE trains in a child process of its own (`--only ease`), as `siyu recommend train` fits one algorithm per
// process, so each peak RSS is that of one algorithm's process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../src/core/random.ts';
import { trainAls, trainEase, writeCandidates, type InteractionMatrix, type Recommender } from '../src/recommend/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';

const customers = Number(arg('customers', '1000000'));
const itemCount = Number(arg('items', '5000'));
const runs = Number(arg('runs', '3'));
const skipEase = process.argv.includes('--skip-ease');
const only = arg('only', '');
const CATEGORIES = 50;
const perCategory = Math.ceil(itemCount / CATEGORIES);

// Zipf(1) weights inside a category, as a cumulative table for sampling.
const cumulative = new Float64Array(perCategory);
let total = 0;
for (let i = 0; i < perCategory; i++) cumulative[i] = total += 1 / (i + 1);
const random = new Random(2026);
const pickInCategory = (category: number) => {
  const u = random.next() * total;
  let lo = 0;
  let hi = perCategory - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(itemCount - 1, category * perCategory + lo);
};

process.stderr.write(`drawing ${customers.toLocaleString('en-US')} customers × ${itemCount.toLocaleString('en-US')} SKUs…\n`);
let started = performance.now();
const rowStart = new Int32Array(customers + 1);
const itemOf: number[] = [];
const row = new Set<number>();
for (let u = 0; u < customers; u++) {
  const favourites = Array.from({ length: 1 + Math.floor(random.next() * 3) }, () => Math.floor(random.next() * CATEGORIES));
  const want = Math.max(1, Math.round(10 + 4 * random.normal()));
  row.clear();
  for (let tries = 0; row.size < want && tries < want * 4; tries++) {
    const category = random.next() < 0.8 ? favourites[Math.floor(random.next() * favourites.length)]! : Math.floor(random.next() * CATEGORIES);
    row.add(pickInCategory(category));
  }
  for (const j of [...row].sort((a, b) => a - b)) itemOf.push(j);
  rowStart[u + 1] = itemOf.length;
}
const users = Array.from({ length: customers }, (_, u) => `C${String(u).padStart(7, '0')}`);
const items = Array.from({ length: itemCount }, (_, j) => `S${String(j).padStart(5, '0')}`);
const matrix: InteractionMatrix = {
  users,
  items,
  userIndex: new Map(users.map((id, u) => [id, u])),
  itemIndex: new Map(items.map((id, j) => [id, j])),
  rowStart,
  itemOf: Int32Array.from(itemOf),
  weights: new Float64Array(itemOf.length).fill(1),
  times: new Float64Array(itemOf.length),
};
process.stderr.write(`${itemOf.length.toLocaleString('en-US')} interactions in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

function timed<T>(label: string, fn: () => T): { value: T; seconds: number[] } {
  const seconds: number[] = [];
  let value!: T;
  for (let r = 0; r < runs; r++) {
    started = performance.now();
    value = fn();
    seconds.push((performance.now() - started) / 1000);
    process.stderr.write(`${label} run ${r + 1}: ${seconds[r]!.toFixed(1)} s\n`);
  }
  return { value, seconds };
}

const results: Record<string, unknown>[] = [];
const easeStep = `train EASE (${itemCount.toLocaleString('en-US')}² inverse)`;
if (only === 'ease') {
  const ease = timed('EASE train', () => trainEase(matrix, { lambda: 500 }));
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`wrote ${writeResult('recommend-scale-ease', { customers, items: itemCount, runs, peakRssMiB, results: [{ step: easeStep, median: median(ease.seconds), runs: ease.seconds, target: 60 }] })}\n`);
  process.exit(0);
}
const als = timed('ALS train', () => trainAls(matrix, { factors: 32, regularization: 30, alpha: 2 }));
results.push({ step: 'train ALS (32 factors, 15 sweeps, 3 CG steps)', median: median(als.seconds), runs: als.seconds, target: 60 });
let easeRssMiB: number | null = null;
if (!skipEase) {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--only', 'ease', '--customers', String(customers), '--items', String(itemCount), '--runs', String(runs)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (child.status !== 0) throw new Error(`the EASE process failed (exit ${child.status})`);
  const ease = JSON.parse(readFileSync(new URL('./results/recommend-scale-ease.json', import.meta.url), 'utf8')) as { peakRssMiB: number; results: Record<string, unknown>[] };
  results.push(...ease.results);
  easeRssMiB = ease.peakRssMiB;
}

async function precompute(model: Recommender): Promise<{ total: number; score: number; write: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'siyu-rec-scale-'));
  const store = await openStore(join(dir, 'bench.duckdb'));
  try {
    await migrate(store);
    const t = performance.now();
    const written = await store.transaction((tx) => writeCandidates(tx, model, { candidates: 30, runId: 'bench' }));
    return { total: (performance.now() - t) / 1000, score: written.scoreSeconds, write: written.writeSeconds };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
const precomputes: { total: number; score: number; write: number }[] = [];
for (let r = 0; r < runs; r++) {
  precomputes.push(await precompute(als.value));
  process.stderr.write(`precompute run ${r + 1}: ${precomputes[r]!.total.toFixed(1)} s\n`);
}
results.push({
  step: 'precompute ALS top 30 for every customer → DuckDB',
  median: median(precomputes.map((p) => p.total)),
  runs: precomputes.map((p) => p.total),
  scoreMedian: median(precomputes.map((p) => p.score)),
  writeMedian: median(precomputes.map((p) => p.write)),
  target: 120,
});
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
printTable(
  `Synthetic retail: ${customers.toLocaleString('en-US')} customers, ${itemCount.toLocaleString('en-US')} SKUs, ${itemOf.length.toLocaleString('en-US')} interactions; medians of ${runs}`,
  ['step', 'median s', 'runs', 'target s'],
  results.map((r) => [r.step as string, (r.median as number).toFixed(1), (r.runs as number[]).map((x) => x.toFixed(1)).join(' / '), String(r.target)]),
);
process.stdout.write(`peak RSS ${peakRssMiB} MiB in the ALS and precompute process${easeRssMiB === null ? '' : `, ${easeRssMiB} MiB in the EASE process`} (target ≤ 4096)\n`);
process.stdout.write(`wrote ${writeResult('recommend-scale', { customers, items: itemCount, interactions: itemOf.length, runs, peakRssMiB, easeRssMiB, results })}\n`);
