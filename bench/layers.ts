// The customer layers (issues #3 and #16) on an embedded store of 1M customers and 10M orders (the orders file of
// bench/csv-import.ts, imported once into bench/data and reused): the first computation of `siyu layers compute` on
// a store without layers (every customer computed), then, for each of --runs following days, a day of 10,000 new
// orders followed by the nightly job (`siyu layers compute`: only the customers who can have changed), a segment
// preview, and `siyu layers update` after 10,000 more orders of that day; finally the full recompute (`--full`,
// one run). Everything against DuckDB's bare aggregation of the same orders by customer in the same run. Medians of
// the runs; peak RSS of the process.
// Usage: node --import tsx bench/layers.ts [--rows 10000000] [--runs 3]
import { computeLayers, previewSegment, saveSegment, updateLayers, type LayerComputeReport } from '../src/segment/index.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { ensureOrdersFile } from './orders-file.ts';
import { arg, markdownTable, median, printTable, replaceBetweenMarkers, writeResult } from './report.ts';
import { storeWithOrders } from './stores.ts';

const rows = Number(arg('rows', '10000000'));
const runs = Number(arg('runs', '3'));
const data = (name: string) => new URL(`./data/${name}`, import.meta.url).pathname;

/** Ten segments of the kinds operations staff save: layers, scores, attributes and their combinations. */
const SEGMENTS: Record<string, unknown> = {
  important_value: { field: 'rfm_class', op: '=', value: 'important_value' },
  win_back: { all: [{ field: 'stage', op: 'in', value: ['dormant', 'churned'] }, { field: 'tier', op: 'in', value: ['head', 'waist'] }] },
  new_buyers: { field: 'stage', op: '=', value: 'new' },
  head_tier: { field: 'tier', op: '=', value: 'head' },
  big_spenders_90d: { attribute: 'monetary_90d', op: '>', value: 1000 },
  frequent: { attribute: 'orders_365d', op: '>=', value: 6 },
  coupon_lovers: { attribute: 'coupon_order_share', op: '>', value: 0.5 },
  lapsing_regulars: { all: [{ attribute: 'orders_lifetime', op: '>=', value: 5 }, { attribute: 'recency_days', op: '>', value: 60 }] },
  offline_first: { attribute: 'favourite_channel', op: '=', value: '线下门店' },
  not_recent_low: { not: { any: [{ field: 'r_score', op: '>=', value: 4 }, { field: 'm_score', op: '>=', value: 4 }] } },
};

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

const BARE = 'bare DuckDB: orders grouped by customer';
const bareAggregation = (store: Store) =>
  store.query(`SELECT count(*) FROM (SELECT customer_id, count(*), sum(total_fen), min(placed_at), max(placed_at), count(DISTINCT CAST(placed_at AS DATE)) FROM orders GROUP BY customer_id) t`);

const db = await storeWithOrders(data(`layers-${rows}.duckdb`), await ensureOrdersFile(data(`orders-${rows}.csv`), rows));
const store = await openStore(db);
await migrate(store);
for (const [name, definition] of Object.entries(SEGMENTS)) await saveSegment(store, { name, definition });
// Every run starts from the imported orders and no layers at all (the stored file keeps what earlier runs added).
await store.transaction(async (tx) => {
  await tx.execute(`DELETE FROM orders WHERE order_id LIKE 'INC%'`);
  for (const table of ['customer_attribute_values', 'rfm_score_values', 'tier_scores', 'lifecycle_stage_values', 'lifecycle_history', 'layer_history', 'layer_runs', 'segment_membership', 'segment_refreshes']) await tx.execute(`DELETE FROM ${table}`);
  await tx.execute(`DELETE FROM events WHERE source LIKE 'siyu %'`);
});
const [{ latest }] = (await store.query<{ latest: string }>(`SELECT CAST(max(placed_at) AS DATE) AS latest FROM orders`)) as [{ latest: string }];
const day = (offset: number) => new Date(Date.parse(`${latest}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);

/** 10,000 new orders on `asOf` at `hour` UTC, for 10,000 existing customers picked by a hash salted with `salt`. */
const newOrders = (asOf: string, hour: number, salt: string) =>
  store.execute(
    `INSERT INTO orders (customer_id, order_id, placed_at, status, total_fen, discount_fen, refunded_fen, currency, channel, updated_at)
     SELECT customer_id, 'INC' || $2 || customer_id, CAST($1 AS TIMESTAMPTZ), 'completed', 12800, 0, 0, 'CNY', '小程序商城', now()
     FROM (SELECT customer_id FROM customers ORDER BY hash(customer_id || $2) LIMIT 10000) c`,
    [new Date(`${asOf}T${String(hour).padStart(2, '0')}:00:00Z`), salt],
  );

/** computeLayers as of `asOf`, timed whole, with its steps. */
async function compute(asOf: string, full = false): Promise<{ total: number; report: LayerComputeReport }> {
  let report: LayerComputeReport | undefined;
  const total = await timed(async () => (report = await computeLayers(store, { asOf, full })));
  return { total, report: report! };
}
const stepsOf = (report: LayerComputeReport) => {
  const steps: Record<string, number> = {};
  for (const { step, seconds: s } of report.steps) steps[step.startsWith('segment ') ? 'segments refreshed whole' : step] = (steps[step.startsWith('segment ') ? 'segments refreshed whole' : step] ?? 0) + s;
  return steps;
};

// The first computation, `runs` days before the latest order day: every customer is computed, staged, classed and
// tiered for the first time, and every member enters every segment.
const first = await compute(day(-runs));
process.stderr.write(`  first computation as of ${day(-runs)}: ${first.total.toFixed(2)} s\n`);
const bare: number[] = [];
const nightlyRuns: number[] = [];
const nightlySteps: Record<string, number[]> = {};
const scope: number[] = [];
const preview: number[] = [];
const incremental: number[] = [];
const updateSteps: Record<string, number[]> = {};
for (let run = 1; run <= runs; run++) {
  const asOf = day(run - runs);
  // The day: the orders of the file placed on it come into the days counted, and 10,000 new ones arrive.
  await newOrders(asOf, 2, `n${run}`);
  bare.push(await timed(() => bareAggregation(store)));
  const { total, report } = await compute(asOf);
  if (report.mode !== 'incremental') throw new Error(`the nightly job of ${asOf} ran ${report.mode}`);
  nightlyRuns.push(total);
  for (const [step, s] of Object.entries(stepsOf(report))) (nightlySteps[step] ??= []).push(s);
  scope.push(report.steps.find((s) => s.step === 'changed customers')!.customers);
  preview.push(await timed(() => previewSegment(store, SEGMENTS.win_back, { asOf })));
  // The incremental update after 10,000 more orders of the same day, for other customers.
  await newOrders(asOf, 6, `u${run}`);
  let touched = 0;
  incremental.push(
    await timed(async () => {
      const update = await updateLayers(store, { asOf });
      touched = update.customers;
      for (const { step, seconds: s } of update.steps) (updateSteps[step] ??= []).push(s);
    }),
  );
  if (touched !== 10_000) throw new Error(`the update saw ${touched} changed customers, not 10,000`);
  process.stderr.write(`  run ${run}/${runs} as of ${asOf}: bare ${bare.at(-1)!.toFixed(2)}, nightly ${total.toFixed(2)} (${scope.at(-1)} customers), preview ${preview.at(-1)!.toFixed(2)}, update ${incremental.at(-1)!.toFixed(2)}\n`);
}
const full = await compute(day(0), true);
process.stderr.write(`  full recompute as of ${day(0)}: ${full.total.toFixed(2)} s\n`);
const [{ n }] = (await store.query<{ n: number }>('SELECT count(*) AS n FROM customers')) as [{ n: number }];
await store.close();
const floor = median(bare);
const nightly = median(nightlyRuns);
const update = median(incremental);
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
const detail = (steps: Record<string, number[]>) => Object.entries(steps).map(([step, v]) => `${step} ${median(v).toFixed(2)}`).join(', ');
const ratio = (s: number) => `${(s / floor).toFixed(1)}×`;
const header = ['step', 'median s', 'vs bare aggregation'];
const table = [
  [BARE, floor, '1.0×'],
  [`nightly job, incremental (siyu layers compute; ${Math.round(median(scope)).toLocaleString('en-US')} customers could have changed)`, nightly, `${ratio(nightly)}; target ≤ 3 s`],
  ['incremental update after 10,000 new orders (siyu layers update)', update, `${ratio(update)}; target ≤ 1 s`],
  ['segment preview (count + 20 rows)', median(preview), 'target ≤ 0.3 s'],
  ['full recompute (siyu layers compute --full; one run)', full.total, ratio(full.total)],
  ['first computation (one run: every customer and member is new)', first.total, ratio(first.total)],
];
printTable(`Layers on ${Number(n).toLocaleString('en-US')} customers and ${rows.toLocaleString('en-US')} orders, medians of ${runs} days; peak RSS ${peakRssMiB} MiB`, header, table);
if (rows === 10_000_000) {
  replaceBetweenMarkers(
    new URL('../docs/segmentation.md', import.meta.url),
    'layers-bench',
    `${markdownTable(header, table)}\n\n\`bench/layers.ts\` on ${new Date().toISOString().slice(0, 10)}: ${Number(n).toLocaleString('en-US')} customers, ${rows.toLocaleString('en-US')} orders (no order lines or events), 10 saved segments; the first computation as of ${day(-runs)}, then for each of the ${runs} days after it 10,000 new orders and the nightly job, a segment preview and 10,000 more orders with an incremental update (medians), then the full recompute as of ${day(0)}; peak RSS ${peakRssMiB} MiB. The nightly job's steps (medians, s): ${detail(nightlySteps)}. The update's steps (medians, s): ${detail(updateSteps)}. The full recompute's steps (s): ${Object.entries(stepsOf(full.report)).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}.`,
  );
}
process.stdout.write(`\nnightly steps (median s): ${detail(nightlySteps)}\nupdate steps (median s): ${detail(updateSteps)}\nwrote ${writeResult('layers', { rows, customers: Number(n), runs, first: { total: first.total, steps: stepsOf(first.report) }, bare, nightly: nightlyRuns, nightlySteps, scope, preview, incremental, updateSteps, full: { total: full.total, steps: stepsOf(full.report) }, peakRssMiB })}\n`);
