// Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting Your Customers: Who Are They and What Will They Do
// Next?", Management Science 33(1):1-24. While active a customer buys at Poisson rate λ ~ Gamma(r, α); her lifetime
// is exponential with rate μ ~ Gamma(s, β). The likelihood and conditional expressions follow Fader & Hardie (2005),
// "A Note on Deriving the Pareto/NBD Model and Related Expressions" (brucehardie.com, note 009), eqs. 22-24.
import { integrate } from '../math/quadrature.ts';
import { hyp2f1, lgamma, logAddExp, logSubExp } from '../math/special.ts';
import { fitPositive, withNumericGradient, type FitOptions, type FitResult } from './fit.ts';
import type { RepeatSummary } from './summary.ts';

export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

/**
 * ln A0 (note 009 eqs. 23-24): the integral over the unobserved dropout time between tx and T. The 2F1 argument is
 * |α−β|/(max(α,β)+t), always in [0, 1), and the parameters are chosen by which of α, β is larger.
 */
function logA0(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const k = r + s + x;
  const [top, second] = alpha >= beta ? [alpha, s + 1] : [beta, r + x];
  const gap = Math.abs(alpha - beta);
  const term = (t: number) => Math.log(hyp2f1(k, second, k + 1, gap / (top + t))) - k * Math.log(top + t);
  return logSubExp(term(tx), term(T));
}

/** ln L(r, α, s, β | x, tx, T) for one customer (note 009 eq. 22). */
export function paretoNbdLogLikelihood(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const head = lgamma(r + x) - lgamma(r) + r * Math.log(alpha) + s * Math.log(beta);
  const aliveAtT = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  const diedBefore = Math.log(s) - Math.log(r + s + x) + logA0(p, x, tx, T);
  return head + logAddExp(aliveAtT, diedBefore);
}

const fromVector = (v: Float64Array): ParetoNbdParams => ({ r: v[0]!, alpha: v[1]!, s: v[2]!, beta: v[3]! });

/** Σ weight·ln L over the summary rows. */
export function paretoNbdTotalLogLikelihood(p: ParetoNbdParams, data: RepeatSummary): number {
  let total = 0;
  for (let i = 0; i < data.x.length; i++) total += data.weight[i]! * paretoNbdLogLikelihood(p, data.x[i]!, data.tx[i]!, data.T[i]!);
  return total;
}

/**
 * Maximum-likelihood Pareto/NBD. The derivatives of 2F1 in its parameters have no convenient closed form, so the
 * gradient is taken by central differences of the exact likelihood.
 */
export function fitParetoNbd(data: RepeatSummary, options: FitOptions = {}): FitResult<keyof ParetoNbdParams> {
  const total = data.weight.reduce((s, w) => s + w, 0);
  const ll = (v: Float64Array) => paretoNbdTotalLogLikelihood(fromVector(v), data);
  return fitPositive(['r', 'alpha', 's', 'beta'] as const, [1, 1, 1, 1], withNumericGradient(ll), total, options);
}

/** P(alive | x, tx, T) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A0) (note 009 eq. 29). */
export function paretoNbdProbabilityAlive(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const logRatio = Math.log(s) - Math.log(r + s + x) + (r + x) * Math.log(alpha + T) + s * Math.log(beta + T) + logA0(p, x, tx, T);
  return 1 / (1 + Math.exp(logRatio));
}

/** E[X(t)] for a customer just acquired: rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)] (Schmittlein et al. eq. 17). */
export function paretoNbdExpected(p: ParetoNbdParams, t: number): number {
  const { r, alpha, s, beta } = p;
  if (t <= 0) return 0;
  return ((r * beta) / (alpha * (s - 1))) * (1 - Math.pow(beta / (beta + t), s - 1));
}

/** E[Y(t) | alive at T, x, T] = (r+x)(β+T)/((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)]: the purchases of a customer known to be active. */
export function paretoNbdExpectedIfAlive(p: ParetoNbdParams, t: number, x: number, T: number): number {
  const { r, alpha, s, beta } = p;
  if (t <= 0) return 0;
  return (((r + x) * (beta + T)) / ((alpha + T) * (s - 1))) * (1 - Math.pow((beta + T) / (beta + T + t), s - 1));
}

/** E[Y(t) | x, tx, T] = P(alive) · E[Y(t) | alive at T] (Schmittlein et al. eq. 22). */
export function paretoNbdConditionalExpected(p: ParetoNbdParams, t: number, x: number, tx: number, T: number): number {
  return paretoNbdExpectedIfAlive(p, t, x, T) * paretoNbdProbabilityAlive(p, x, tx, T);
}

/**
 * P(X(t) = x) for a customer just acquired. Given λ and μ, she makes Poisson(λ) purchases until an Exp(μ)
 * lifetime τ ends, so X(t) = N(min(τ, t)). Mixing over the gamma priors gives the still-alive term
 * NB(x; r, α, t)·(β/(β+t))^s plus Γ(r+x)/(Γ(r) x!) · α^r · s β^s · ∫₀ᵗ τ^x (α+τ)^−(r+x) (β+τ)^−(s+1) dτ for the
 * lifetimes that ended before t; the integral is taken by Gauss-Legendre quadrature (math/quadrature.ts).
 */
export function paretoNbdProbabilityOfPurchases(p: ParetoNbdParams, t: number, x: number): number {
  const { r, alpha, s, beta } = p;
  const lead = lgamma(r + x) - lgamma(r) - lgamma(x + 1);
  const alive = t > 0 ? Math.exp(lead + r * Math.log(alpha / (alpha + t)) + x * Math.log(t / (alpha + t)) + s * Math.log(beta / (beta + t))) : x === 0 ? 1 : 0;
  if (t <= 0) return alive;
  const logConstant = lead + r * Math.log(alpha) + Math.log(s) + s * Math.log(beta);
  const integrand = (tau: number) => (tau <= 0 ? (x === 0 ? Math.exp(logConstant - r * Math.log(alpha) - (s + 1) * Math.log(beta)) : 0) : Math.exp(logConstant + x * Math.log(tau) - (r + x) * Math.log(alpha + tau) - (s + 1) * Math.log(beta + tau)));
  return alive + integrate(integrand, 0, t, 32);
}
