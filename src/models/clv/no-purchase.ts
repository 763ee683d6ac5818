// What a customer with history (x, tx, T) does next: P(Y(h) = y | x, tx, T), the number of purchases in (T, T + h],
// and its y = 0 term, P(no purchase in the horizon), the churn score these models give (docs/models.md, "Churn").
//
// Every model here has the same shape. A customer is either still active at T (probability P(alive), from each
// model's paper) or has already left and buys nothing more. Given that she is active, the likelihood of her history
// is a product of a term in the purchase rate and a term in the dropout parameter, so the posterior of each is the
// prior updated by conjugacy, and what she does from T on is the model's own process started afresh with those
// posterior parameters: P(Y(h) = y | x, tx, T) = (1 − P(alive))·[y = 0] + P(alive)·P'(X(h) = y), where P' is the
// model's P(X(t) = y) for a newly acquired customer with the updated parameters.
//   BG/NBD (Fader, Hardie & Lee 2005): active at T ⇒ λ ~ Gamma(r+x, α+T), p ~ Beta(a, b+x) (she survived x dropout
//     chances); P' is eq. 8 with (r+x, α+T, a, b+x). Its y = 0 term is ((α+T)/(α+T+h))^(r+x): no purchase means no
//     dropout chance either.
//   MBG/NBD (Batislam et al. 2007): the same with b + x + 1 (the first purchase was a dropout chance too); an active
//     customer's next dropout chance follows her next purchase, so P' is BG/NBD's eq. 8, not MBG/NBD's.
//   Pareto/NBD (Schmittlein et al. 1987): active at T ⇒ λ ~ Gamma(r+x, α+T), μ ~ Gamma(s, β+T) (she lived to T); the
//     exponential lifetime is memoryless, so P' is the model's P(X(t) = y) with (r+x, α+T, s, β+T)
//     (pareto-nbd.ts), a one-dimensional integral taken by quadrature.
//   BG/BB (Fader, Hardie & Shang 2010): active through opportunity n ⇒ p ~ Beta(α+x, β+n−x), θ ~ Beta(γ, δ+n);
//     P' is eq. 7 with those parameters over the next m opportunities, and "active" is the first term of eq. 5
//     over the whole likelihood (note: not eq. 11, which also survives opportunity n + 1; eq. 7 includes that step).
import { bgBbLogLikelihood, bgBbProbabilityOfPurchases, type BgBbParams } from './bg-bb.ts';
import { bgNbdProbabilityAlive, bgNbdProbabilityOfPurchases, type BgNbdParams } from './bg-nbd.ts';
import { paretoNbdProbabilityAlive, paretoNbdProbabilityOfPurchases, type ParetoNbdParams } from './pareto-nbd.ts';
import { lbeta } from '../math/special.ts';

/** The BG/NBD (modified = MBG/NBD) parameters of an active customer's future: the prior updated by her history. */
const bgNbdPosterior = (p: BgNbdParams, x: number, T: number, modified: boolean): BgNbdParams => ({ r: p.r + x, alpha: p.alpha + T, a: p.a, b: p.b + x + (modified ? 1 : 0) });

/** P(Y(h) = 0 | active at T, x, T) for BG/NBD and MBG/NBD: ((α+T)/(α+T+h))^(r+x). */
export function bgNbdNoPurchaseIfAlive(p: BgNbdParams, h: number, x: number, T: number): number {
  return Math.exp((p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + T + h)));
}

/** P(Y(h) = 0 | x, tx, T) under BG/NBD (modified: MBG/NBD): 1 − P(alive) + P(alive)·((α+T)/(α+T+h))^(r+x). */
export function bgNbdProbabilityNoPurchase(p: BgNbdParams, h: number, x: number, tx: number, T: number, modified = false): number {
  const alive = bgNbdProbabilityAlive(p, x, tx, T, modified);
  return 1 - alive + alive * bgNbdNoPurchaseIfAlive(p, h, x, T);
}

/** P(Y(h) = y | active at T, x, T) under BG/NBD (modified: MBG/NBD): eq. 8 with the updated parameters. */
export function bgNbdPurchasesIfAlive(p: BgNbdParams, h: number, y: number, x: number, T: number, modified = false): number {
  return bgNbdProbabilityOfPurchases(bgNbdPosterior(p, x, T, modified), h, y);
}

/** P(Y(h) = y | x, tx, T) under BG/NBD (modified: MBG/NBD): the purchases in (T, T + h]. */
export function bgNbdConditionalProbabilityOfPurchases(p: BgNbdParams, h: number, y: number, x: number, tx: number, T: number, modified = false): number {
  const alive = bgNbdProbabilityAlive(p, x, tx, T, modified);
  return (y === 0 ? 1 - alive : 0) + alive * bgNbdPurchasesIfAlive(p, h, y, x, T, modified);
}

const paretoPosterior = (p: ParetoNbdParams, x: number, T: number): ParetoNbdParams => ({ r: p.r + x, alpha: p.alpha + T, s: p.s, beta: p.beta + T });

/** P(Y(h) = 0 | active at T, x, T) under Pareto/NBD. */
export function paretoNbdNoPurchaseIfAlive(p: ParetoNbdParams, h: number, x: number, T: number): number {
  return paretoNbdProbabilityOfPurchases(paretoPosterior(p, x, T), h, 0);
}

/** P(Y(h) = 0 | x, tx, T) under Pareto/NBD. */
export function paretoNbdProbabilityNoPurchase(p: ParetoNbdParams, h: number, x: number, tx: number, T: number): number {
  const alive = paretoNbdProbabilityAlive(p, x, tx, T);
  return 1 - alive + alive * paretoNbdNoPurchaseIfAlive(p, h, x, T);
}

/** P(Y(h) = y | active at T, x, T) under Pareto/NBD. */
export function paretoNbdPurchasesIfAlive(p: ParetoNbdParams, h: number, y: number, x: number, T: number): number {
  return paretoNbdProbabilityOfPurchases(paretoPosterior(p, x, T), h, y);
}

/** P(Y(h) = y | x, tx, T) under Pareto/NBD. */
export function paretoNbdConditionalProbabilityOfPurchases(p: ParetoNbdParams, h: number, y: number, x: number, tx: number, T: number): number {
  const alive = paretoNbdProbabilityAlive(p, x, tx, T);
  return (y === 0 ? 1 - alive : 0) + alive * paretoNbdPurchasesIfAlive(p, h, y, x, T);
}

/** P(active through opportunity n | x, tx, n) under BG/BB: the first term of eq. 5 over the whole of it. */
export function bgBbProbabilityActive(p: BgBbParams, x: number, tx: number, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  return Math.exp(lbeta(alpha + x, beta + n - x) - lbeta(alpha, beta) + lbeta(gamma, delta + n) - lbeta(gamma, delta) - bgBbLogLikelihood(p, x, tx, n));
}

const bgBbPosterior = (p: BgBbParams, x: number, n: number): BgBbParams => ({ alpha: p.alpha + x, beta: p.beta + n - x, gamma: p.gamma, delta: p.delta + n });

/** P(no purchase in opportunities n+1 … n+m | active through n, x, n) under BG/BB: eq. 7 at 0 with updated parameters. */
export function bgBbNoPurchaseIfActive(p: BgBbParams, m: number, x: number, n: number): number {
  return bgBbProbabilityOfPurchases(bgBbPosterior(p, x, n), wholeOpportunities(m), 0);
}

/** P(no purchase in the next m opportunities | x, tx, n) under BG/BB. */
export function bgBbProbabilityNoPurchase(p: BgBbParams, m: number, x: number, tx: number, n: number): number {
  const active = bgBbProbabilityActive(p, x, tx, n);
  return 1 - active + active * bgBbNoPurchaseIfActive(p, m, x, n);
}

/** P(y purchases in the next m opportunities | active through n, x, n) under BG/BB. */
export function bgBbPurchasesIfActive(p: BgBbParams, m: number, y: number, x: number, n: number): number {
  const opportunities = wholeOpportunities(m);
  return y > opportunities ? 0 : bgBbProbabilityOfPurchases(bgBbPosterior(p, x, n), opportunities, y);
}

/** P(y purchases in the next m opportunities | x, tx, n) under BG/BB. */
export function bgBbConditionalProbabilityOfPurchases(p: BgBbParams, m: number, y: number, x: number, tx: number, n: number): number {
  const active = bgBbProbabilityActive(p, x, tx, n);
  return (y === 0 ? 1 - active : 0) + active * bgBbPurchasesIfActive(p, m, y, x, n);
}

/** BG/BB counts whole opportunities: a horizon of 12.9 weeks is 13 of them. */
const wholeOpportunities = (m: number) => Math.max(0, Math.round(m));
