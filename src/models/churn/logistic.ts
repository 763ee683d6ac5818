import { SiyuError } from '../../core/errors.ts';
import { lbfgs } from '../math/optimize.ts';

/** Column means and standard deviations, so every feature enters on the same scale. */
export interface Standardiser {
  mean: Float64Array;
  scale: Float64Array;
}

export function standardiser(rows: readonly Float64Array[]): Standardiser {
  const d = rows[0]?.length ?? 0;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) scale[j]! += (r[j]! - mean[j]!) ** 2 / rows.length;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]!) || 1;
  return { mean, scale };
}

export interface LogisticModel {
  kind: 'logistic';
  standardiser: Standardiser;
  /** Weights on the standardised features, then the intercept. */
  weights: Float64Array;
  l2: number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * L2-regularised logistic regression on standardised features, fitted by L-BFGS on the mean log-loss plus
 * (l2/2)·‖w‖² (the intercept is not penalised).
 */
export function fitLogistic(rows: readonly Float64Array[], labels: ArrayLike<number>, options: { l2?: number } = {}): LogisticModel {
  if (rows.length === 0) throw new SiyuError('validation', 'no_training_rows', 'logistic regression: no rows to train on');
  const l2 = options.l2 ?? 0.01;
  const std = standardiser(rows);
  const d = std.mean.length;
  const z = rows.map((r) => Float64Array.from(r, (v, j) => (v - std.mean[j]!) / std.scale[j]!));
  const n = rows.length;
  const objective = (w: Float64Array, grad?: Float64Array) => {
    let loss = 0;
    grad?.fill(0);
    for (let i = 0; i < n; i++) {
      let s = w[d]!;
      const x = z[i]!;
      for (let j = 0; j < d; j++) s += w[j]! * x[j]!;
      const y = labels[i] ? 1 : 0;
      // log(1 + e^s) − y·s, computed without overflow
      loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - y * s;
      if (grad) {
        const g = sigmoid(s) - y;
        for (let j = 0; j < d; j++) grad[j]! += g * x[j]!;
        grad[d]! += g;
      }
    }
    let penalty = 0;
    for (let j = 0; j < d; j++) penalty += w[j]! * w[j]!;
    if (grad) {
      for (let j = 0; j <= d; j++) grad[j]! /= n;
      for (let j = 0; j < d; j++) grad[j]! += l2 * w[j]!;
    }
    return loss / n + (l2 / 2) * penalty;
  };
  const result = lbfgs(objective, new Float64Array(d + 1), { maxIterations: 500, gradientTolerance: 1e-8 });
  return { kind: 'logistic', standardiser: std, weights: result.x, l2 };
}

/** Each feature's contribution to the log-odds (weight × standardised value), for explanations. */
export function logisticContributions(model: LogisticModel, row: Float64Array): Float64Array {
  const d = model.standardiser.mean.length;
  return Float64Array.from({ length: d }, (_, j) => model.weights[j]! * ((row[j]! - model.standardiser.mean[j]!) / model.standardiser.scale[j]!));
}

export function predictLogistic(model: LogisticModel, row: Float64Array): number {
  const contributions = logisticContributions(model, row);
  let s = model.weights[contributions.length]!;
  for (const c of contributions) s += c;
  return sigmoid(s);
}
