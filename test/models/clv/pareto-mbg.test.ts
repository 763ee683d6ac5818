import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fitMbgNbd, mbgNbdConditionalExpected, mbgNbdExpected, mbgNbdLogLikelihood, mbgNbdProbabilityAlive, mbgNbdProbabilityOfPurchases } from '../../../src/models/clv/mbg-nbd.ts';
import { fitParetoNbd, paretoNbdConditionalExpected, paretoNbdExpected, paretoNbdLogLikelihood, paretoNbdProbabilityAlive, paretoNbdProbabilityOfPurchases, paretoNbdTotalLogLikelihood } from '../../../src/models/clv/pareto-nbd.ts';
import { integrate } from '../../../src/models/math/quadrature.ts';
import { groupSummaries } from '../../../src/models/clv/summary.ts';
import { cdnowSample } from './cdnow.ts';
import { assertGradient, close } from './check.ts';

// ../shared/reference/REFERENCE.md §1.2 (Pareto/NBD) and §1.4 (MBG/NBD).

const customers = cdnowSample();
const { summary } = groupSummaries(
  customers.map((c) => c.x),
  customers.map((c) => c.tx),
  customers.map((c) => c.T),
);

describe('Pareto/NBD', () => {
  const fit = fitParetoNbd(summary);

  test('fits the published parameters and log-likelihood on CDNOW', () => {
    assert.ok(fit.converged, `did not converge (gradient ${fit.gradientNorm})`);
    close(fit.params.r, 0.553, 0.01, 'r');
    close(fit.params.alpha, 10.578, 0.05, 'alpha');
    close(fit.params.s, 0.606, 0.01, 's');
    close(fit.params.beta, 11.669, 0.05, 'beta');
    close(fit.logLikelihood, -9594.976, 0.01, 'log-likelihood');
  });

  test('expectations and P(alive) match the BTYD walkthrough', () => {
    close(paretoNbdExpected(fit.params, 52), 1.473434, 0.002, 'E[X(52)]');
    close(paretoNbdConditionalExpected(fit.params, 52, 26, 30.85714, 31), 25.45647, 0.02, 'customer 1516 E[X(52)]');
    close(paretoNbdProbabilityAlive(fit.params, 26, 30.85714, 31), 0.997874, 0.001, 'customer 1516 P(alive)');
    const paradox = [10, 15, 20, 25].map((x) => paretoNbdConditionalExpected(fit.params, 52, x, 20, 39));
    [0.7062289, 0.1442396, 0.02250658, 0.00309267].forEach((value, i) => close(paradox[i]!, value, Math.max(2e-4, value * 0.01), `paradox x=${10 + 5 * i}`));
  });

  test('the standard errors are close to CLVTools\'', () => {
    const se = fit.standardErrors!;
    close(se.r, 0.0476264, 0.002, 'se r');
    close(se.alpha, 0.8427222, 0.02, 'se alpha');
    close(se.s, 0.1872594, 0.01, 'se s');
    close(se.beta, 6.2105448, 0.3, 'se beta');
  });

  test('stays finite for heavy buyers and when α equals β', () => {
    const p = { r: 0.55, alpha: 10.5, s: 0.6, beta: 11.7 };
    for (const x of [200, 1000]) {
      for (const value of [paretoNbdLogLikelihood(p, x, 38, 40), paretoNbdProbabilityAlive(p, x, 38, 40), paretoNbdConditionalExpected(p, 52, x, 38, 40)]) assert.ok(Number.isFinite(value), `x=${x}: ${value}`);
    }
    assert.ok(Number.isFinite(paretoNbdLogLikelihood({ ...p, beta: p.alpha }, 3, 20, 30)));
  });

  test('the summed log-likelihood equals the per-customer one added up, and its gradient equals finite differences', () => {
    // Rows sharing (x, tx) and (x, T), tx = T (no time to drop out unseen), x = 0 and a heavy buyer; α above and below β.
    const data = { x: Float64Array.of(0, 2, 2, 2, 5, 40, 3), tx: Float64Array.of(0, 10, 10, 20, 30, 38, 25), T: Float64Array.of(30, 30, 35, 30, 40, 40, 25), weight: Float64Array.of(4, 1, 2, 3, 1, 1, 2) };
    for (const p of [{ r: 0.55, alpha: 10.5, s: 0.6, beta: 11.7 }, { r: 0.4, alpha: 8, s: 1.3, beta: 3 }]) {
      let expected = 0;
      for (let i = 0; i < data.x.length; i++) expected += data.weight[i]! * paretoNbdLogLikelihood(p, data.x[i]!, data.tx[i]!, data.T[i]!);
      close(paretoNbdTotalLogLikelihood(p, data), expected, 1e-9, 'total log-likelihood');
      assertGradient((q: typeof p, grad?: Float64Array) => paretoNbdTotalLogLikelihood(q, data, grad), p, ['r', 'alpha', 's', 'beta'], 1e-6, ` at α=${p.alpha}, β=${p.beta}`);
    }
  });
});

describe('MBG/NBD', () => {
  const fit = fitMbgNbd(summary);

  test('fits the parameters BTYDplus publishes on CDNOW', () => {
    assert.ok(fit.converged);
    close(fit.params.r, 0.525, 0.0005, 'r');
    close(fit.params.alpha, 6.183, 0.0005, 'alpha');
    close(fit.params.a, 0.891, 0.0005, 'a');
    close(fit.params.b, 1.614, 0.0005, 'b');
  });

  test('a customer without repeat purchases may have dropped out, unlike BG/NBD', () => {
    const alive = mbgNbdProbabilityAlive(fit.params, 0, 0, 30);
    assert.ok(alive > 0 && alive < 1, `P(alive) for x=0 is ${alive}`);
    assert.ok(mbgNbdConditionalExpected(fit.params, 39, 0, 0, 30) > 0);
    assert.ok(mbgNbdExpected(fit.params, 39) > mbgNbdExpected(fit.params, 10));
  });

  test('the analytic gradient agrees with finite differences', () => {
    const p = { r: 0.5, alpha: 6, a: 0.9, b: 1.6 };
    for (const [x, tx, T] of [[0, 0, 30], [4, 25, 33]] as const) {
      assertGradient((q: typeof p, grad?: Float64Array) => mbgNbdLogLikelihood(q, x, tx, T, grad), p, ['r', 'alpha', 'a', 'b'], 1e-5, ` at x=${x}`);
    }
  });
});

// P(X(t)=x) has no published values for these two models, so it is checked for what any distribution of X(t)
// must satisfy: the probabilities sum to 1 and their mean is the model's own closed-form E[X(t)].
describe('P(X(t)=x) for Pareto/NBD and MBG/NBD', () => {
  const pareto = { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };
  const mbg = { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 };
  for (const [name, probability, expected, params] of [
    ['Pareto/NBD', paretoNbdProbabilityOfPurchases, paretoNbdExpected, pareto],
    ['MBG/NBD', mbgNbdProbabilityOfPurchases, mbgNbdExpected, mbg],
  ] as const) {
    test(`${name}: sums to 1 with mean E[X(t)] at t = 1, 39 and 78 weeks`, () => {
      for (const t of [1, 39, 78]) {
        let total = 0;
        let mean = 0;
        for (let x = 0; x <= 400; x++) {
          const px = (probability as (p: typeof params, t: number, x: number) => number)(params, t, x);
          assert.ok(px >= 0 && Number.isFinite(px), `P(X(${t})=${x}) = ${px}`);
          total += px;
          mean += x * px;
        }
        close(total, 1, 1e-6, `${name} Σ P(X(${t})=x)`);
        close(mean, (expected as (p: typeof params, t: number) => number)(params, t), 1e-4, `${name} Σ x P(X(${t})=x)`);
      }
      assert.equal((probability as (p: typeof params, t: number, x: number) => number)(params, 0, 0), 1, 'nothing happens in no time');
    });
  }

  test('the quadrature integrates smooth functions to machine precision', () => {
    close(integrate(Math.exp, 0, 1), Math.E - 1, 1e-14, '∫ e^x on [0, 1]');
    close(integrate((x) => 1 / (1 + x * x), 0, 50), Math.atan(50), 1e-12, '∫ 1/(1+x²) on [0, 50]');
  });
});
