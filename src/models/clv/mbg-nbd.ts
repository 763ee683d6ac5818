// MBG/NBD: Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for customer base
// analysis", International Journal of Research in Marketing 24(3):201-209. BG/NBD with one change: a customer may
// drop out right after her first purchase as well as after each repeat one, so customers with no repeat purchases
// are not all taken to be alive. Shares its likelihood with bg-nbd.ts.
import { hyp2f1, lbeta, lgamma } from '../math/special.ts';
import { betaGeometricLogLikelihood, bgNbdConditionalExpected, bgNbdProbabilityAlive, fitBgNbd, type BgNbdParams } from './bg-nbd.ts';
import type { FitOptions, FitResult } from './fit.ts';
import type { RepeatSummary } from './summary.ts';

export type MbgNbdParams = BgNbdParams;

/** ln L for one customer: B(a, b+x+1)/B(a,b)·NBD(α+T) + B(a+1, b+x)/B(a,b)·NBD(α+tx). */
export const mbgNbdLogLikelihood = (p: MbgNbdParams, x: number, tx: number, T: number, grad?: Float64Array, weight = 1): number =>
  betaGeometricLogLikelihood(p, x, tx, T, true, grad, weight);

/** Maximum-likelihood MBG/NBD on a (grouped) summary. */
export const fitMbgNbd = (data: RepeatSummary, options: FitOptions = {}): FitResult<keyof MbgNbdParams> => fitBgNbd(data, options, true);

/** P(alive | x, tx, T) = 1 / (1 + a/(b+x) · ((α+T)/(α+tx))^(r+x)), for every customer including x = 0. */
export const mbgNbdProbabilityAlive = (p: MbgNbdParams, x: number, tx: number, T: number): number => bgNbdProbabilityAlive(p, x, tx, T, true);

/** E[Y(t) | x, tx, T]: BG/NBD's eq. 10 with the Beta posterior one dropout chance further on. */
export const mbgNbdConditionalExpected = (p: MbgNbdParams, t: number, x: number, tx: number, T: number): number => bgNbdConditionalExpected(p, t, x, tx, T, true);

/**
 * E[X(t)] for a customer just acquired: she survives her first purchase with probability 1 − p, so
 * E[X(t)] = b/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b+1; a+b; t/(α+t))].
 */
export function mbgNbdExpected(p: MbgNbdParams, t: number): number {
  const { r, alpha, a, b } = p;
  if (t <= 0) return 0;
  return (b / (a - 1)) * (1 - Math.pow(alpha / (alpha + t), r) * hyp2f1(r, b + 1, a + b, t / (alpha + t)));
}

/**
 * P(X(t) = x) for a customer just acquired. With J the purchases before she drops out (P(J = j) = p(1−p)^j, so she
 * may leave at once) and N(t) her purchases if she stayed, X(t) = min(N(t), J): she is still there after x
 * purchases with probability E[(1−p)^(x+1)] = B(a, b+x+1)/B(a,b), or leaves right after the x-th with
 * E[p(1−p)^x] = B(a+1, b+x)/B(a,b), in which case she made x purchases if N(t) ≥ x.
 */
export function mbgNbdProbabilityOfPurchases(p: MbgNbdParams, t: number, x: number): number {
  const { r, alpha, a, b } = p;
  const logRatio = Math.log(alpha / (alpha + t));
  const logShare = t > 0 ? Math.log(t / (alpha + t)) : -Infinity;
  const nbd = (j: number) => (j === 0 ? Math.exp(r * logRatio) : Math.exp(lgamma(r + j) - lgamma(r) - lgamma(j + 1) + r * logRatio + j * logShare));
  let below = 0;
  for (let j = 0; j < x; j++) below += nbd(j);
  const lbAB = lbeta(a, b);
  return Math.exp(lbeta(a, b + x + 1) - lbAB) * nbd(x) + Math.exp(lbeta(a + 1, b + x) - lbAB) * Math.max(0, 1 - below);
}
