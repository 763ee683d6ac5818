import { io, resolvePath } from './io.ts';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { lineChartSvg } from '../core/svg-chart.ts';
import { evaluateClv, FREQUENCY_MODELS, fitClv, scoreClv, type ClvEvaluation, type ClvFitReport, type ClvScoreReport, type FitResult, type FrequencyModelName, type TimeUnit } from '../models/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

interface ClvFlags {
  db?: string;
  model: string;
  timeUnit: string;
  calibrationEnd?: string;
  holdoutEnd?: string;
  penalizer: string;
  horizon: string;
  discountRate: string;
  chart: string;
  holdoutDays?: string;
  json?: boolean;
}

function parseModel(value: string): FrequencyModelName {
  if (!(FREQUENCY_MODELS as readonly string[]).includes(value)) throw new SiyuError('validation', 'invalid_model', `--model must be one of ${FREQUENCY_MODELS.join(', ')}, not ${JSON.stringify(value)}`);
  return value as FrequencyModelName;
}

/** `clv fit` also takes auto (choose by a holdout) and gammagamma (refit the spend model alone). */
function parseFitModel(value: string): FrequencyModelName | 'gammagamma' | 'auto' {
  return value === 'gammagamma' || value === 'auto' ? value : parseModel(value);
}

function parseTimeUnit(value: string): TimeUnit {
  if (value !== 'day' && value !== 'week') throw new SiyuError('validation', 'invalid_time_unit', `--time-unit must be day or week, not ${JSON.stringify(value)}`);
  return value;
}

function parseNumber(value: string, flag: string, min: number, max = Infinity): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new SiyuError('validation', 'invalid_flag', `${flag} must be a number from ${min}${Number.isFinite(max) ? ` to ${max}` : ''}, not ${JSON.stringify(value)}`);
  return n;
}

const f = (v: number, digits = 4) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: Math.min(digits, 2) });

function fitLines(label: string, fit: FitResult<string>): string[] {
  const params = Object.entries(fit.params).map(([name, v]) => `${name}=${f(v)}${fit.standardErrors ? ` (se ${f(fit.standardErrors[name]!)})` : ''}`);
  return [
    `${label}: ${params.join(', ')}`,
    `  log-likelihood ${f(fit.logLikelihood, 3)} over ${fit.customers.toLocaleString('en-US')} customers; ${fit.converged ? 'converged' : `DID NOT CONVERGE (gradient norm ${fit.gradientNorm.toExponential(2)}${fit.unbounded.length ? `; ${fit.unbounded.join(', ')} ran to the search bound, the data fit a limiting case of the model` : ''}); try --penalizer 0.001`} in ${fit.iterations} iterations (${fit.method})`,
  ];
}

function selectionLines(s: NonNullable<ClvFitReport['selection']>): string[] {
  return [
    `model choice: fitted on purchases to ${s.calibrationEnd}, judged on the ${s.holdoutDays} days to ${s.holdoutEnd} (${s.customers.toLocaleString('en-US')} customers)`,
    '  model       holdout log-lik  predicted  actual  tracking error',
    ...s.candidates.map(
      (c) =>
        `  ${(c.model + (c.model === s.chosen ? ' *' : '')).padEnd(11)} ${(c.converged ? f(c.holdoutLogLikelihood, 1) : 'not converged').padStart(15)}  ${f(c.predictedHoldout, 0).padStart(9)}  ${f(c.actualHoldout, 0).padStart(6)}  ${`${f(c.trackingError * 100, 1)}%`.padStart(14)}`,
    ),
    `  chose ${s.chosen}: ${s.reason}; refitted on everything to the calibration end:`,
  ];
}

export function fitSummary(r: ClvFitReport): string {
  return [
    ...(r.selection ? selectionLines(r.selection) : []),
    `calibration to ${r.calibrationEnd} in ${r.timeUnit}s, money in ${r.currency}; ${r.customers.toLocaleString('en-US')} buyers`,
    ...(r.frequency ? fitLines(r.frequency.model, r.frequency) : []),
    ...(r.spend ? fitLines('gammagamma', r.spend) : ['gammagamma: not fitted (fewer than 3 repeat buyers with positive spend)']),
    ...(r.excluded.length ? [`excluded ${r.excluded.length}: ${r.excluded.slice(0, 5).map((e) => `${e.customerId} (${e.model}: ${e.reason})`).join('; ')}${r.excluded.length > 5 ? '; …' : ''}`] : []),
  ].join('\n');
}

export function scoreSummary(r: ClvScoreReport): string {
  const money = (v: number) => `${r.currency} ${f(v, 2)}`;
  return [
    `scored ${r.customers.toLocaleString('en-US')} customers with ${r.model} (fit ${r.fitId}) as of ${r.asOf}`,
    `  ${r.horizonMonths}-month CLV at ${f(r.monthlyDiscountRate * 100, 2)}%/month: total ${money(r.totalClv)}, mean ${money(r.meanClv)}`,
    `  mean P(no purchase in 90 days) ${f(r.meanProbabilityNoPurchase90d, 3)}; mean P(alive) ${f(r.meanProbabilityAlive, 3)}; ${f(r.expectedOrders90d, 0)} orders expected in the next 90 days`,
    '  top customers by CLV:',
    ...r.top.map((t) => `    ${t.customerId.padEnd(16)} ${money(t.clv).padStart(16)}  P(no purchase 90d) ${f(t.probabilityNoPurchase90d, 3)}  P(alive) ${f(t.probabilityAlive, 3)}  90-day orders ${f(t.expectedOrders90d, 2)}  AOV ${money(t.expectedAov)}`),
    '  written to clv_scores (per customer) and clv_runs (this run)',
  ].join('\n');
}

function evaluationSummary(e: ClvEvaluation, chart: string): string {
  return [
    `${e.model} fitted on purchases to ${e.calibrationEnd}, checked on ${f(e.holdoutLength, 2)} ${e.timeUnit}s to ${e.holdoutEnd} (${e.customers.toLocaleString('en-US')} customers)`,
    `  params ${Object.entries(e.params).map(([k, v]) => `${k}=${f(v)}`).join(', ')}; log-likelihood ${f(e.logLikelihood, 3)}`,
    '  repeat purchases in calibration → mean holdout purchases per customer:',
    '    x     customers  predicted  actual',
    ...e.byFrequency.map((b) => `    ${b.bucket.padEnd(5)} ${String(b.customers).padStart(9)}  ${f(b.predicted, 3).padStart(9)}  ${f(b.actual, 3).padStart(6)}`),
    `  holdout total: predicted ${f(e.predictedTotal, 1)}, actual ${e.actualTotal} (${e.aggregateError >= 0 ? '+' : ''}${f(e.aggregateError * 100, 1)}%); MAE per customer ${f(e.meanAbsoluteError, 3)}`,
    `  weekly tracking chart: ${chart}`,
  ].join('\n');
}

export function registerClv(program: Command): void {
  const clv = program.command('clv').description('customer lifetime value: fit BG/NBD-family models and Gamma-Gamma, score every customer, check forecasts on a holdout (docs/models.md)');
  const modelOption = (c: Command) => c.option('--model <model>', FREQUENCY_MODELS.join('|'), 'bgnbd');

  withDb(clv.command('fit').description('fit a frequency model and Gamma-Gamma on purchases up to the calibration end; records the fits'))
    .option('--model <model>', `${FREQUENCY_MODELS.join('|')}; auto: choose among bgnbd, mbgnbd and paretonbd by a holdout; gammagamma: refit spend alone`, 'bgnbd')
    .option('--holdout-days <n>', 'for --model auto: the holdout the candidates are judged on (default: 90, or a third of the data when shorter)')
    .option('--time-unit <unit>', 'day|week (for bgbb: the length of one purchase opportunity)', 'week')
    .option('--calibration-end <date>', 'last day of the fitting period, brand timezone (default: day of the latest order)')
    .option('--penalizer <x>', 'L2 penalty on the parameters, for fits that do not converge', '0')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: ClvFlags) =>
        withOpenStore(opts.db, async (store) => {
          const report = await fitClv(store, {
            model: parseFitModel(opts.model),
            timeUnit: parseTimeUnit(opts.timeUnit),
            calibrationEnd: opts.calibrationEnd,
            penalizer: parseNumber(opts.penalizer, '--penalizer', 0),
            holdoutDays: opts.holdoutDays === undefined ? undefined : parseNumber(opts.holdoutDays, '--holdout-days', 7, 3650),
          });
          emit(opts.json, report, () => fitSummary(report));
          if (!(report.frequency ?? report.spend)?.converged) io().exitCode = 2;
        }),
      ),
    );

  withDb(clv.command('score').description('score every customer with the latest fit: P(alive), 90-day orders, expected AOV, discounted CLV → clv_scores'))
    .option('--model <model>', `${FREQUENCY_MODELS.join('|')} (default: the most recently fitted)`)
    .option('--horizon <months>', 'CLV horizon in months', '12')
    .option('--discount-rate <rate>', 'monthly discount rate', '0.01')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: Partial<ClvFlags> & { db?: string }) =>
        withOpenStore(opts.db, async (store) => {
          const report = await scoreClv(store, {
            model: opts.model === undefined ? undefined : parseModel(opts.model),
            horizonMonths: parseNumber(opts.horizon ?? '12', '--horizon', 1, 600),
            monthlyDiscountRate: parseNumber(opts.discountRate ?? '0.01', '--discount-rate', 0, 1),
          });
          emit(opts.json, report, () => scoreSummary(report));
        }),
      ),
    );

  withDb(modelOption(clv.command('evaluate').description('fit on a calibration period and compare the forecast with the holdout that follows')))
    .requiredOption('--calibration-end <date>', 'last day of the fitting period, brand timezone')
    .option('--holdout-end <date>', 'last day of the holdout (default: day of the latest order)')
    .option('--time-unit <unit>', 'day|week', 'week')
    .option('--chart <file.svg>', 'where to write the weekly tracking chart', 'clv-tracking.svg')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: ClvFlags) =>
        withOpenStore(opts.db, async (store) => {
          const e = await evaluateClv(store, { model: parseModel(opts.model), timeUnit: parseTimeUnit(opts.timeUnit), calibrationEnd: opts.calibrationEnd!, holdoutEnd: opts.holdoutEnd });
          writeFileSync(
            resolvePath(opts.chart),
            lineChartSvg({
              title: `Cumulative repeat purchases: actual vs ${e.model} (weeks from ${e.tracking.start})`,
              xLabel: 'week',
              yLabel: 'cumulative repeat purchases',
              series: [
                { name: 'actual', values: e.tracking.actual, color: '#c0392b' },
                { name: e.model, values: e.tracking.predicted, color: '#2c3e50', dashed: true },
              ],
              marker: { at: e.tracking.calibrationWeek, label: `calibration ends ${e.calibrationEnd}` },
            }),
          );
          emit(opts.json, { ...e, chart: opts.chart }, () => evaluationSummary(e, opts.chart));
        }),
      ),
    );
}
