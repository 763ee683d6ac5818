import { io } from './io.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { computeKpis, computeOverview, formatKpiSummary, formatOverview } from '../analytics/index.ts';
import { SiyuError } from '../core/errors.ts';
import { generateDemo, type GeneratedFiles } from '../demo/index.ts';
import { importFile, type ImportKind } from '../import/index.ts';
import { churnWarnings, fitClv, scoreChurn, scoreClv, trainChurn } from '../models/index.ts';
import type { Store } from '../store/index.ts';
import { recommendationsFor, trainRecommendations } from '../recommend/index.ts';
import { computeAttributes, computeClusters, computeLifecycle, computeRfm, computeTiers, refreshSegment, saveSegment, updateLayers } from '../segment/index.ts';
import { fitSummary, scoreSummary } from './clv.ts';
import { formatRfm } from './rfm.ts';
import { formatEvaluation, formatWarnings } from './churn.ts';
import { formatClusters } from './cluster.ts';
import { formatLifecycle } from './lifecycle.ts';
import { formatList, formatTrain } from './recommend.ts';
import { formatTiers } from './tiers.ts';
import { action, parseCount, withDb, withOpenStore } from './context.ts';
import { demoJourneys, demoLoyalty, demoPrivacy, demoSimulators, signInHint } from './demo-act.ts';
import { parsePort, serve } from './serve.ts';

interface DemoFlags {
  customers: string;
  seed: string;
  out: string;
  end: string;
  days: string;
}

function generate(opts: DemoFlags): GeneratedFiles {
  const customers = parseCount(opts.customers, '--customers');
  const end = new Date(`${opts.end}T23:59:59Z`);
  if (Number.isNaN(end.getTime())) throw new SiyuError('validation', 'invalid_flag', `--end must be a date like 2026-10-31, not ${JSON.stringify(opts.end)}`);
  const started = Date.now();
  io().stderr.write(`generating a demo brand: ${customers.toLocaleString('en-US')} customers, seed ${opts.seed} → ${opts.out}/\n`);
  const files = generateDemo({
    customers,
    seed: parseCount(opts.seed, '--seed', 0),
    end,
    days: parseCount(opts.days, '--days'),
    outDir: opts.out,
    onProgress: (done) => io().stderr.isTTY && io().stderr.write(`\r  ${done.toLocaleString('en-US')} customers…`),
  });
  if (io().stderr.isTTY) io().stderr.write('\r');
  const c = files.counts;
  io().stderr.write(
    `  ${c.customers.toLocaleString('en-US')} customers, ${c.products} products, ${c.orders.toLocaleString('en-US')} orders, ${c.orderItems.toLocaleString('en-US')} order lines, ${c.events.toLocaleString('en-US')} events in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return files;
}

const demoOptions = (command: Command): Command =>
  command
    .option('--customers <n>', 'how many customers', '100000')
    .option('--seed <n>', 'random seed; the same seed gives the same brand', '42')
    .option('--out <dir>', 'where to write the files', 'demo-data')
    .option('--end <date>', 'last day of the data (UTC)', '2026-10-31')
    .option('--days <n>', 'days of history', '730');

/** Predict: BG/NBD + Gamma-Gamma on the whole history, every customer scored, the fit set against the brand's truth. */
async function demoClv(store: Store, dir: string): Promise<string> {
  const started = Date.now();
  const fit = await fitClv(store, { model: 'bgnbd', timeUnit: 'week' });
  const scores = await scoreClv(store, { model: 'bgnbd' });
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as { bgnbd: Record<string, number>; gammaGamma: Record<string, number> };
  const show = (params: Record<string, number>) => Object.entries(params).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(', ');
  return [
    `CLV (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    fitSummary(fit).replace(/^/gm, '  '),
    `  the brand's truth: bgnbd ${show(truth.bgnbd)} for repeat buyers; seasonality, promotions, deal seekers who leave after one order and customers lost after a refund bend the data away from it`,
    `    spend targets follow gammagamma ${show(truth.gammaGamma)}, but baskets of whole products overshoot their target, so the fitted spend model describes the baskets instead`,
    scoreSummary(scores).replace(/^/gm, '  '),
  ].join('\n');
}

export function registerDemo(program: Command): void {
  const demo = program.command('demo').description('a realistic demo brand: generate it, load it, look at it');

  demoOptions(demo.command('generate').description('write a demo brand as canonical import files (customers, products, orders, order-items, events) plus its ground truth')).action(
    action(async (opts: DemoFlags) => {
      const files = generate(opts);
      io().stdout.write(`${[files.customers, files.products, files.orders, files.orderItems, files.events, files.truth].join('\n')}\n`);
    }),
  );

  withDb(demoOptions(demo.command('run').description('generate the demo brand, import it through the normal import paths, print a summary (overview, RFM classes, computed attributes, lifecycle stages, clusters, CLV fit and scores, value tiers, churn risk, recommendations, a scheduled segment and an incremental update after win-back orders, consents and an erasure, loyalty, three journeys over simulated days with the win-back sent as SMS through provider simulators it starts), then serve the API and console')))
    .option('--no-serve', 'exit after the summary')
    .option('--journey-days <n>', 'simulated days of the three journeys (welcome, abandoned cart, win-back); 0 skips them', '60')
    .option('--port <n>', 'port for the API', '3000')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .action(
      action(async (opts: DemoFlags & { db?: string; serve: boolean; port: string; host: string; journeyDays: string }) => {
        const port = parsePort(opts.port);
        const seed = parseCount(opts.seed, '--seed', 0);
        const journeyDays = parseCount(opts.journeyDays, '--journey-days', 0);
        const files = generate(opts);
        await withOpenStore(opts.db, async (store) => {
          const steps: [ImportKind, string][] = [
            ['customers', files.customers],
            ['products', files.products],
            ['orders', files.orders],
            ['order-items', files.orderItems],
            ['events', files.events],
          ];
          for (const [kind, file] of steps) {
            const report = await importFile(store, kind, file, { rejectsPath: `${files.dir}/${kind}.rejects.csv` });
            io().stderr.write(
              `  import ${kind.padEnd(11)} ${report.accepted.toLocaleString('en-US').padStart(10)} records in ${report.seconds.toFixed(1).padStart(5)} s${report.rejected ? `, ${report.rejected} rejected → ${report.rejectsFile}` : ''}\n`,
            );
          }
          io().stdout.write(`\nSiyu demo brand in ${store.location}\n\n${formatOverview(await computeOverview(store))}\n\n`);
          io().stdout.write(`${formatKpiSummary(await computeKpis(store))}\n\n`);
          io().stdout.write(`${formatRfm(await computeRfm(store), 'cn8')}\n\n`);
          const attributes = await computeAttributes(store);
          io().stdout.write(`computed ${attributes.attributes} attributes for ${attributes.customers.toLocaleString('en-US')} customers as of ${attributes.asOf} (siyu attributes list)\n\n`);
          io().stdout.write(`${formatLifecycle(await computeLifecycle(store))}\n\n`);
          io().stdout.write(`${formatClusters(await computeClusters(store))}\n\n`);
          io().stdout.write(`${await demoClv(store, files.dir)}\n\n`);
          io().stdout.write(`${formatTiers(await computeTiers(store, { basis: 'clv' }))}\n\n`);
          io().stdout.write(`${await demoChurn(store)}\n\n`);
          io().stdout.write(`${await demoRecommendations(store)}\n\n`);
          io().stdout.write(`${await demoLayersUpdate(store, files.dir)}\n\n`);
          io().stdout.write(`${await demoPrivacy(store, seed)}\n\n`);
          io().stdout.write(`${await demoLoyalty(store)}\n\n`);
          // The provider simulators the journeys' SMS go through; they run as long as this process, so the served
          // console's channel pages, test sends and receipts work against them too.
          const simulators = journeyDays > 0 ? await demoSimulators(seed) : undefined;
          try {
            if (simulators) io().stdout.write(`${await demoJourneys(store, seed, journeyDays, simulators)}\n\n`);
            io().stdout.write(`${await signInHint(store, `http://${opts.host === '0.0.0.0' ? 'localhost' : opts.host}:${port}`)}\n\n`);
            if (simulators) io().stdout.write(`provider simulators: ${simulators.url} (the channel sms sends to it; after the demo, siyu dev providers --port ${new URL(simulators.url).port} serves it again)\n`);
            if (opts.serve) await serve(store, { port, host: opts.host, logLevel: 'warn', jobs: true });
            else io().stdout.write(`next: npm run siyu -- serve --db ${store.location}   (or: npm run siyu -- stats)\n`);
          } finally {
            await simulators?.stop();
          }
        });
      }),
    );
}

/** Trains the recommender (EASE for the demo's catalogue, tuned on a validation split of the purchases) and shows the top-CLV customer's list. */
async function demoRecommendations(store: Store): Promise<string> {
  const report = await trainRecommendations(store, { onProgress: (line) => io().stderr.write(`  recommend: ${line}\n`) });
  const [top] = await store.query<{ customer_id: string }>('SELECT customer_id FROM clv_scores ORDER BY clv_12m_fen DESC, customer_id LIMIT 1');
  const lines = [`recommendations: ${formatTrain(report)}`];
  // The demo brand's history ends at its latest order, so restock timing is judged as of that day.
  if (top) lines.push(formatList(await recommendationsFor(store, top.customer_id, { n: 5, today: report.replenishment.asOf })));
  return lines.join('\n');
}

/** Evaluates and trains the churn model, scores every customer and shows the top of the warning list. */
async function demoChurn(store: Store): Promise<string> {
  const trained = await trainChurn(store);
  await scoreChurn(store);
  const { asOf, warnings } = await churnWarnings(store, { n: 5 });
  return [formatEvaluation(trained.evaluation), formatWarnings(asOf, warnings)].join('\n');
}

/**
 * A win-back campaign in miniature: saves a daily-refreshed segment of valuable customers who went quiet, gives 200
 * of them an order on the latest day (imported through the normal path), and brings every layer up to date for them
 * alone with the incremental update.
 */
async function demoLayersUpdate(store: Store, dir: string): Promise<string> {
  const name = '沉睡高价值';
  await saveSegment(store, {
    name,
    description: 'dormant or churned customers in the head or waist tier',
    definition: { all: [{ field: 'stage', op: 'in', value: ['dormant', 'churned'] }, { field: 'tier', op: 'in', value: ['head', 'waist'] }] },
    refreshEvery: 'daily',
  });
  const before = await refreshSegment(store, name);
  const back = await store.query<{ customer_id: string }>('SELECT customer_id FROM segment_membership WHERE segment = $1 AND left_on IS NULL ORDER BY customer_id LIMIT 200', [name]);
  const header = `segment ${name} (refreshed daily while \`siyu serve\` runs): ${before.members.toLocaleString('en-US')} members as of ${before.asOf}`;
  if (back.length === 0) return header;
  const [{ at } = { at: new Date() }] = await store.query<{ at: Date }>('SELECT max(placed_at) AS at FROM orders');
  const file = join(dir, 'win-back-orders.csv');
  writeFileSync(
    file,
    ['order_id,customer_id,placed_at,total,discount,currency,channel,store_id,status,coupon_code', ...back.map((c, i) => `WB${String(i + 1).padStart(6, '0')},${c.customer_id},${new Date(at).toISOString()},168.00,20.00,CNY,小程序商城,,completed,WINBACK20`)].join('\n') + '\n',
  );
  await importFile(store, 'orders', file, { rejectsPath: join(dir, 'win-back-orders.rejects.csv') });
  const update = await updateLayers(store);
  const seconds = update.steps.reduce((sum, s) => sum + s.seconds, 0);
  const segment = update.segments.find((s) => s.segment === name);
  const stages = await store.query<{ to_stage: string; n: number }>(
    `SELECT to_stage, count(*) AS n FROM lifecycle_history WHERE changed_on = CAST($1 AS DATE) AND customer_id IN (SELECT customer_id FROM orders WHERE order_id LIKE 'WB%') GROUP BY to_stage ORDER BY 2 DESC`,
    [update.asOf],
  );
  return [
    header,
    `win-back: ${back.length} of them ordered again; siyu layers update brought ${update.customers.toLocaleString('en-US')} changed customers up to date in ${seconds.toFixed(2)} s`,
    `  ${name}: ${before.members.toLocaleString('en-US')} → ${(segment?.members ?? before.members).toLocaleString('en-US')} members; the buyers' stages now: ${stages.map((s) => `${s.to_stage} ${Number(s.n)}`).join(', ') || 'unchanged'}`,
  ].join('\n');
}
