import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bgNbdConditionalExpected,
  bgNbdExpected,
  bgNbdExpectedIfAlive,
  bgNbdLogLikelihood,
  bgNbdProbabilityAlive,
  bgNbdProbabilityOfPurchases,
  fitBgNbd,
  type BgNbdParams,
} from '../../../src/models/clv/bg-nbd.ts';
import { Random } from '../../../src/core/random.ts';
import { groupSummaries } from '../../../src/models/clv/summary.ts';
import { cdnowSample } from './cdnow.ts';
import { assertGradient, assertHessian, close } from './check.ts';

// Numbers from ../shared/reference/REFERENCE.md §1.1 (Fader, Hardie & Lee 2005; BTYD; lifetimes tests).
const PUBLISHED: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe('BG/NBD', () => {
  const customers = cdnowSample();
  const { summary, invalid } = groupSummaries(
    customers.map((c) => c.x),
    customers.map((c) => c.tx),
    customers.map((c) => c.T),
  );
  const fit = fitBgNbd(summary);

  test('the CDNOW sample summary has the published totals', () => {
    assert.equal(customers.length, 2357);
    assert.deepEqual(invalid, []);
    assert.equal(customers.reduce((s, c) => s + c.x, 0), 2457);
    assert.equal(customers.filter((c) => c.x === 0).length, 1411);
    assert.equal(customers.reduce((s, c) => s + c.holdout, 0), 1882);
    assert.ok(summary.x.length < customers.length, 'identical rows were grouped');
  });

  test('fits the published parameters and log-likelihood on CDNOW', () => {
    assert.ok(fit.converged, `did not converge (gradient ${fit.gradientNorm})`);
    close(fit.params.r, 0.243, 0.0005, 'r');
    close(fit.params.alpha, 4.414, 0.0005, 'alpha');
    close(fit.params.a, 0.793, 0.0005, 'a');
    close(fit.params.b, 2.426, 0.0005, 'b');
    close(fit.logLikelihood, -9582.429, 0.01, 'log-likelihood');
    assert.equal(fit.customers, 2357);
  });

  test('standard errors match the Hessian-based ones lifetimes publishes', () => {
    const se = fit.standardErrors!;
    close(se.r, 0.012557, 0.0005, 'se r');
    close(se.alpha, 0.378221, 0.005, 'se alpha');
    close(se.a, 0.185719, 0.005, 'se a');
    close(se.b, 0.705345, 0.01, 'se b');
  });

  test('the unconditional expectation E[X(t)] matches Hardie\'s spreadsheet', () => {
    const expected: [number, number][] = [[0.1429, 0.0078], [1, 0.0532], [3, 0.1506], [31.8571, 1.0405], [32, 1.0437], [78, 1.8576]];
    for (const [t, value] of expected) close(bgNbdExpected(fit.params, t), value, 0.0005, `E[X(${t})]`);
    close(bgNbdExpected(fit.params, 52), 1.444004, 0.0005, 'E[X(52)]');
  });

  test('conditional expectations and P(alive) match the published customers', () => {
    close(bgNbdConditionalExpected(fit.params, 39, 2, 30.43, 38.86), 1.226, 0.001, 'E[X(39) | 2, 30.43, 38.86]');
    close(bgNbdConditionalExpected(fit.params, 52, 26, 30.85714, 31), 25.75659, 0.005, 'customer 1516 E[X(52)]');
    close(bgNbdProbabilityAlive(fit.params, 26, 30.85714, 31), 0.9688523, 0.0005, 'customer 1516 P(alive)');
    // The "increasing frequency paradox" (BTYD §4.3): more purchases long ago mean fewer expected later.
    const paradox = [10, 15, 20, 25].map((x) => bgNbdConditionalExpected(fit.params, 52, x, 20, 39));
    [0.3474606, 0.04283391, 0.004158973, 0.0003583685].forEach((value, i) => close(paradox[i]!, value, Math.max(1e-4, value * 0.01), `paradox x=${10 + 5 * i}`));
  });

  test('P(X(t) = n) matches the values in the R BTYD package', () => {
    close(bgNbdProbabilityOfPurchases(PUBLISHED, 39, 0), 0.5737864, 1e-4, 'P(X(39)=0)');
    close(bgNbdProbabilityOfPurchases(PUBLISHED, 2, 10), 1.07869e-7, 1e-9, 'P(X(2)=10)');
    const thirty = [0.0019995214, 0.001517023, 0.001163315, 0.0009003148, 0.0007023638, 0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.000222226];
    thirty.forEach((value, i) => close(bgNbdProbabilityOfPurchases(PUBLISHED, 30, 11 + i), value, 1e-5, `P(X(30)=${11 + i})`));
  });

  test('the log-likelihood is exact and finite for the smallest and the heaviest buyers', () => {
    const p = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
    close(bgNbdLogLikelihood(p, 0, 0, 40), -0.59947382, 1e-7, 'x=0');
    close(bgNbdLogLikelihood(p, 200, 38, 40), 100.7957, 1e-4, 'x=200');
    for (const x of [500, 1000]) {
      const ll = bgNbdLogLikelihood(p, x, 39.5, 40);
      assert.ok(Number.isFinite(ll), `x=${x} gives ${ll}`);
      for (const value of [bgNbdConditionalExpected(p, 52, x, 39.5, 40), bgNbdProbabilityAlive(p, x, 39.5, 40)]) assert.ok(Number.isFinite(value), `x=${x}: ${value}`);
    }
  });

  test('expected purchases stay right for a new customer over a long horizon when a + b is large', () => {
    // A fit like one seen on a small demo brand: the hypergeometric term's argument −t/(α+T) fell below −1, where the
    // library's continuation returned −1.2e23 purchases. Checked against eq. 10 summed as a plain power series in
    // t/(α+T+t), which lies in [0, 1).
    const p: BgNbdParams = { r: 0.498, alpha: 5.31, a: 16.18, b: 109.6 };
    const series = (A: number, B: number, C: number, z: number) => {
      let sum = 1;
      let term = 1;
      for (let k = 0; k < 100_000 && Math.abs(term) > 1e-16 * sum; k++) sum += (term *= (((A + k) * (B + k)) / ((C + k) * (k + 1))) * z);
      return sum;
    };
    const eq10 = (t: number, x: number, T: number) =>
      ((p.a + p.b + x - 1) / (p.a - 1)) * (1 - Math.pow((p.alpha + T) / (p.alpha + T + t), p.r + x) * series(p.r + x, p.b + x, p.a + p.b + x - 1, t / (p.alpha + T + t)));
    for (const [x, T] of [[0, 1], [0, 10], [1, 10], [4, 51], [14, 51]] as const) {
      let before = 0;
      for (const t of [1, 4.3, 12.9, 52, 104]) {
        const value = bgNbdExpectedIfAlive(p, t, x, T);
        close(value, eq10(t, x, T), 1e-9, `x=${x} T=${T} t=${t}`);
        assert.ok(value > before, 'rises with the horizon');
        before = value;
      }
    }
    // Hundreds of purchases in a few weeks and a ten-year horizon: the series fails too, and the limit is given.
    const limit = (p.a + p.b + 200 - 1) / (p.a - 1);
    assert.equal(bgNbdExpectedIfAlive(p, 520, 200, 5), limit);
  });

  test('the analytic gradient agrees with finite differences', () => {
    const p = { r: 0.3, alpha: 5, a: 0.9, b: 2.2 };
    for (const [x, tx, T] of [[0, 0, 30], [3, 20, 35], [40, 30, 31]] as const) {
      assertGradient((q: typeof p, grad?: Float64Array) => bgNbdLogLikelihood(q, x, tx, T, grad), p, ['r', 'alpha', 'a', 'b'], 1e-5, ` at x=${x}`);
    }
  });
});

describe('BG/NBD totals', () => {
  test('the summed log-likelihood and gradient equal the per-customer ones added up, for BG/NBD and MBG/NBD, also where b = 1', async () => {
    const { bgNbdTotalLogLikelihood, betaGeometricLogLikelihood } = await import('../../../src/models/clv/bg-nbd.ts');
    const data = { x: Float64Array.of(0, 1, 5, 5, 40), tx: Float64Array.of(0, 3, 20, 25.5, 30), T: Float64Array.of(10, 12, 30, 30, 31), weight: Float64Array.of(3, 1, 2, 1, 1) };
    for (const [p, modified] of [[{ r: 0.4, alpha: 5, a: 0.8, b: 2.5 }, false], [{ r: 0.4, alpha: 5, a: 0.8, b: 2.5 }, true], [{ r: 1, alpha: 1, a: 1, b: 1 }, false]] as const) {
      const grad = new Float64Array(4);
      const total = bgNbdTotalLogLikelihood(p, data, grad, modified);
      const expectedGrad = new Float64Array(4);
      let expected = 0;
      for (let i = 0; i < data.x.length; i++) expected += data.weight[i]! * betaGeometricLogLikelihood(p, data.x[i]!, data.tx[i]!, data.T[i]!, modified, expectedGrad, data.weight[i]!);
      assert.ok(Math.abs(total - expected) < 1e-9, `${total} vs ${expected}`);
      expectedGrad.forEach((g, i) => assert.ok(Math.abs(grad[i]! - g) < 1e-9, `grad ${i}: ${grad[i]} vs ${g}`));
    }
  });

  test('the Hessian behind Newton fitting and standard errors equals central differences of the gradient', async () => {
    const { bgNbdTotalLogLikelihood } = await import('../../../src/models/clv/bg-nbd.ts');
    const data = { x: Float64Array.of(0, 0, 1, 5, 5, 40), tx: Float64Array.of(0, 0, 3, 20, 25.5, 30), T: Float64Array.of(10, 40, 12, 30, 30, 31), weight: Float64Array.of(3, 2, 1, 2, 1, 1) };
    for (const [p, modified] of [[{ r: 0.4, alpha: 5, a: 0.8, b: 2.5 }, false], [{ r: 0.4, alpha: 5, a: 0.8, b: 2.5 }, true], [{ r: 1, alpha: 1, a: 1, b: 1.5 }, false]] as const) {
      assertHessian((q: typeof p, grad: Float64Array, hess?: Float64Array) => bgNbdTotalLogLikelihood(q, data, grad, modified, hess), p, ['r', 'alpha', 'a', 'b'], 1e-5, ` (modified=${modified})`);
    }
  });
});

describe('BG/NBD on data without heterogeneity', () => {
  test('stops at the search bound, not converged, and names the parameters that ran off', () => {
    // Every customer buys at the same Poisson rate and nobody leaves: the likelihood keeps rising as α → ∞.
    const random = new Random(7);
    const x: number[] = [];
    const tx: number[] = [];
    const T: number[] = [];
    for (let i = 0; i < 3000; i++) {
      let t = 0;
      let count = 0;
      let last = 0;
      for (;;) {
        t += -Math.log(random.next()) / 0.2;
        if (t > 52) break;
        count++;
        last = t;
      }
      x.push(count);
      tx.push(last);
      T.push(52);
    }
    const fit = fitBgNbd(groupSummaries(x, tx, T).summary);
    assert.equal(fit.converged, false);
    assert.ok(fit.unbounded.includes('alpha'), `unbounded: ${fit.unbounded.join(', ')}`);
    assert.ok(Object.values(fit.params).every((v) => v >= 1e-7 * 0.99 && v <= 1e7 * 1.01), JSON.stringify(fit.params));
  });
});
