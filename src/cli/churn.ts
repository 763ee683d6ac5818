import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { formatNumber as n } from '../core/text.ts';
import { churnWarnings, evaluateChurn, scoreChurn, trainChurn, type ChurnEvaluation, type ChurnWarning } from '../models/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const LABELS: Record<string, string> = { gbdt: 'gbdt', logistic: 'logistic', recency: 'recency', frequency: 'frequency', p_no_purchase: 'P(no buy)' };

/** The evaluation as a table: classifiers and single-feature baselines, the metrics the issue asks for, and the verdict. */
export function formatEvaluation(e: ChurnEvaluation): string {
  const deployed = e.models.find((m) => m.model === e.deployed)!;
  return [
    `churn = no purchase in ${e.horizonDays} days; trained on features at ${e.trainCutoff} (${n(e.train.customers)} customers, ${pct(e.train.churnRate)} churned), checked on features at ${e.validationCutoff} against ${e.end} (${n(e.validation.customers)} customers, ${pct(e.validation.churnRate)} churned)`,
    `  P(no buy) = P(no purchase in ${e.horizonDays} days | history) from ${e.frequencyModel.model}, ${e.frequencyModel.reason}`,
    `  features: ${e.features.note}`,
    '  model        kind        AUC     PR-AUC  P@10%   R@10%   Brier',
    ...e.models.map(
      (m) =>
        `  ${(LABELS[m.model]! + (m.model === e.deployed ? ' *' : '')).padEnd(12)} ${m.role.padEnd(10)}  ${m.metrics.auc.toFixed(4)}  ${m.metrics.prAuc.toFixed(4)}  ${m.metrics.precisionAt10.toFixed(3)}   ${m.metrics.recallAt10.toFixed(3)}   ${m.metrics.brier.toFixed(4)}`,
    ),
    `  ${e.verdict}`,
    `  calibration of ${e.deployed} (mean risk → observed churn, by tenth):`,
    `    ${deployed.metrics.calibration.map((b) => `${b.meanScore.toFixed(2)}→${b.observed.toFixed(2)}`).join('  ')}`,
  ].join('\n');
}

export function formatWarnings(asOf: string | null, warnings: ChurnWarning[]): string {
  if (warnings.length === 0) return 'no customer at or above the risk threshold (run `siyu churn score` first)';
  return [
    `churn warnings as of ${asOf}, by risk × value:`,
    ...warnings.map(
      (w, i) =>
        `  ${String(i + 1).padStart(3)}. ${w.customerId.padEnd(14)} risk ${pct(w.risk).padStart(6)}  P(no purchase in ${w.horizonDays}d) ${pct(w.pNoPurchase).padStart(6)}  value ${n(w.valueFen / 100, 0).padStart(8)}  ${w.reasons.map((r) => r.zh).join('；') || '（无超出常见水平的原因）'}`,
    ),
  ].join('\n');
}

export function registerChurn(program: Command): void {
  const churn = program.command('churn').description('churn risk: classifiers on purchase and activity features against single-feature baselines, evaluated on a time split (docs/models.md)');
  const horizon = (c: Command) => c.option('--horizon-days <n>', 'churn = no purchase in this many days', '90').option('--end <date>', 'last day of data to use (default: the latest order day)');
  withDb(horizon(churn.command('evaluate').description('train at end − 2×horizon, check at end − horizon: AUC, PR-AUC, precision/recall in the top 10%, calibration, for GBDT, logistic regression and the recency, frequency and P(no purchase) baselines')))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; horizonDays: string; end?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const e = await evaluateChurn(store, { end: opts.end, horizonDays: parseCount(opts.horizonDays, '--horizon-days') });
          emit(opts.json, e, () => formatEvaluation(e));
        });
      }),
    );
  withDb(horizon(churn.command('train').description('evaluate, then train the best model on the validation window (a classifier or a baseline) on the latest complete window → churn_models')))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; horizonDays: string; end?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const r = await trainChurn(store, { end: opts.end, horizonDays: parseCount(opts.horizonDays, '--horizon-days') });
          emit(opts.json, r, () => `${formatEvaluation(r.evaluation)}\n${r.kind} model ${r.modelId} trained on ${n(r.customers)} customers at ${r.cutoff} (${pct(r.churnRate)} churned) → churn_models`);
        });
      }),
    );
  withDb(churn.command('score').description('score every customer with the latest model → churn_scores (risk, P(no purchase in the horizon), P(alive), value, priority, top 3 reasons)'))
    .option('--as-of <date>', 'day the features are taken at (default: the latest order day)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; asOf?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const r = await scoreChurn(store, { asOf: opts.asOf });
          emit(opts.json, r, () => `scored ${n(r.customers)} customers as of ${r.asOf} with model ${r.modelId}: mean risk ${pct(r.meanRisk)}, ${n(r.atRisk)} at 50% or more → churn_scores`);
        });
      }),
    );
  withDb(churn.command('warnings').description('the churn-warning list: at-risk customers by risk × value, each with its top 3 reasons'))
    .option('--n <n>', 'how many (1-1000)', '20')
    .option('--min-risk <x>', 'smallest risk listed', '0.5')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; n: string; minRisk: string; json?: boolean }) => {
        const minRisk = Number(opts.minRisk);
        if (!(minRisk >= 0 && minRisk <= 1)) throw new SiyuError('validation', 'invalid_flag', `--min-risk must be between 0 and 1, not ${JSON.stringify(opts.minRisk)}`);
        await withOpenStore(opts.db, async (store) => {
          const r = await churnWarnings(store, { n: parseCount(opts.n, '--n'), minRisk });
          emit(opts.json, r, () => formatWarnings(r.asOf, r.warnings));
        });
      }),
    );
}
