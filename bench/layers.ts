// Full recompute of the customer layers (issue #3) on an embedded store of 1M customers and 10M orders (the orders
// file of bench/csv-import.ts, imported once into bench/data and reused): `siyu layers compute` (computed
// attributes, RFM, value tiers, lifecycle stages and 10 saved segments refreshed), in all and per step, against
// DuckDB's bare aggregation of the same orders by customer in the same run. It runs first on a store without layers
// (the first computation), then as the nightly job of each of --runs following days, each followed by a segment
// preview and the incremental update (`siyu layers update`) after 10,000 new orders of that day. Medians of the
// nightly runs; peak RSS of the process.
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
/** computeLayers' steps, as the table names them; the segments' steps are added up. */
const STEP_NAMES: Record<string, string> = { attributes: 'computed attributes (63)', rfm: 'RFM (cn8 + quintiles)', tiers: 'value tiers', lifecycle: 'lifecycle stages' };
const SEGMENTS_STEP = '10 segments refreshed (one transaction)';

const db = await storeWithOrders(data(`layers-${rows}.duckdb`), await ensureOrdersFile(data(`orders-${rows}.csv`), rows));
const store = await openStore(db);
await migrate(store);
for (const [name, definition] of Object.entries(SEGMENTS)) await saveSegment(store, { name, definition });
// Every run starts from no layers at all (the stored file keeps what earlier runs computed).
await store.transaction(async (tx) => {
  for (const table of ['customer_attributes', 'rfm_scores', 'tier_scores', 'lifecycle_stages', 'lifecycle_history', 'layer_history', 'layer_runs', 'segment_membership', 'segment_refreshes']) await tx.execute(`DELETE FROM ${table}`);
  await tx.execute(`DELETE FROM events WHERE source LIKE 'siyu %'`);
});
const [{ latest }] = (await store.query<{ latest: string }>(`SELECT CAST(max(placed_at) AS DATE) AS latest FROM orders`)) as [{ latest: string }];
const day = (offset: number) => new Date(Date.parse(`${latest}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);

/** computeLayers as of `asOf`, timed whole, with its steps added up by STEP_NAMES. */
async function nightly(asOf: string): Promise<{ total: number; steps: Record<string, number> }> {
  let report: LayerComputeReport | undefined;
  const total = await timed(async () => (report = await computeLayers(store, { asOf })));
  const steps: Record<string, number> = {};
  for (const { step, seconds: s } of report!.steps) {
    const name = STEP_NAMES[step] ?? SEGMENTS_STEP;
    steps[name] = (steps[name] ?? 0) + s;
  }
  return { total, steps };
}

// The first computation, `runs` days before the latest order day: every customer is staged, classed and tiered
// for the first time, and every member enters every segment. Then the nightly job of each following day, the last
// as of the latest order day: the layers of the day before are there, so only the day's changes are recorded.
const first = await nightly(day(-runs));
process.stderr.write(`  first computation as of ${day(-runs)}: ${first.total.toFixed(2)} s\n`);
const seconds: Record<string, number[]> = {};
const preview: number[] = [];
const incremental: number[] = [];
const updateSteps: Record<string, number[]> = {};
const full: number[] = [];
for (let run = 1; run <= runs; run++) {
  const asOf = day(run - runs);
  (seconds[BARE] ??= []).push(await timed(() => bareAggregation(store)));
  const { total, steps } = await nightly(asOf);
  full.push(total);
  for (const [name, s] of Object.entries(steps)) (seconds[name] ??= []).push(s);
  preview.push(await timed(() => previewSegment(store, SEGMENTS.win_back, { asOf })));
  // The incremental update after 10,000 new orders on the same day, for 10,000 existing customers; the orders go
  // again afterwards (the next day's nightly job puts their layers back).
  await store.execute(
    `INSERT INTO orders (customer_id, order_id, placed_at, status, total_fen, discount_fen, refunded_fen, currency, channel, updated_at)
     SELECT customer_id, 'INC' || customer_id, CAST($1 AS TIMESTAMPTZ), 'completed', 12800, 0, 0, 'CNY', '小程序商城', now()
     FROM (SELECT customer_id FROM customers ORDER BY hash(customer_id) LIMIT 10000) c`,
    [new Date(`${asOf}T04:00:00Z`)],
  );
  let touched = 0;
  incremental.push(
    await timed(async () => {
      const update = await updateLayers(store, { asOf });
      touched = update.customers;
      for (const { step, seconds: s } of update.steps) (updateSteps[step] ??= []).push(s);
    }),
  );
  await store.execute(`DELETE FROM orders WHERE order_id LIKE 'INC%'`);
  if (touched !== 10_000) throw new Error(`the update saw ${touched} changed customers, not 10,000`);
  process.stderr.write(`  run ${run}/${runs} as of ${asOf}: ${Object.entries(seconds).map(([k, v]) => `${k.split(' ')[0]} ${v.at(-1)!.toFixed(2)}`).join(', ')}, nightly ${full.at(-1)!.toFixed(2)}, preview ${preview.at(-1)!.toFixed(2)}, update ${incremental.at(-1)!.toFixed(2)}\n`);
}
const [{ n }] = (await store.query<{ n: number }>('SELECT count(*) AS n FROM customers')) as [{ n: number }];
await store.close();
const bare = median(seconds['bare DuckDB: orders grouped by customer']!);
const recompute = median(full);
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
const updateDetail = Object.entries(updateSteps).map(([step, v]) => `${step} ${median(v).toFixed(2)}`).join(', ');
const header = ['step', 'median s', 'vs bare aggregation'];
const table = [
  ...Object.entries(seconds).map(([k, v]) => [k, median(v), `${(median(v) / bare).toFixed(1)}×`]),
  ['full recompute, nightly (siyu layers compute: all of the above)', recompute, `${(recompute / bare).toFixed(1)}×; target ≤ 10 s`],
  ['full recompute, first computation (one run: every customer and member is new)', first.total, `${(first.total / bare).toFixed(1)}×; target ≤ 10 s`],
  ['segment preview (count + 20 rows)', median(preview), 'target ≤ 0.3 s'],
  ['incremental update after 10,000 new orders (siyu layers update)', median(incremental), 'target ≤ 1 s'],
];
printTable(`Layers on ${Number(n).toLocaleString('en-US')} customers and ${rows.toLocaleString('en-US')} orders, medians of ${runs} nightly runs; peak RSS ${peakRssMiB} MiB`, header, table);
if (rows === 10_000_000) {
  replaceBetweenMarkers(new URL('../docs/segmentation.md', import.meta.url), 'layers-bench', `${markdownTable(header, table)}\n\n\`bench/layers.ts\` on ${new Date().toISOString().slice(0, 10)}: ${Number(n).toLocaleString('en-US')} customers, ${rows.toLocaleString('en-US')} orders (no order lines or events), the first computation as of ${day(-runs)} (one run), then the nightly job of each of the ${runs} days after it (medians), each followed by a segment preview and an incremental update; peak RSS ${peakRssMiB} MiB (target 4 GB). The first computation's steps (s): ${Object.entries(first.steps).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}. The incremental update's steps (medians, s): ${updateDetail}.`);
}
process.stdout.write(`\nincremental update steps (median s): ${updateDetail}\nwrote ${writeResult('layers', { rows, customers: Number(n), runs, first, seconds, full, preview, incremental, updateSteps, recompute, bare, peakRssMiB })}\n`);
