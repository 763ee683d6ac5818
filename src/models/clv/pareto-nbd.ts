// Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting Your Customers: Who Are They and What Will They Do
// Next?", Management Science 33(1):1-24. While active a customer buys at Poisson rate λ ~ Gamma(r, α); her lifetime
// is exponential with rate μ ~ Gamma(s, β). The likelihood and conditional expressions follow Fader & Hardie (2005),
// "A Note on Deriving the Pareto/NBD Model and Related Expressions" (brucehardie.com, note 009), eqs. 22-24.
import { integrate } from '../math/quadrature.ts';
import { digamma, hyp2f1, lgamma, logAddExp, logSubExp } from '../math/special.ts';
import { fitPositive, type FitOptions, type FitResult } from './fit.ts';
import { groupPairs, type RepeatSummary } from './summary.ts';

export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

/**
 * One end of ln A0 (note 009 eqs. 23-24), A0 = [f(tx) − f(T)] with f(t) = 2F1(k, second; k+1; |α−β|/(max(α,β)+t)) /
 * (max(α,β)+t)^k and k = r+s+x: the integral over the unobserved dropout time between tx and T. The 2F1 argument
 * is always in [0, 1), and its second parameter is chosen by which of α, β is larger. f depends on (x, t) alone.
 */
function logA0End(p: ParetoNbdParams, x: number, t: number): number {
  const { r, alpha, s, beta } = p;
  const k = r + s + x;
  const [top, second] = alpha >= beta ? [alpha, s + 1] : [beta, r + x];
  return Math.log(hyp2f1(k, second, k + 1, Math.abs(alpha - beta) / (top + t))) - k * Math.log(top + t);
}

function logA0(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  return logSubExp(logA0End(p, x, tx), logA0End(p, x, T));
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

/**
 * Σ weight·ln L over the summary rows, and its gradient when `grad` is given. ln L = ln(e^U + e^V) with
 * U = ln(Γ(r+x)/Γ(r) α^r β^s) − (r+x) ln(α+T) − s ln(β+T) (alive at T) and V = ln(Γ(r+x)/Γ(r) α^r β^s · s/(r+s+x))
 * + ln(f(tx) − f(T)) (dropped out between tx and T; f in `logA0End`). Everything but the last difference depends on
 * (x, tx) or on (x, T) alone, so the costly terms (2F1 and Γ) are computed once per distinct pair, a few thousand for
 * a million customers, and each row only combines them. The derivatives of 2F1 in its parameters have no convenient
 * closed form, so ln f is differentiated by central differences, once per pair; the rest of the gradient is exact.
 * The value equals adding up paretoNbdLogLikelihood row by row.
 */
export function paretoNbdTotalLogLikelihood(p: ParetoNbdParams, data: RepeatSummary, grad?: Float64Array): number {
  const { r, alpha, s, beta } = p;
  const { byTx, byT } = layoutOf(data);
  const endTx = new Float64Array(byTx.first.length);
  const endTxGrad = new Float64Array(byTx.first.length * 4);
  byTx.first.forEach((i, g) => (endTx[g] = logA0EndWithGradient(p, data.x[i]!, data.tx[i]!, grad ? endTxGrad.subarray(g * 4, g * 4 + 4) : undefined)));
  const nT = byT.first.length;
  const endT = new Float64Array(nT);
  const endTGrad = new Float64Array(nT * 4);
  const aliveAtT = new Float64Array(nT);
  const aliveGrad = new Float64Array(nT * 4);
  const diedBefore = new Float64Array(nT);
  const diedGrad = new Float64Array(nT * 4);
  const logAlpha = Math.log(alpha);
  const logBeta = Math.log(beta);
  const head0 = -lgamma(r) + r * logAlpha + s * logBeta;
  const psiR = grad ? digamma(r) : 0;
  byT.first.forEach((i, g) => {
    const x = data.x[i]!;
    const T = data.T[i]!;
    const head = lgamma(r + x) + head0;
    const logAT = Math.log(alpha + T);
    const logBT = Math.log(beta + T);
    const k = r + s + x;
    endT[g] = logA0EndWithGradient(p, x, T, grad ? endTGrad.subarray(g * 4, g * 4 + 4) : undefined);
    aliveAtT[g] = head - (r + x) * logAT - s * logBT;
    diedBefore[g] = head + Math.log(s) - Math.log(k);
    if (grad) {
      const dHead = digamma(r + x) - psiR + logAlpha;
      aliveGrad.set([dHead - logAT, r / alpha - (r + x) / (alpha + T), logBeta - logBT, s / beta - s / (beta + T)], g * 4);
      diedGrad.set([dHead - 1 / k, r / alpha, logBeta + 1 / s - 1 / k, s / beta], g * 4);
    }
  });
  let total = 0;
  const sum = [0, 0, 0, 0];
  for (let i = 0; i < data.x.length; i++) {
    const g = byT.groupOf[i]!;
    const h = byTx.groupOf[i]!;
    const w = data.weight[i]!;
    // ln(f(tx) − f(T)) = E1 + ln(1 − ρ), ρ = e^(E2 − E1) ≤ 1; −∞ when tx = T (no time to drop out unseen).
    const rho = Math.exp(endT[g]! - endTx[h]!);
    const u = aliveAtT[g]!;
    const v = rho < 1 ? diedBefore[g]! + endTx[h]! + Math.log1p(-rho) : -Infinity;
    const top = Math.max(u, v);
    const share = Math.exp(v - top) / (Math.exp(u - top) + Math.exp(v - top)); // of the dropout term in L
    total += w * (top + Math.log(Math.exp(u - top) + Math.exp(v - top)));
    if (grad) {
      for (let j = 0; j < 4; j++) {
        const dV = share > 0 ? diedGrad[g * 4 + j]! + (endTxGrad[h * 4 + j]! - rho * endTGrad[g * 4 + j]!) / (1 - rho) : 0;
        sum[j]! += w * ((1 - share) * aliveGrad[g * 4 + j]! + share * dV);
      }
    }
  }
  if (grad) for (let j = 0; j < 4; j++) grad[j] = sum[j]!;
  return total;
}

/** logA0End, with its gradient in (r, α, s, β) by central differences written into `grad` when given. */
function logA0EndWithGradient(p: ParetoNbdParams, x: number, t: number, grad?: Float64Array): number {
  if (grad) {
    const names = ['r', 'alpha', 's', 'beta'] as const;
    names.forEach((name, j) => {
      const step = 1e-6 * p[name];
      grad[j] = (logA0End({ ...p, [name]: p[name] + step }, x, t) - logA0End({ ...p, [name]: p[name] - step }, x, t)) / (2 * step);
    });
  }
  return logA0End(p, x, t);
}

const layoutCache = new WeakMap<RepeatSummary, { byTx: ReturnType<typeof groupPairs>; byT: ReturnType<typeof groupPairs> }>();

function layoutOf(data: RepeatSummary): { byTx: ReturnType<typeof groupPairs>; byT: ReturnType<typeof groupPairs> } {
  let found = layoutCache.get(data);
  if (!found) {
    found = { byTx: groupPairs(data.x, data.tx), byT: groupPairs(data.x, data.T) };
    layoutCache.set(data, found);
  }
  return found;
}

/**
 * Maximum-likelihood Pareto/NBD by L-BFGS on the gradient of paretoNbdTotalLogLikelihood (exact but for the 2F1
 * terms, which are differentiated numerically once per distinct (x, t)). Since the gradient is partly numeric,
 * the standard errors come from second differences of the likelihood itself.
 */
export function fitParetoNbd(data: RepeatSummary, options: FitOptions = {}): FitResult<keyof ParetoNbdParams> {
  const total = data.weight.reduce((s, w) => s + w, 0);
  return fitPositive(['r', 'alpha', 's', 'beta'] as const, [1, 1, 1, 1], (v, grad) => paretoNbdTotalLogLikelihood(fromVector(v), data, grad), total, options);
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
