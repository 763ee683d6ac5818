// Special functions for the probability models. log-gamma, digamma, trigamma, log-beta and Gauss's 2F1 come from @stdlib
// (ports of Cephes and Boost, accurate to a few ulps); the helpers here keep sums of exponentials in log space.
import betaln from '@stdlib/math-base-special-betaln';
import digammaFn from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1Fn from '@stdlib/math-base-special-hyp2f1';
import trigammaFn from '@stdlib/math-base-special-trigamma';

/** ln Γ(x) for x > 0. */
export const lgamma = (x: number): number => gammaln(x);
/** ψ(x) = d/dx ln Γ(x). */
export const digamma = (x: number): number => digammaFn(x);
/** ψ′(x) = d²/dx² ln Γ(x). */
export const trigamma = (x: number): number => trigammaFn(x);
/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export const lbeta = (a: number, b: number): number => betaln(a, b);
/** Gauss's hypergeometric function 2F1(a, b; c; z). */
export const hyp2f1 = (a: number, b: number, c: number, z: number): number => hyp2f1Fn(a, b, c, z);

/** ln(eᵃ + eᵇ) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** ln(eᵃ − eᵇ) for a ≥ b; −∞ when they are equal. */
export function logSubExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  return a + Math.log(-Math.expm1(b - a));
}
