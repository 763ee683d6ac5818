// Gamma-Gamma spend model: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (brucehardie.com,
// note 025), after Colombo & Jiang (1999). A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ)
// across customers; the average of her x transactions, m̄, then has the density of note 025 eq. 3, independent of
// how often she buys. Fitted on customers with at least one repeat purchase.
import { SiyuError } from '../../core/errors.ts';
import { digamma, lgamma } from '../math/special.ts';
import { fitPositive, type FitOptions, type FitResult } from './fit.ts';

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
 * Σ weight·ln f over the rows, and its gradient; the Γ and ψ terms depend on x alone and are computed once per
 * distinct x (the same sum as adding up gammaGammaLogLikelihood row by row). x must be a whole number here.
 */
export function gammaGammaTotalLogLikelihood(params: GammaGammaParams, data: SpendSummary, grad?: Float64Array): number {
  const { p, q, gamma } = params;
  const { logMeans, logXs, xs, maxX } = constants(data);
  const lg = new Float64Array(maxX + 1).fill(NaN);
  const psiAll = new Float64Array(maxX + 1);
  const psiPx = new Float64Array(maxX + 1);
  const lgQ = lgamma(q);
  const psiQ = grad ? digamma(q) : 0;
  const logGamma = Math.log(gamma);
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  let total = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const px = p * x;
    if (Number.isNaN(lg[x]!)) {
      lg[x] = lgamma(px + q) - lgamma(px) - lgQ;
      if (grad) {
        psiAll[x] = digamma(px + q);
        psiPx[x] = digamma(px);
      }
    }
    const mean = data.monetary[i]!;
    const w = data.weight[i]!;
    const logMean = logMeans[i]!;
    const logX = logXs[i]!;
    const logTotal = Math.log(gamma + mean * x);
    total += w * (lg[x]! + q * logGamma + (px - 1) * logMean + px * logX - (px + q) * logTotal);
    if (grad) {
      g0 += w * x * (psiAll[x]! - psiPx[x]! + logMean + logX - logTotal);
      g1 += w * (psiAll[x]! - psiQ + logGamma - logTotal);
      g2 += w * (q / gamma - (px + q) / (gamma + mean * x));
    }
  }
  if (grad) {
    grad[0] = g0;
    grad[1] = g1;
    grad[2] = g2;
  }
  return total;
}

interface SpendConstants {
  logMeans: Float64Array;
  logXs: Float64Array;
  xs: Int32Array;
  maxX: number;
}

const constantsCache = new WeakMap<SpendSummary, SpendConstants>();

/** ln m̄, ln x and x as integers do not depend on the parameters, so they are computed once per data set. */
function constants(data: SpendSummary): SpendConstants {
  let found = constantsCache.get(data);
  if (!found) {
    const xs = Int32Array.from(data.x);
    found = { logMeans: data.monetary.map(Math.log), logXs: data.x.map(Math.log), xs, maxX: xs.reduce((m, v) => Math.max(m, v), 0) };
    constantsCache.set(data, found);
  }
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
  return fitPositive(
    ['p', 'q', 'gamma'] as const,
    [1, 1, 1],
    (v, grad) => gammaGammaTotalLogLikelihood({ p: v[0]!, q: v[1]!, gamma: v[2]! }, data, grad),
    total,
    { ...options, analyticGradient: true },
  );
}

/**
 * E[M | x, m̄]: the expected value of the customer's future transactions, a weighted average of the population mean
 * pγ/(q−1) and her own m̄ (note 025 eq. 5). With x = 0 it is the population mean. Needs q > 1.
 */
export function gammaGammaConditionalSpend(params: GammaGammaParams, x: number, mean: number): number {
  const { p, q, gamma } = params;
  const denominator = p * x + q - 1;
  return (p * gamma + (x > 0 ? p * x * mean : 0)) / denominator;
}
