// Gamma-Gamma spend model: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (brucehardie.com,
// note 025), after Colombo & Jiang (1999). A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ)
// across customers; the average of her x transactions, m̄, then has the density of note 025 eq. 3, independent of
// how often she buys. Fitted on customers with at least one repeat purchase.
import { SiyuError } from '../../core/errors.ts';
import { digamma, lgamma, trigamma } from '../math/special.ts';
import { fitPositive, warmStart, type FitOptions, type FitResult } from './fit.ts';
import { groupByCount } from './summary.ts';

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** Repeat-purchase counts x (> 0) and mean values m̄ (> 0), with weights for identical rows. */
export interface SpendSummary {
  x: Float64Array;
  monetary: Float64Array;
  weight: Float64Array;
}

/** ln f(m̄ | p, q, γ, x) (note 025 eq. 3), with the gradient added into `grad` times `weight`. */
export function gammaGammaLogLikelihood(params: GammaGammaParams, x: number, mean: number, grad?: Float64Array, weight = 1): number {
  const { p, q, gamma } = params;
  const px = p * x;
  const logTotal = Math.log(gamma + mean * x);
  if (grad) {
    const psiAll = digamma(px + q);
    grad[0] = grad[0]! + weight * x * (psiAll - digamma(px) + Math.log(mean) + Math.log(x) - logTotal);
    grad[1] = grad[1]! + weight * (psiAll - digamma(q) + Math.log(gamma) - logTotal);
    grad[2] = grad[2]! + weight * (q / gamma - (px + q) / (gamma + mean * x));
  }
  return lgamma(px + q) - lgamma(px) - lgamma(q) + q * Math.log(gamma) + (px - 1) * Math.log(mean) + px * Math.log(x) - (px + q) * logTotal;
}

/**
 * Σ weight·ln f over the rows, its gradient and (when `hess` is given) its Hessian, 3 × 3 row-major in (p, q, γ).
 * Rows are walked grouped by x, so the Γ and ψ terms are computed once per distinct x and each row costs one
 * logarithm, ln(γ + m̄x). The value and gradient equal adding up gammaGammaLogLikelihood row by row; x must be a
 * whole number here.
 */
export function gammaGammaTotalLogLikelihood(params: GammaGammaParams, data: SpendSummary, grad?: Float64Array, hess?: Float64Array): number {
  const { p, q, gamma } = params;
  const { values, starts, monetary, weight, weightSum, weightedLogMean } = layoutOf(data);
  const lgQ = lgamma(q);
  const logGamma = Math.log(gamma);
  const wantGrad = grad !== undefined || hess !== undefined;
  const psiQ = wantGrad ? digamma(q) : 0;
  const triQ = hess ? trigamma(q) : 0;
  let total = 0;
  const g = [0, 0, 0];
  const h = new Float64Array(9);
  for (let group = 0; group < values.length; group++) {
    const x = values[group]!;
    const px = p * x;
    const logX = Math.log(x);
    // Σ w·ln(γ + m̄x), Σ w/(γ + m̄x) and Σ w/(γ + m̄x)² over the group's rows.
    let sLog = 0;
    let sInv = 0;
    let sInv2 = 0;
    for (let i = starts[group]!; i < starts[group + 1]!; i++) {
      const w = weight[i]!;
      const total = gamma + monetary[i]! * x;
      const inv = 1 / total;
      sLog += w * Math.log(total);
      sInv += w * inv;
      sInv2 += w * inv * inv;
    }
    const sw = weightSum[group]!;
    const sLogMean = weightedLogMean[group]!;
    total += sw * (lgamma(px + q) - lgamma(px) - lgQ + q * logGamma + px * logX) + (px - 1) * sLogMean - (px + q) * sLog;
    if (!wantGrad) continue;
    const psiAll = digamma(px + q);
    g[0]! += x * (sw * (psiAll - digamma(px) + logX) + sLogMean - sLog);
    g[1]! += sw * (psiAll - psiQ + logGamma) - sLog;
    g[2]! += (sw * q) / gamma - (px + q) * sInv;
    if (!hess) continue;
    const triAll = trigamma(px + q);
    const add = (i: number, j: number, value: number) => {
      h[i * 3 + j]! += value;
      if (i !== j) h[j * 3 + i]! += value;
    };
    add(0, 0, sw * x * x * (triAll - trigamma(px)));
    add(0, 1, sw * x * triAll);
    add(0, 2, -x * sInv);
    add(1, 1, sw * (triAll - triQ));
    add(1, 2, sw / gamma - sInv);
    add(2, 2, (-sw * q) / (gamma * gamma) + (px + q) * sInv2);
  }
  if (grad) for (let i = 0; i < 3; i++) grad[i] = g[i]!;
  if (hess) hess.set(h);
  return total;
}

/** The rows grouped by x, with what does not depend on the parameters: per group Σw and Σw·ln m̄. */
interface SpendLayout {
  values: Int32Array;
  starts: Int32Array;
  monetary: Float64Array;
  weight: Float64Array;
  weightSum: Float64Array;
  weightedLogMean: Float64Array;
}

const layoutCache = new WeakMap<SpendSummary, SpendLayout>();

function layoutOf(data: SpendSummary): SpendLayout {
  let found = layoutCache.get(data);
  if (found) return found;
  const { values, starts, order } = groupByCount(data.x);
  const monetary = Float64Array.from(order, (i) => data.monetary[i]!);
  const weight = Float64Array.from(order, (i) => data.weight[i]!);
  const weightSum = new Float64Array(values.length);
  const weightedLogMean = new Float64Array(values.length);
  for (let group = 0; group < values.length; group++) {
    for (let i = starts[group]!; i < starts[group + 1]!; i++) {
      weightSum[group]! += weight[i]!;
      weightedLogMean[group]! += weight[i]! * Math.log(monetary[i]!);
    }
  }
  found = { values, starts, monetary, weight, weightSum, weightedLogMean };
  layoutCache.set(data, found);
  return found;
}

/** Maximum-likelihood Gamma-Gamma. Rows must have x > 0 and m̄ > 0; others are refused with their position. */
export function fitGammaGamma(data: SpendSummary, options: FitOptions = {}): FitResult<keyof GammaGammaParams> {
  const bad = [...data.x.keys()].filter((i) => !(data.x[i]! > 0) || !(data.monetary[i]! > 0));
  if (bad.length > 0) {
    throw new SiyuError('validation', 'gamma_gamma_input', `Gamma-Gamma needs x > 0 and a positive mean spend; ${bad.length} row(s) are not, the first at position ${bad[0]}`, {
      details: bad.slice(0, 20).map((i) => ({ path: `[${i}]`, message: `x=${data.x[i]}, mean spend=${data.monetary[i]}` })),
    });
  }
  const total = data.weight.reduce((s, w) => s + w, 0);
  const names = ['p', 'q', 'gamma'] as const;
  const start = warmStart({ x: data.x, monetary: data.monetary, weight: data.weight }, options, fitGammaGamma, names);
  return fitPositive(names, [1, 1, 1], (v, grad, hess) => gammaGammaTotalLogLikelihood({ p: v[0]!, q: v[1]!, gamma: v[2]! }, data, grad, hess), total, { ...start, analyticGradient: true, analyticHessian: true });
}

/**
 * E[M | x, m̄]: the expected value of the customer's future transactions, a weighted average of the population mean
 * pγ/(q−1) and her own m̄ (note 025 eq. 5). With x = 0 it is the population mean. Needs q > 1.
 */
export function gammaGammaConditionalSpend(params: GammaGammaParams, x: number, mean: number): number {
  const line = gammaGammaSpendLine(params, x);
  return line.intercept + (x > 0 ? line.slope * mean : 0);
}

/**
 * E[M | x, m̄] as a straight line in m̄ for a given x: intercept pγ/(px+q−1) plus slope px/(px+q−1) times m̄. The
 * store pipeline computes the line once per distinct x and lets the SQL engine apply it to each customer's m̄.
 */
export function gammaGammaSpendLine(params: GammaGammaParams, x: number): { intercept: number; slope: number } {
  const { p, q, gamma } = params;
  const denominator = p * x + q - 1;
  return { intercept: (p * gamma) / denominator, slope: (p * x) / denominator };
}
