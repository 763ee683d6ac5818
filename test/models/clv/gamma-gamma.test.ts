import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../../src/core/errors.ts';
import { fitGammaGamma, gammaGammaConditionalSpend, gammaGammaLogLikelihood, type GammaGammaParams } from '../../../src/models/clv/gamma-gamma.ts';
import { cdnowSample } from './cdnow.ts';
import { assertGradient, assertHessian, close } from './check.ts';

// Fader & Hardie (2013) note 025 and lifetimes' tests, via ../shared/reference/REFERENCE.md §1.3.

describe('Gamma-Gamma', () => {
  const customers = cdnowSample().sort((a, b) => a.id.localeCompare(b.id));
  const repeaters = customers.filter((c) => c.x > 0);
  const fit = fitGammaGamma({
    x: Float64Array.from(repeaters, (c) => c.x),
    monetary: Float64Array.from(repeaters, (c) => c.monetary),
    weight: new Float64Array(repeaters.length).fill(1),
  });

  test('fits the published p, q, γ and log-likelihood on the 946 CDNOW repeaters', () => {
    assert.equal(repeaters.length, 946);
    assert.ok(fit.converged);
    close(fit.params.p, 6.25, 0.005, 'p');
    close(fit.params.q, 3.74, 0.005, 'q');
    close(fit.params.gamma, 15.44, 0.005, 'γ');
    close(fit.logLikelihood, -4055.9177, 0.01, 'log-likelihood');
  });

  test('conditional expected spend for the first ten customers matches Hardie\'s spreadsheet', () => {
    const published = { p: 6.25, q: 3.74, gamma: 15.44 };
    const expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17];
    customers.slice(0, 10).forEach((c, i) => close(gammaGammaConditionalSpend(published, c.x, c.monetary), expected[i]!, 0.1, `customer ${c.id}`));
    const mean = customers.reduce((s, c) => s + gammaGammaConditionalSpend(fit.params, c.x, c.monetary), 0) / customers.length;
    close(mean, 35.2529588, 0.01, 'mean E[M] over all 2,357');
  });

  test('the analytic gradient agrees with finite differences', () => {
    const p = { p: 5, q: 3, gamma: 12 };
    assertGradient((q: typeof p, grad?: Float64Array) => gammaGammaLogLikelihood(q, 4, 27.5, grad), p, ['p', 'q', 'gamma'], 1e-6);
  });

  test('refuses rows without repeat purchases or with non-positive spend, naming them', () => {
    assert.throws(
      () => fitGammaGamma({ x: Float64Array.of(2, 0, 3), monetary: Float64Array.of(10, 5, -1), weight: Float64Array.of(1, 1, 1) }),
      (error: unknown) => isSiyuError(error) && error.kind === 'validation' && error.details.map((d) => d.path).join() === '[1],[2]',
    );
  });
});

describe('Gamma-Gamma totals', () => {
  test('the summed log-likelihood and gradient equal the per-customer ones added up', async () => {
    const { gammaGammaTotalLogLikelihood } = await import('../../../src/models/clv/gamma-gamma.ts');
    const data = { x: Float64Array.of(1, 1, 4, 9), monetary: Float64Array.of(12, 30.5, 18, 77), weight: Float64Array.of(2, 1, 1, 3) };
    const p = { p: 4, q: 3.5, gamma: 20 };
    const grad = new Float64Array(3);
    const total = gammaGammaTotalLogLikelihood(p, data, grad);
    const expectedGrad = new Float64Array(3);
    let expected = 0;
    for (let i = 0; i < 4; i++) expected += data.weight[i]! * gammaGammaLogLikelihood(p, data.x[i]!, data.monetary[i]!, expectedGrad, data.weight[i]!);
    assert.ok(Math.abs(total - expected) < 1e-9);
    expectedGrad.forEach((g, i) => assert.ok(Math.abs(grad[i]! - g) < 1e-8, `grad ${i}`));
  });

  test('the Hessian behind Newton fitting and standard errors equals central differences of the gradient', async () => {
    const { gammaGammaTotalLogLikelihood } = await import('../../../src/models/clv/gamma-gamma.ts');
    const data = { x: Float64Array.of(1, 1, 4, 9), monetary: Float64Array.of(12, 30.5, 18, 77), weight: Float64Array.of(2, 1, 1, 3) };
    assertHessian((q: GammaGammaParams, grad: Float64Array, hess?: Float64Array) => gammaGammaTotalLogLikelihood(q, data, grad, hess), { p: 4, q: 3.5, gamma: 20 }, ['p', 'q', 'gamma'], 1e-5);
  });
});
