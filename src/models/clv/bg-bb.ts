// BG/BB: Fader, Hardie & Shang (2010), "Customer-Base Analysis in a Discrete-Time Noncontractual Setting",
// Marketing Science 29(6):1086-1108. For discrete opportunities (a yearly event, a weekly drop): while alive a
// customer buys at each opportunity with probability p ~ Beta(α, β) and dies before each with θ ~ Beta(γ, δ).
// Data: x purchases in n opportunities, the last at opportunity tx. Equation numbers are the paper's.
import { lbeta, lgamma, logAddExp } from '../math/special.ts';
import { fitPositive, withNumericGradient, type FitOptions, type FitResult } from './fit.ts';

export interface BgBbParams {
  alpha: number;
  beta: number;
  gamma: number;
  delta: number;
}

/** Purchase counts x, recency tx and opportunities n per row, with weights for identical rows. */
export interface DiscreteSummary {
  x: Float64Array;
  tx: Float64Array;
  n: Float64Array;
  weight: Float64Array;
}

/** ln L(α, β, γ, δ | x, tx, n) (eq. 5): alive through n, or died after opportunity tx + i for i < n − tx. */
export function bgBbLogLikelihood(p: BgBbParams, x: number, tx: number, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  const base = lbeta(alpha, beta);
  const baseDeath = lbeta(gamma, delta);
  let value = lbeta(alpha + x, beta + n - x) - base + lbeta(gamma, delta + n) - baseDeath;
  for (let i = 0; i < n - tx; i++) value = logAddExp(value, lbeta(alpha + x, beta + tx - x + i) - base + lbeta(gamma + 1, delta + tx + i) - baseDeath);
  return value;
}

/** Maximum-likelihood BG/BB (gradient by central differences; the data are a handful of patterns). */
export function fitBgBb(data: DiscreteSummary, options: FitOptions = {}): FitResult<keyof BgBbParams> {
  const total = data.weight.reduce((s, w) => s + w, 0);
  const ll = (v: Float64Array) => {
    const p = { alpha: v[0]!, beta: v[1]!, gamma: v[2]!, delta: v[3]! };
    let sum = 0;
    for (let i = 0; i < data.x.length; i++) sum += data.weight[i]! * bgBbLogLikelihood(p, data.x[i]!, data.tx[i]!, data.n[i]!);
    return sum;
  };
  return fitPositive(['alpha', 'beta', 'gamma', 'delta'] as const, [1, 1, 1, 1], withNumericGradient(ll), total, options);
}

/** P(alive at opportunity n + 1 | x, tx, n) (eq. 11). */
export function bgBbProbabilityAlive(p: BgBbParams, x: number, tx: number, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  const alive = lbeta(alpha + x, beta + n - x) - lbeta(alpha, beta) + lbeta(gamma, delta + n + 1) - lbeta(gamma, delta);
  return Math.exp(alive - bgBbLogLikelihood(p, x, tx, n));
}

/** E[X(n)]: expected purchases in the first n opportunities of a new customer (eq. 9). */
export function bgBbExpected(p: BgBbParams, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  const ratio = Math.exp(lgamma(gamma + delta) - lgamma(1 + delta) + lgamma(1 + delta + n) - lgamma(gamma + delta + n));
  return (alpha / (alpha + beta)) * (delta / (gamma - 1)) * (1 - ratio);
}

/** E[X(n, n + m) | x, tx, n]: expected purchases in the next m opportunities (eq. 13). */
export function bgBbConditionalExpected(p: BgBbParams, m: number, x: number, tx: number, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  if (m <= 0) return 0;
  const lead = Math.exp(lbeta(alpha + x + 1, beta + n - x) - lbeta(alpha, beta) - bgBbLogLikelihood(p, x, tx, n));
  const ratio = (k: number) => Math.exp(lgamma(1 + delta + k) - lgamma(gamma + delta + k));
  return lead * (delta / (gamma - 1)) * Math.exp(lgamma(gamma + delta) - lgamma(1 + delta)) * (ratio(n) - ratio(n + m));
}

/**
 * E[X(n, n + m) | alive at n + 1, x, n]: eq. 13 without its P(alive) factor, the purchases in the next m
 * opportunities of a customer known to be active. It does not depend on tx. A fractional m interpolates through Γ.
 */
export function bgBbExpectedIfAlive(p: BgBbParams, m: number, x: number, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  if (m <= 0) return 0;
  // B(α+x+1, β+n−x)/B(α+x, β+n−x) = (α+x)/(α+β+n): the posterior mean of p; the rest is eq. 13's survival sum
  // divided by the prior probability of surviving n + 1 opportunities, B(γ, δ+n+1)/B(γ, δ).
  const ratio = (k: number) => Math.exp(lgamma(1 + delta + k) - lgamma(gamma + delta + k));
  const survive = Math.exp(lbeta(gamma, delta + n + 1) - lbeta(gamma, delta));
  return ((alpha + x) / (alpha + beta + n)) * (delta / (gamma - 1)) * Math.exp(lgamma(gamma + delta) - lgamma(1 + delta)) * ((ratio(n) - ratio(n + m)) / survive);
}

/** P(X(n) = x): the probability of x purchases in the first n opportunities (eq. 7). */
export function bgBbProbabilityOfPurchases(p: BgBbParams, n: number, x: number): number {
  const { alpha, beta, gamma, delta } = p;
  const logChoose = (a: number, b: number) => lgamma(a + 1) - lgamma(b + 1) - lgamma(a - b + 1);
  const base = lbeta(alpha, beta);
  const baseDeath = lbeta(gamma, delta);
  let value = Math.exp(logChoose(n, x) + lbeta(alpha + x, beta + n - x) - base + lbeta(gamma, delta + n) - baseDeath);
  for (let i = x; i < n; i++) value += Math.exp(logChoose(i, x) + lbeta(alpha + x, beta + i - x) - base + lbeta(gamma + 1, delta + i) - baseDeath);
  return value;
}
