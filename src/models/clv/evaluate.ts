import { SiyuError } from '../../core/errors.ts';
import { latestOrderDay, type Store } from '../../store/index.ts';
import { FREQUENCY, type FrequencyModelName } from './frequency.ts';
import { loadHistories, weeklyRepeatPurchases } from './history.ts';
import { groupSummaries } from './summary.ts';
import { DAYS_PER_UNIT, type TimeUnit } from './value.ts';

export interface ClvEvaluation {
  model: FrequencyModelName;
  params: Record<string, number>;
  logLikelihood: number;
  converged: boolean;
  calibrationEnd: string;
  holdoutEnd: string;
  holdoutLength: number;
  timeUnit: TimeUnit;
  customers: number;
  /** Per calibration repeat count (0…6, then 7+): customers, mean predicted and mean actual holdout purchases. */
  byFrequency: { bucket: string; customers: number; predicted: number; actual: number }[];
  predictedTotal: number;
  actualTotal: number;
  /** (predicted − actual) / actual. */
  aggregateError: number;
  /** Mean |predicted − actual| holdout purchases per customer. */
  meanAbsoluteError: number;
  /** Cumulative repeat purchases by week from the first purchase in the data: actual, and the model's forecast. */
  tracking: { start: string; calibrationWeek: number; actual: number[]; predicted: number[] };
}

export interface EvaluateClvOptions {
  model: FrequencyModelName;
  timeUnit: TimeUnit;
  calibrationEnd: string;
  /** Default: the day of the latest order. */
  holdoutEnd?: string;
}

const DAY_MS = 86_400_000;
const addDays = (date: string, days: number) => new Date(Date.parse(date) + days * DAY_MS).toISOString().slice(0, 10);

/**
 * Fits on the calibration period and checks the forecast against what customers really did in the holdout: per
 * calibration-frequency bucket, in total, per customer, and week by week (the tracking plot of Fader, Hardie & Lee
 * 2005, Fig. 2 and 3). Nothing is written to the store.
 */
export async function evaluateClv(store: Store, options: EvaluateClvOptions): Promise<ClvEvaluation> {
  const holdoutEnd = options.holdoutEnd ?? (await latestOrderDay(store));
  if (!holdoutEnd) throw new SiyuError('not_found', 'no_orders', 'the store has no orders; import orders first');
  const model = FREQUENCY[options.model];
  const h = await loadHistories(store, { calibrationEnd: options.calibrationEnd, holdoutEnd, timeUnit: options.timeUnit, discrete: model.discrete });
  const { summary } = groupSummaries(h.x, h.tx, h.T);
  if (summary.x.length === 0) throw new SiyuError('validation', 'nothing_to_fit', `no customer bought before ${options.calibrationEnd}`);
  const fit = model.fit(summary);
  const unit = DAYS_PER_UNIT[options.timeUnit];
  const holdoutDays = (Date.parse(holdoutEnd) - Date.parse(options.calibrationEnd)) / DAY_MS;
  // A discrete model's holdout is the whole periods that fit in it (history.ts counts purchases in those only).
  const holdoutLength = model.discrete ? Math.floor(holdoutDays / unit) : holdoutDays / unit;

  const buckets = Array.from({ length: 8 }, (_, k) => ({ bucket: k < 7 ? String(k) : '7+', customers: 0, predicted: 0, actual: 0 }));
  let predictedTotal = 0;
  let actualTotal = 0;
  let absoluteError = 0;
  for (let i = 0; i < h.customerIds.length; i++) {
    const predicted = model.conditionalExpected(fit.params, holdoutLength, h.x[i]!, h.tx[i]!, h.T[i]!);
    const actual = h.holdout[i]!;
    const bucket = buckets[Math.min(7, h.x[i]!)]!;
    bucket.customers++;
    bucket.predicted += predicted;
    bucket.actual += actual;
    predictedTotal += predicted;
    actualTotal += actual;
    absoluteError += Math.abs(predicted - actual);
  }
  for (const b of buckets) if (b.customers > 0) [b.predicted, b.actual] = [b.predicted / b.customers, b.actual / b.customers];
  const n = h.customerIds.length;

  // Tracking: customers grouped by the day of their first purchase (days before the calibration end).
  const cohorts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const daysBefore = Math.round(h.T[i]! * unit);
    cohorts.set(daysBefore, (cohorts.get(daysBefore) ?? 0) + 1);
  }
  const firstDaysBefore = Math.max(...cohorts.keys());
  const start = addDays(options.calibrationEnd, -firstDaysBefore);
  const actual = await weeklyRepeatPurchases(store, h.currency, h.timezone, start, holdoutEnd);
  const predicted = actual.map((_, week) => {
    const dayEnd = Math.min(7 * (week + 1) - 1, firstDaysBefore + holdoutDays); // days since start, inclusive
    let total = 0;
    for (const [daysBefore, count] of cohorts) {
      const since = dayEnd - (firstDaysBefore - daysBefore);
      if (since > 0) total += count * model.expected(fit.params, since / unit);
    }
    return total;
  });
  return {
    model: options.model,
    params: fit.params,
    logLikelihood: fit.logLikelihood,
    converged: fit.converged,
    calibrationEnd: options.calibrationEnd,
    holdoutEnd,
    holdoutLength,
    timeUnit: options.timeUnit,
    customers: n,
    byFrequency: buckets.filter((b) => b.customers > 0),
    predictedTotal,
    actualTotal,
    aggregateError: actualTotal > 0 ? (predictedTotal - actualTotal) / actualTotal : NaN,
    meanAbsoluteError: n ? absoluteError / n : 0,
    tracking: { start, calibrationWeek: Math.floor(firstDaysBefore / 7), actual, predicted },
  };
}
