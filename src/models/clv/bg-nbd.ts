// BG/NBD: Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way: An Alternative to the Pareto/NBD
// Model", Marketing Science 24(2):275-284. While active, a customer buys at Poisson rate λ ~ Gamma(r, α); after
// each purchase she drops out with probability p ~ Beta(a, b). Equation numbers below are the paper's.
import { digamma, hyp2f1, lbeta, lgamma, logAddExp, trigamma } from '../math/special.ts';
import { fitPositive, warmStart, type FitOptions, type FitResult } from './fit.ts';
import { groupByCount, indexDistinct, type RepeatSummary } from './summary.ts';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

const NAMES = ['r', 'alpha', 'a', 'b'] as const;

/**
 * ln L(r, α, a, b | x, tx, T) for one customer (eq. 6), with ∂/∂(r, α, a, b) added into `grad` times `weight`.
 * Computed as A1 + A2 + ln(e^A3 + δ(x>0) e^A4), so heavy buyers (x in the thousands) neither overflow nor lose
 * precision.
 */
export function bgNbdLogLikelihood(p: BgNbdParams, x: number, tx: number, T: number, grad?: Float64Array, weight = 1): number {
  return betaGeometricLogLikelihood(p, x, tx, T, false, grad, weight);
}

/**
 * The likelihood BG/NBD and MBG/NBD share. `modified` is MBG/NBD (Batislam et al. 2007), where a customer may also
 * drop out right after her first purchase: her x repeat purchases are then x + 1 chances to drop out, not x.
 */
export function betaGeometricLogLikelihood(p: BgNbdParams, x: number, tx: number, T: number, modified: boolean, grad?: Float64Array, weight = 1): number {
  const { r, alpha, a, b } = p;
  const k = modified ? x + 1 : x; // dropout opportunities survived
  const canDrop = modified || x > 0;
  const a1 = lgamma(r + x) - lgamma(r) + r * Math.log(alpha);
  const a2 = lgamma(a + b) + lgamma(b + k) - lgamma(b) - lgamma(a + b + k);
  const a3 = -(r + x) * Math.log(alpha + T);
  const a4 = canDrop ? Math.log(a) - Math.log(b + k - 1) - (r + x) * Math.log(alpha + tx) : -Infinity;
  const tail = logAddExp(a3, a4);
  if (grad) {
    const w4 = canDrop ? Math.exp(a4 - tail) : 0;
    const w3 = 1 - w4;
    const psiAbk = digamma(a + b + k);
    const psiAb = digamma(a + b);
    grad[0] = grad[0]! + weight * (digamma(r + x) - digamma(r) + Math.log(alpha) - w3 * Math.log(alpha + T) - w4 * Math.log(alpha + tx));
    grad[1] = grad[1]! + weight * (r / alpha - w3 * (r + x) / (alpha + T) - (canDrop ? (w4 * (r + x)) / (alpha + tx) : 0));
    grad[2] = grad[2]! + weight * (psiAb - psiAbk + (canDrop ? w4 / a : 0));
    grad[3] = grad[3]! + weight * (psiAb + digamma(b + k) - digamma(b) - psiAbk - (canDrop ? w4 / (b + k - 1) : 0));
  }
  return a1 + a2 + tail;
}

/**
 * Σ weight·ln L over the summary rows, its gradient and (when `hess` is given) its Hessian, 4 × 4 row-major in
 * (r, α, a, b). Every Γ and ψ term depends on x alone, and ln(α+T), ln(α+tx) on T or tx alone, so the rows are kept
 * sorted by x (see `layoutOf`): per x the Γ terms are computed once, and per row only the posterior share of "dropped
 * out after tx" is left, ln(e^A3 + e^A4) = A3 + softplus(d) with d = A4 − A3, one exponential and one logarithm.
 * The value and gradient equal adding up betaGeometricLogLikelihood row by row.
 */
export function bgNbdTotalLogLikelihood(p: BgNbdParams, data: RepeatSummary, grad?: Float64Array, modified = false, hess?: Float64Array): number {
  const { r, alpha, a, b } = p;
  const { xValues, starts, weight, tIndex, txIndex, tValues, txValues } = layoutOf(data);
  const logT = new Float64Array(tValues.length);
  const invT = new Float64Array(tValues.length);
  for (let j = 0; j < tValues.length; j++) {
    logT[j] = Math.log(alpha + tValues[j]!);
    invT[j] = 1 / (alpha + tValues[j]!);
  }
  const logTx = new Float64Array(txValues.length);
  const invTx = new Float64Array(txValues.length);
  for (let j = 0; j < txValues.length; j++) {
    logTx[j] = Math.log(alpha + txValues[j]!);
    invTx[j] = 1 / (alpha + txValues[j]!);
  }
  const lgR = lgamma(r);
  const lgAB = lgamma(a + b);
  const lgB = lgamma(b);
  const logA = Math.log(a);
  const logAlpha = Math.log(alpha);
  const wantGrad = grad !== undefined || hess !== undefined;
  const psiR = wantGrad ? digamma(r) : 0;
  const psiAB = wantGrad ? digamma(a + b) : 0;
  const psiB = wantGrad ? digamma(b) : 0;
  const triR = hess ? trigamma(r) : 0;
  const triAB = hess ? trigamma(a + b) : 0;
  const triB = hess ? trigamma(b) : 0;
  let total = 0;
  const g = [0, 0, 0, 0];
  const h = new Float64Array(16);
  for (let group = 0; group < xValues.length; group++) {
    const x = xValues[group]!;
    const k = modified ? x + 1 : x;
    const rx = r + x;
    const bk = b + k - 1;
    const from = starts[group]!;
    const to = starts[group + 1]!;
    // Weighted sums over the group's rows. With gap = ln(α+T) − ln(α+tx), q = 1/(α+T) − 1/(α+tx), w4 = sigmoid(d)
    // and v = w4(1 − w4) = ∂w4/∂d, every derivative of the group's log-likelihood is a combination of these.
    let sw = 0;
    let sLogT = 0;
    let sInvT = 0;
    let sInvT2 = 0;
    let sSoft = 0;
    let sW4 = 0;
    let sW4Gap = 0;
    let sW4Q = 0;
    let sW4Q2 = 0;
    let sV = 0;
    let sVGap = 0;
    let sVGap2 = 0;
    let sVGapQ = 0;
    let sVQ = 0;
    let sVQ2 = 0;
    if (modified || x > 0) {
      const c = logA - Math.log(bk);
      for (let i = from; i < to; i++) {
        const w = weight[i]!;
        const lT = logT[tIndex[i]!]!;
        const iT = invT[tIndex[i]!]!;
        const iTx = invTx[txIndex[i]!]!;
        const gap = lT - logTx[txIndex[i]!]!;
        const d = c + rx * gap;
        const e = Math.exp(-Math.abs(d));
        const w4 = d >= 0 ? 1 / (1 + e) : e / (1 + e);
        const v = w4 * (1 - w4);
        const q = iT - iTx;
        sw += w;
        sLogT += w * lT;
        sInvT += w * iT;
        sInvT2 += w * iT * iT;
        sSoft += w * ((d > 0 ? d : 0) + Math.log1p(e));
        sW4 += w * w4;
        sW4Gap += w * w4 * gap;
        sW4Q += w * w4 * q;
        sW4Q2 += w * w4 * (iT * iT - iTx * iTx);
        sV += w * v;
        sVGap += w * v * gap;
        sVGap2 += w * v * gap * gap;
        sVGapQ += w * v * gap * q;
        sVQ += w * v * q;
        sVQ2 += w * v * q * q;
      }
    } else {
      for (let i = from; i < to; i++) {
        const w = weight[i]!;
        const iT = invT[tIndex[i]!]!;
        sw += w;
        sLogT += w * logT[tIndex[i]!]!;
        sInvT += w * iT;
        sInvT2 += w * iT * iT;
      }
    }
    total += sw * (lgamma(rx) - lgR + lgAB + lgamma(b + k) - lgB - lgamma(a + b + k) + r * logAlpha) - rx * sLogT + sSoft;
    if (!wantGrad) continue;
    const psiAbk = digamma(a + b + k);
    g[0]! += sw * (digamma(rx) - psiR + logAlpha) - sLogT + sW4Gap;
    g[1]! += (sw * r) / alpha - rx * (sInvT - sW4Q);
    // sW4 is 0 when no customer in the group can have dropped out, which keeps 0/0 (x = 0, b = 1) out of the sum.
    g[2]! += sw * (psiAB - psiAbk) + (sW4 > 0 ? sW4 / a : 0);
    g[3]! += sw * (psiAB + digamma(b + k) - psiB - psiAbk) - (sW4 > 0 ? sW4 / bk : 0);
    if (!hess) continue;
    const triAbk = trigamma(a + b + k);
    const hasDrop = sW4 > 0 || sV > 0;
    const add = (i: number, j: number, value: number) => {
      h[i * 4 + j]! += value;
      if (i !== j) h[j * 4 + i]! += value;
    };
    add(0, 0, sw * (trigamma(rx) - triR) + sVGap2);
    add(0, 1, sw / alpha - sInvT + sW4Q + rx * sVGapQ);
    add(1, 1, (-sw * r) / (alpha * alpha) + rx * sInvT2 - rx * sW4Q2 + rx * rx * sVQ2);
    add(2, 2, sw * (triAB - triAbk) + (hasDrop ? (sV - sW4) / (a * a) : 0));
    add(2, 3, sw * (triAB - triAbk) - (hasDrop ? sV / (a * bk) : 0));
    add(3, 3, sw * (triAB + trigamma(b + k) - triB - triAbk) + (hasDrop ? (sW4 + sV) / (bk * bk) : 0));
    if (hasDrop) {
      add(0, 2, sVGap / a);
      add(0, 3, -sVGap / bk);
      add(1, 2, (rx * sVQ) / a);
      add(1, 3, (-rx * sVQ) / bk);
    }
  }
  if (grad) for (let i = 0; i < 4; i++) grad[i] = g[i]!;
  if (hess) hess.set(h);
  return total;
}

/** A summary's rows sorted by x, with each row's index into the distinct T and tx values (a few hundred at day granularity). */
interface Layout {
  /** The distinct x values, ascending; rows starts[g] to starts[g+1] have x = xValues[g]. */
  xValues: Int32Array;
  starts: Int32Array;
  weight: Float64Array;
  tIndex: Int32Array;
  txIndex: Int32Array;
  tValues: Float64Array;
  txValues: Float64Array;
}

const layoutCache = new WeakMap<RepeatSummary, Layout>();

/** Computed once per summary and cached, since a fit evaluates the likelihood on the same summary dozens of times. */
function layoutOf(data: RepeatSummary): Layout {
  let found = layoutCache.get(data);
  if (found) return found;
  const n = data.x.length;
  const t = indexDistinct(data.T);
  const tx = indexDistinct(data.tx);
  const { values, starts, order } = groupByCount(data.x);
  const weight = new Float64Array(n);
  const tIndex = new Int32Array(n);
  const txIndex = new Int32Array(n);
  for (let slot = 0; slot < n; slot++) {
    const i = order[slot]!;
    weight[slot] = data.weight[i]!;
    tIndex[slot] = t.at[i]!;
    txIndex[slot] = tx.at[i]!;
  }
  found = { xValues: values, starts, weight, tIndex, txIndex, tValues: t.values, txValues: tx.values };
  layoutCache.set(data, found);
  return found;
}

/** Maximum-likelihood BG/NBD on a (grouped) summary. */
export function fitBgNbd(data: RepeatSummary, options: FitOptions = {}, modified = false): FitResult<keyof BgNbdParams> {
  const total = data.weight.reduce((s, w) => s + w, 0);
  const start = warmStart({ x: data.x, tx: data.tx, T: data.T, weight: data.weight }, options, (sample, o) => fitBgNbd(sample, o, modified), NAMES);
  return fitPositive(NAMES, [1, 1, 1, 1], (v, grad, hess) => bgNbdTotalLogLikelihood({ r: v[0]!, alpha: v[1]!, a: v[2]!, b: v[3]! }, data, grad, modified, hess), total, { ...start, analyticGradient: true, analyticHessian: true });
}

/** E[X(t)]: expected purchases in (0, t] of a customer just acquired (eq. 7). */
export function bgNbdExpected(p: BgNbdParams, t: number): number {
  const { r, alpha, a, b } = p;
  if (t <= 0) return 0;
  return ((a + b - 1) / (a - 1)) * (1 - Math.pow(alpha / (alpha + t), r) * hyp2f1(r, b, a + b - 1, t / (alpha + t)));
}

/** P(alive | x, tx, T): the probability the customer has not dropped out by T (FHL 2005 note on P(alive)). */
export function bgNbdProbabilityAlive(p: BgNbdParams, x: number, tx: number, T: number, modified = false): number {
  if (x === 0 && !modified) return 1;
  const { r, alpha, a, b } = p;
  const k = modified ? x + 1 : x;
  const logOdds = Math.log(a) - Math.log(b + k - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * E[Y(t) | alive at T, x, T]: the purchases in (T, T + t] of a customer known to be still active (eq. 10 without
 * its P(alive) factor), so E[Y(t) | x, tx, T] = P(alive) times this, and tx drops out. The hypergeometric term is
 * rewritten with Pfaff's transformation, 2F1(r+x, b+k; a+b+k−1; z)·(1−z)^(r+x) = 2F1(r+x, a−1; a+b+k−1; z/(z−1)),
 * which removes the factor that overflows for heavy buyers (k = x, or x + 1 for MBG/NBD).
 */
export function bgNbdExpectedIfAlive(p: BgNbdParams, t: number, x: number, T: number, modified = false): number {
  const { r, alpha, a, b } = p;
  if (t <= 0) return 0;
  const k = modified ? x + 1 : x;
  const c = a + b + k - 1;
  const z = -t / (alpha + T);
  const scale = (a + b + k - 1) / (a - 1);
  const value = scale * (1 - (z < -0.5 ? farHypergeometric(r + x, a - 1, c, z) : hyp2f1(r + x, a - 1, c, z)));
  // With a > 1 the expectation rises with t toward (a+b+k−1)/(a−1), the purchases expected before dropping out;
  // where even the transformed series fails (hundreds of purchases in a few weeks, a horizon of years) it has
  // reached that limit. With a ≤ 1 it has no limit.
  if (a <= 1) return value;
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), scale) : scale;
}

/**
 * 2F1(A, B; C; z) for z < −0.5 (a horizon longer than half of α + T: a new customer, a long horizon). The series in z
 * converges slowly there and diverges below −1, where the library's continuation loses every digit once C is large
 * (a fitted a + b in the hundreds gave −1.2e23 purchases). Pfaff's transformation back,
 * (1 − z)^(−A) · 2F1(A, C − B; C; z/(z − 1)), has its argument in (1/3, 1); the z form is kept if that overflows.
 */
function farHypergeometric(A: number, B: number, C: number, z: number): number {
  const w = hyp2f1(A, C - B, C, z / (z - 1));
  const value = Math.exp(-A * Math.log1p(-z)) * w;
  return Number.isFinite(value) ? value : hyp2f1(A, B, C, z);
}

/** E[Y(t) | x, tx, T]: expected purchases in (T, T + t] given the customer's history (eq. 10). */
export function bgNbdConditionalExpected(p: BgNbdParams, t: number, x: number, tx: number, T: number, modified = false): number {
  return bgNbdExpectedIfAlive(p, t, x, T, modified) * bgNbdProbabilityAlive(p, x, tx, T, modified);
}

/** P(X(t) = n): the probability of exactly n purchases in (0, t] for a new customer (eq. 8). */
export function bgNbdProbabilityOfPurchases(p: BgNbdParams, t: number, n: number): number {
  const { r, alpha, a, b } = p;
  const logRatio = Math.log(alpha / (alpha + t));
  const logShare = Math.log(t / (alpha + t));
  const lbAB = lbeta(a, b);
  // Γ(r+j)/(Γ(r) j!) (α/(α+t))^r (t/(α+t))^j: the NBD probability of j purchases by t.
  const nbd = (j: number) => Math.exp(lgamma(r + j) - lgamma(r) - lgamma(j + 1) + r * logRatio + j * logShare);
  let value = Math.exp(lbeta(a, b + n) - lbAB) * nbd(n);
  if (n > 0) {
    let below = 0;
    for (let j = 0; j < n; j++) below += nbd(j);
    value += Math.exp(lbeta(a + 1, b + n - 1) - lbAB) * (1 - below);
  }
  return value;
}
