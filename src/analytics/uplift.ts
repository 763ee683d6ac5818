import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * The statistics behind uplift against a holdout (docs/journeys.md, "Measuring uplift"):
 * - a difference of proportions with Newcombe's hybrid score interval (Newcombe 1998, "Interval estimation for the
 *   difference between independent proportions", Stat Med 17:873-890, method 10: Wilson score intervals for each
 *   proportion combined), and a two-sided p-value from the pooled two-proportion z test;
 * - a difference of means (revenue per customer) by Welch's t test with the Welch-Satterthwaite degrees of freedom;
 * - the sample size per group to detect a difference of proportions (normal approximation, no continuity correction).
 */

/** A two-sided confidence interval. */
export interface Interval {
  low: number;
  high: number;
}

export interface ProportionUplift {
  treated: number;
  control: number;
  /** treated − control. */
  difference: number;
  /** (treated − control) / control; null when control is 0. */
  relative: number | null;
  interval: Interval;
  pValue: number;
}

const z = (confidence: number) => normalQuantile(1 - (1 - confidence) / 2, 0, 1);

/** Wilson's score interval for x successes in n trials. */
export function wilsonInterval(x: number, n: number, confidence = 0.95): Interval {
  if (n === 0) return { low: 0, high: 1 };
  const k = z(confidence);
  const p = x / n;
  const centre = (p + (k * k) / (2 * n)) / (1 + (k * k) / n);
  const half = (k * Math.sqrt((p * (1 - p)) / n + (k * k) / (4 * n * n))) / (1 + (k * k) / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** The uplift of x1/n1 (treated) over x2/n2 (control), with Newcombe's interval and the z test's p-value. */
export function proportionUplift(x1: number, n1: number, x2: number, n2: number, confidence = 0.95): ProportionUplift {
  const p1 = n1 ? x1 / n1 : 0;
  const p2 = n2 ? x2 / n2 : 0;
  const [a, b] = [wilsonInterval(x1, n1, confidence), wilsonInterval(x2, n2, confidence)];
  const difference = p1 - p2;
  const interval = { low: difference - Math.hypot(p1 - a.low, b.high - p2), high: difference + Math.hypot(a.high - p1, p2 - b.low) };
  const pooled = n1 + n2 ? (x1 + x2) / (n1 + n2) : 0;
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / (n1 || 1) + 1 / (n2 || 1)));
  const pValue = se === 0 ? (difference === 0 ? 1 : 0) : 2 * (1 - normalCdf(Math.abs(difference) / se, 0, 1));
  return { treated: p1, control: p2, difference, relative: p2 ? difference / p2 : null, interval, pValue };
}

/** A group's count, sum and sum of squares of a measure, as SQL aggregates return them. */
export interface Moments {
  n: number;
  sum: number;
  sumSquares: number;
}

export interface MeanUplift {
  treated: number;
  control: number;
  difference: number;
  interval: Interval;
  pValue: number;
  degreesOfFreedom: number;
}

/** Welch's t test of treated − control means, from each group's moments. */
export function welchUplift(treated: Moments, control: Moments, confidence = 0.95): MeanUplift {
  const stats = (m: Moments) => {
    const mean = m.n ? m.sum / m.n : 0;
    const variance = m.n > 1 ? Math.max(0, (m.sumSquares - m.n * mean * mean) / (m.n - 1)) : 0;
    return { mean, perMean: m.n ? variance / m.n : 0 };
  };
  const [a, b] = [stats(treated), stats(control)];
  const difference = a.mean - b.mean;
  const se = Math.sqrt(a.perMean + b.perMean);
  if (se === 0 || treated.n < 2 || control.n < 2) return { treated: a.mean, control: b.mean, difference, interval: { low: difference, high: difference }, pValue: difference === 0 ? 1 : 0, degreesOfFreedom: Math.max(0, treated.n + control.n - 2) };
  const df = (a.perMean + b.perMean) ** 2 / (a.perMean ** 2 / (treated.n - 1) + b.perMean ** 2 / (control.n - 1));
  const t = tQuantile(1 - (1 - confidence) / 2, df);
  return { treated: a.mean, control: b.mean, difference, interval: { low: difference - t * se, high: difference + t * se }, pValue: 2 * tCdf(-Math.abs(difference / se), df), degreesOfFreedom: df };
}

/**
 * Customers needed in each group to detect conversion `baseline` becoming `target` with a two-sided test at
 * `alpha` and `power`: ((z₁₋α/₂ √(2p̄(1−p̄)) + z₁₋β √(p₁(1−p₁) + p₂(1−p₂))) / (p₁ − p₂))², rounded up.
 */
export function sampleSizePerGroup(baseline: number, target: number, alpha = 0.05, power = 0.8): number {
  const mean = (baseline + target) / 2;
  const numerator = z(1 - alpha) * Math.sqrt(2 * mean * (1 - mean)) + normalQuantile(power, 0, 1) * Math.sqrt(baseline * (1 - baseline) + target * (1 - target));
  return Math.ceil((numerator / (baseline - target)) ** 2);
}
