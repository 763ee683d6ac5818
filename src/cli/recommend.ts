import { io, resolvePath } from './io.ts';
import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { formatNumber as n, padDisplay } from '../core/text.ts';
import { ALGORITHM_NAMES, ATTRIBUTION_DAYS, EASE_AUTO_MAX_ITEMS, boughtTogetherFor, CLICKED, recommendationPerformance, startExperiment, stopExperiment, VIEWED, type PerformanceReport, clearMerchandisingRule, compareAlgorithms, listMerchandisingRules, MERCHANDISING_ACTIONS, setMerchandisingRule, similarItemsFor, type MerchandisingAction, formatParams, loadTimeSplit, parseAlgorithm, readInteractionsTsv, recommendationsFor, retrainRecommendations, trainRecommendations, type ComparisonReport, type Interaction, type Params, type RecommendationList, type TrainOptions, type TrainReport } from '../recommend/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';

interface EvaluateFlags {
  db?: string;
  train?: string;
  test?: string;
  splitDate?: string;
  testEnd?: string;
  algo: string;
  k: string;
  param: string[];
  tune: boolean;
  seed: string;
  json?: boolean;
}

/** `--param name=value`, repeatable; values that read as numbers or booleans become them. */
function parseParams(values: readonly string[]): Params {
  const params: Params = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new SiyuError('validation', 'invalid_flag', `--param must look like name=value, not ${JSON.stringify(value)}`);
    const raw = value.slice(eq + 1);
    params[value.slice(0, eq)] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return params;
}

/** The comparison as a table: one row per algorithm, the Microsoft Recommenders metrics first. */
export function formatComparison(r: ComparisonReport): string {
  const head = ['algorithm', 'MAP', `nDCG@${r.k}`, `P@${r.k}`, `R@${r.k}`, 'coverage', 'novelty', 'train s', 'params'].map((h, i) => (i < 8 ? h.padEnd(i === 0 ? 9 : 8) : h)).join('  ');
  return [
    `train ${n(r.train.interactions)} interactions (${n(r.train.users)} users, ${n(r.train.items)} items); test ${n(r.test.interactions)} (${n(r.test.users)} users); k=${r.k}, seen items removed`,
    head,
    ...r.results.map((x) => {
      const m = x.metrics;
      const cells = [m.map.toFixed(6), m.ndcg.toFixed(6), m.precision.toFixed(6), m.recall.toFixed(6), m.coverage.toFixed(4), m.novelty.toFixed(3), x.trainSeconds.toFixed(2)];
      return [x.algorithm.padEnd(9), ...cells.map((c) => c.padEnd(8)), `${formatParams(x.params)}${x.tuning ? ' (tuned)' : ''}`].join('  ');
    }),
    `users with h hits in their top ${r.k}:`,
    ...r.results.map((x) => `  ${x.algorithm.padEnd(9)} ${x.metrics.hits.map((c, h) => `${h}:${c}`).join(' ')}`),
  ].join('\n');
}

export function formatTrain(r: TrainReport): string {
  const s = r.seconds;
  return [
    `${r.algorithm} (${formatParams(r.params)}) trained on ${n(r.interactions)} purchase lines: ${n(r.customers)} customers, ${n(r.items)} items; run ${r.runId}`,
    `  wrote ${n(r.candidateRows)} candidates, ${n(r.similarRows)} similar-item pairs and ${n(r.ruleRows)} bought-together rules`,
    `  restock dates for ${n(r.replenishment.pairs)} customer-SKU pairs as of ${r.replenishment.asOf} (interval from the customer's own purchases ${n(r.replenishment.byBasis.own)}, the SKU's replenish_days ${n(r.replenishment.byBasis.sku)}, the category median ${n(r.replenishment.byBasis.category)})`,
    `  seconds: load ${s.load.toFixed(1)}, tune ${s.tune.toFixed(1)}, train ${s.train.toFixed(1)}, precompute ${s.precompute.toFixed(1)}, write ${s.write.toFixed(1)}, rules ${s.rules.toFixed(1)}, restock dates ${s.replenish.toFixed(1)}`,
  ].join('\n');
}

export function formatList(r: RecommendationList): string {
  const why = { unknown_customer: 'unknown customer: popular items', opted_out: 'opted out of personalised recommendations: popular items', no_candidates: 'no candidates for this customer yet: popular items' };
  return [
    `recommendations for ${r.customerId}${r.notice ? ` (${why[r.notice]})` : ''}${r.algorithm ? `, ${r.algorithm} run ${r.runId}` : ''}`,
    ...r.items.map((x, i) => `  ${String(i + 1).padStart(2)}. ${x.sku.padEnd(12)} ${padDisplay(x.name ?? '', 26)} ${padDisplay(x.category ?? '', 6)} ${x.reason.zh}`),
    ...(r.items.length === 0 ? ['  (nothing to recommend: run `siyu recommend train` first)'] : []),
  ].join('\n');
}

export function formatPerformance(r: PerformanceReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const head = `${r.experiment ? `experiment ${r.experiment}, ` : ''}${r.from ?? 'all time'}${r.to ? ` to ${r.to}` : ''}; purchases credited within ${r.attributionDays} days of a click`;
  if (r.rows.length === 0) return `${head}\n  no ${VIEWED} or ${CLICKED} events yet: send them with the tracking properties of each served list`;
  return [
    head,
    '  algorithm  slot              views    clicks   CTR     conversions  conv. rate  revenue',
    ...r.rows.map((x) => `  ${x.algorithm.padEnd(9)}  ${(x.slot || '-').padEnd(16)}  ${n(x.views).padStart(7)}  ${n(x.clicks).padStart(7)}  ${pct(x.ctr).padStart(6)}  ${n(x.conversions).padStart(11)}  ${pct(x.conversionRate).padStart(10)}  ${n(x.revenueFen / 100, 2).padStart(10)}`),
  ].join('\n');
}

interface TrainFlags {
  db?: string;
  algo: string;
  param: string[];
  tune: boolean;
  candidates: string;
  similar: string;
  json?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerRecommend(program: Command): void {
  const recommend = program.command('recommend').description('product recommendations: train and precompute, show a customer\'s list, evaluate offline (docs/recommend.md)');
  const trainCommand = (name: string, description: string) =>
    withDb(recommend.command(name).description(description))
      .option('--candidates <n>', 'candidates kept per customer (serving fills any gap with popular items)', '30')
      .option('--similar <n>', 'similar items kept per item', '20')
      .option('--json', 'print JSON');
  trainCommand('train', 'train on every purchase in the store and precompute candidates, similar items and popular items')
    .option('--algo <name>', `${ALGORITHM_NAMES.join(', ')}, or auto: ease up to ${EASE_AUTO_MAX_ITEMS.toLocaleString('en-US')} items, als above`, 'auto')
    .option('--param <name=value>', 'algorithm setting, repeatable', collect, [])
    .option('--no-tune', 'use the defaults (and --param) instead of tuning on a validation split of the purchases')
    .action(
      action(async (opts: TrainFlags) => {
        const options: TrainOptions = { algorithm: opts.algo === 'auto' ? undefined : parseAlgorithm(opts.algo), params: parseParams(opts.param), tune: opts.tune };
        await runTrain(opts, options);
      }),
    );
  trainCommand('precompute', 'retrain with the settings of the last run (no tuning) and refresh every precomputed list; for nightly schedules')
    .action(
      action(async (opts: TrainFlags) => {
        await runTrain(opts, undefined);
      }),
    );
  withDb(recommend.command('show').description('a customer\'s recommendations, as the API serves them').argument('<customer-id>'))
    .option('--n <n>', 'how many (1-100)', '10')
    .option('--today <date>', 'judge restock timing as of this day (default: today in the brand timezone)')
    .option('--json', 'print JSON')
    .action(
      action(async (customerId: string, opts: { db?: string; n: string; today?: string; json?: boolean }) => {
        const count = parseCount(opts.n, '--n');
        await withOpenStore(opts.db, async (store) => {
          const list = await recommendationsFor(store, customerId, { n: count, today: opts.today });
          emit(opts.json, list, () => formatList(list));
        });
      }),
    );
  const rule = recommend.command('rule').description('merchandising rules: pin a SKU first in every list, boost it up, or bury it');
  withDb(rule.command('set').description('set the rule of a SKU (replacing any earlier one)').argument('<sku>').argument('<action>', MERCHANDISING_ACTIONS.join(' | ')))
    .option('--factor <x>', 'boost: divide the rank by this (default 2); pin: higher shows first (default 1)')
    .option('--note <text>', 'why, for the team')
    .action(
      action(async (sku: string, actionName: string, opts: { db?: string; factor?: string; note?: string }) => {
        await withOpenStore(opts.db, async (store) => {
          const set = await setMerchandisingRule(store, { sku, action: actionName as MerchandisingAction, factor: opts.factor === undefined ? undefined : Number(opts.factor), note: opts.note });
          io().stdout.write(`${set.sku}: ${set.action}${set.action === 'bury' ? '' : ` ×${set.factor}`}\n`);
        });
      }),
    );
  withDb(rule.command('clear').description('remove the rule of a SKU').argument('<sku>')).action(
    action(async (sku: string, opts: { db?: string }) => {
      await withOpenStore(opts.db, async (store) => {
        io().stdout.write((await clearMerchandisingRule(store, sku)) ? `${sku}: rule removed\n` : `${sku} had no rule\n`);
      });
    }),
  );
  withDb(rule.command('list').description('every merchandising rule'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const rules = await listMerchandisingRules(store);
          emit(opts.json, rules, () => (rules.length ? rules.map((r) => `${r.action.padEnd(5)} ${r.sku.padEnd(14)} ×${r.factor}${r.note ? `  ${r.note}` : ''}`).join('\n') : 'no merchandising rules'));
        });
      }),
    );
  const experiment = recommend.command('experiment').description('A/B experiments between algorithms (each needs `siyu recommend train --algo`)');
  withDb(experiment.command('start').description('start an experiment; a customer\'s variant is a fixed hash of the experiment and their id').argument('<name>'))
    .requiredOption('--variants <list>', 'algorithm:share pairs summing to 1, e.g. ease:0.5,sar:0.5')
    .action(
      action(async (name: string, opts: { db?: string; variants: string }) => {
        const variants = opts.variants.split(',').map((pair) => {
          const [algorithm = '', share = ''] = pair.split(':');
          const value = Number(share);
          if (!algorithm || share === '' || !Number.isFinite(value)) throw new SiyuError('validation', 'invalid_flag', `--variants takes algorithm:share pairs such as ease:0.5, not ${JSON.stringify(pair)}`);
          return { algorithm: algorithm.trim(), share: value };
        });
        await withOpenStore(opts.db, async (store) => {
          const started = await startExperiment(store, name, variants);
          io().stdout.write(`experiment ${started.experiment} started: ${started.variants.map((v) => `${v.algorithm} ${(v.share * 100).toFixed(0)}%`).join(', ')}\n`);
        });
      }),
    );
  withDb(experiment.command('stop').description('stop a running experiment; lists go back to the latest run').argument('<name>')).action(
    action(async (name: string, opts: { db?: string }) => {
      await withOpenStore(opts.db, async (store) => {
        await stopExperiment(store, name);
        io().stdout.write(`experiment ${name} stopped\n`);
      });
    }),
  );
  withDb(recommend.command('report').description(`CTR and conversion per algorithm and slot, from ${VIEWED} / ${CLICKED} events and purchases within ${ATTRIBUTION_DAYS} days of a click`))
    .option('--from <date>', 'first day (brand timezone)')
    .option('--to <date>', 'day after the last')
    .option('--experiment <name>', 'only events from lists served in this experiment')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; from?: string; to?: string; experiment?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const report = await recommendationPerformance(store, { from: opts.from, to: opts.to, experiment: opts.experiment });
          emit(opts.json, report, () => formatPerformance(report));
        });
      }),
    );
  withDb(recommend.command('item').description('items similar to a SKU, and items frequently bought with it').argument('<sku>'))
    .option('--n <n>', 'how many of each (1-100)', '10')
    .option('--json', 'print JSON')
    .action(
      action(async (sku: string, opts: { db?: string; n: string; json?: boolean }) => {
        const count = parseCount(opts.n, '--n');
        await withOpenStore(opts.db, async (store) => {
          const result = { similar: await similarItemsFor(store, sku, { n: count }), boughtTogether: await boughtTogetherFor(store, sku, { n: count }) };
          emit(opts.json, result, () =>
            [
              `similar to ${sku}:`,
              ...result.similar.items.map((x) => `  ${x.sku.padEnd(12)} ${padDisplay(x.name ?? '', 26)} score ${x.score.toFixed(4)}`),
              `bought together with ${sku}:`,
              ...result.boughtTogether.items.map((x) => `  ${x.sku.padEnd(12)} ${padDisplay(x.name ?? '', 26)} ${n(x.orders)} orders, confidence ${(x.confidence * 100).toFixed(1)}%, lift ${x.lift.toFixed(2)}`),
              ...(result.boughtTogether.items.length ? [] : ['  (no rule passes the support, confidence and lift thresholds)']),
            ].join('\n'),
          );
        });
      }),
    );
  withDb(
    recommend
      .command('evaluate')
      .description('score recommenders on a train/test split: TSV files (user_id item_id rating timestamp) or the store\'s purchases split at a date')
      .option('--train <file>', 'training interactions, TSV in the MovieLens split format')
      .option('--test <file>', 'test interactions, same format; every test item counts as relevant')
      .option('--split-date <date>', 'instead of files: train on the store\'s purchases before this day, test on purchases from it')
      .option('--test-end <date>', 'with --split-date: last test day, exclusive (default: all later purchases)'),
  )
    .option('--algo <names>', `comma-separated: ${ALGORITHM_NAMES.join(', ')}`, ALGORITHM_NAMES.join(','))
    .option('--k <n>', 'list length', '10')
    .option('--param <name=value>', 'algorithm setting, repeatable (e.g. lambda=300, similarity=lift, normalize=true)', collect, [])
    .option('--no-tune', 'use the defaults (and --param) instead of tuning on a validation split of the training data')
    .option('--seed <n>', 'seed of the validation split', '42')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: EvaluateFlags) => {
        const algorithms = opts.algo.split(',').map((a) => parseAlgorithm(a.trim()));
        const k = parseCount(opts.k, '--k');
        if (k > 100) throw new SiyuError('validation', 'invalid_flag', `--k must be at most 100, not ${k}`);
        const params = parseParams(opts.param);
        const seed = parseCount(opts.seed, '--seed', 0);
        const run = (train: Interaction[], test: Interaction[]) => {
          const report = compareAlgorithms(train, test, { algorithms, k, params, tune: opts.tune, seed, onProgress: opts.json ? undefined : (line) => io().stderr.write(`  ${line}\n`) });
          emit(opts.json, report, () => formatComparison(report));
        };
        if (opts.splitDate !== undefined) {
          if (opts.train || opts.test) throw new SiyuError('validation', 'invalid_flag', 'give either --train and --test files or --split-date, not both');
          const split = await withOpenStore(opts.db, (store) => loadTimeSplit(store, opts.splitDate!, opts.testEnd));
          run(split.train, split.test);
          return;
        }
        if (!opts.train || !opts.test) throw new SiyuError('validation', 'missing_flag', 'give --train and --test files, or --split-date to split the store\'s purchases');
        run(readInteractionsTsv(resolvePath(opts.train)), readInteractionsTsv(resolvePath(opts.test)));
      }),
    );
}

/** Trains with `options`, or with the last run's algorithm and settings when `options` is undefined. */
async function runTrain(opts: TrainFlags, options: TrainOptions | undefined): Promise<void> {
  const candidates = parseCount(opts.candidates, '--candidates');
  const similar = parseCount(opts.similar, '--similar');
  await withOpenStore(opts.db, async (store) => {
    const common = { candidates, similar, onProgress: opts.json ? undefined : (line: string) => io().stderr.write(`  ${line}\n`) };
    const report = options ? await trainRecommendations(store, { ...options, ...common }) : await retrainRecommendations(store, common);
    emit(opts.json, report, () => formatTrain(report));
  });
}
