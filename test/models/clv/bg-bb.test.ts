import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { bgBbConditionalExpected, bgBbExpected, bgBbProbabilityAlive, bgBbProbabilityOfPurchases, fitBgBb } from '../../../src/models/clv/bg-bb.ts';
import { CDNOW_DIR } from './cdnow.ts';
import { close } from './check.ts';


describe('BG/BB', () => {
  // The donation data of Fader, Hardie & Shang (2010): 11,104 donors in 22 (x, tx, n) patterns over 6 years.
  const rows = readFileSync(new URL('donations.csv', CDNOW_DIR), 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').map(Number));
  const data = {
    x: Float64Array.from(rows, (r) => r[0]!),
    tx: Float64Array.from(rows, (r) => r[1]!),
    n: Float64Array.from(rows, (r) => r[2]!),
    weight: Float64Array.from(rows, (r) => r[3]!),
  };
  const fit = fitBgBb(data);

  test('fits the published α, β, γ, δ on the donation data', () => {
    assert.equal(rows.length, 22);
    assert.equal(fit.customers, 11_104);
    assert.ok(fit.converged);
    close(fit.params.alpha, 1.204, 0.005, 'α');
    close(fit.params.beta, 0.75, 0.005, 'β');
    close(fit.params.gamma, 0.657, 0.005, 'γ');
    close(fit.params.delta, 2.783, 0.005, 'δ');
  });

  test('the purchase distribution sums to one and agrees with E[X(n)]', () => {
    const probabilities = Array.from({ length: 7 }, (_, x) => bgBbProbabilityOfPurchases(fit.params, 6, x));
    close(probabilities.reduce((s, v) => s + v, 0), 1, 1e-9, 'Σ P(X(6)=x)');
    close(probabilities.reduce((s, v, x) => s + x * v, 0), bgBbExpected(fit.params, 6), 1e-9, 'E[X(6)]');
  });

  test('a donor who gave every year is more likely alive and expected to give more than one who stopped early', () => {
    const loyal = { alive: bgBbProbabilityAlive(fit.params, 6, 6, 6), next: bgBbConditionalExpected(fit.params, 5, 6, 6, 6) };
    const lapsed = { alive: bgBbProbabilityAlive(fit.params, 2, 2, 6), next: bgBbConditionalExpected(fit.params, 5, 2, 2, 6) };
    assert.ok(loyal.alive > 0.9 && lapsed.alive < 0.3, JSON.stringify({ loyal, lapsed }));
    assert.ok(loyal.next > 3 * lapsed.next);
    // Expected purchases in the next m years, summed over every donor, equal the aggregate forecast
    // Σ_n E[X(n+m)] − E[X(n)] for a cohort that all started together (their histories average out).
    const cohortForecast = bgBbExpected(fit.params, 11) - bgBbExpected(fit.params, 6);
    let individual = 0;
    for (let i = 0; i < rows.length; i++) individual += data.weight[i]! * bgBbConditionalExpected(fit.params, 5, data.x[i]!, data.tx[i]!, data.n[i]!);
    close(individual / fit.customers, cohortForecast, 0.01, 'mean conditional forecast');
  });
});
