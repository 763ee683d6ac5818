import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isSiyuError } from '../../../src/core/errors.ts';
import { importFile } from '../../../src/import/index.ts';
import { evaluateClv, fitClv, scoreClv } from '../../../src/models/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { BACKENDS, withStore } from '../../helpers/backends.ts';
import { CDNOW_DIR } from './cdnow.ts';
import { close } from './check.ts';


/** The raw CDNOW sample through `siyu import orders` with the shipped mapping, as a brand would load it. */
async function importCdnow(store: Store): Promise<void> {
  const report = await importFile(store, 'orders', fileURLToPath(new URL('CDNOW_sample.txt', CDNOW_DIR)), {
    mapping: fileURLToPath(new URL('../../../mappings/cdnow.json', import.meta.url)),
    rejectsPath: '/dev/null',
  });
  assert.deepEqual([report.accepted, report.rejected, report.customersCreated], [6919, 0, 2357]);
}

const rejectsWith = (kind: string, code: string) => (error: unknown) => isSiyuError(error) && error.kind === kind && error.code === code;

for (const backend of BACKENDS) {
  describe(`CLV pipeline on ${backend}`, () => {
    test('CDNOW imported from the raw file reproduces the published fits, then scores every customer', () =>
      withStore(backend, async (store) => {
        await importCdnow(store);
        const fit = await fitClv(store, { model: 'bgnbd', timeUnit: 'week', calibrationEnd: '1997-09-30' });
        assert.deepEqual([fit.customers, fit.excluded.length, fit.currency], [2357, 0, 'USD']);
        close(fit.frequency.params.r!, 0.243, 0.0005, 'r');
        close(fit.frequency.params.alpha!, 4.414, 0.0005, 'alpha');
        close(fit.frequency.params.a!, 0.793, 0.0005, 'a');
        close(fit.frequency.params.b!, 2.426, 0.0005, 'b');
        close(fit.frequency.logLikelihood, -9582.43, 0.01, 'log-likelihood');
        close(fit.spend!.params.p!, 6.25, 0.005, 'p');
        close(fit.spend!.params.q!, 3.74, 0.005, 'q');
        close(fit.spend!.params.gamma!, 15.44, 0.005, 'γ');

        const scores = await scoreClv(store, { horizonMonths: 12, monthlyDiscountRate: 0.01 });
        assert.deepEqual([scores.customers, scores.model, scores.asOf, scores.currency], [2357, 'bgnbd+gammagamma', '1997-09-30', 'USD']);
        const rows = await store.query<{ customer_id: string; clv_12m_fen: number; p_alive: number; expected_orders_90d: number }>(
          `SELECT customer_id, clv_12m_fen, p_alive, expected_orders_90d FROM clv_scores WHERE customer_id IN ('0001', '0006') ORDER BY customer_id`,
        );
        // REFERENCE.md §1.3 [DERIVED]: 36.28 and 283.52 with 4.345 weeks a month; Siyu's month is 365.25/12 days = 4.348 weeks.
        close(rows[0]!.clv_12m_fen / 100, 36.28, 0.1, 'customer 0001 CLV');
        close(rows[1]!.clv_12m_fen / 100, 283.52, 0.5, 'customer 0006 CLV');
        assert.ok(rows.every((r) => r.p_alive > 0 && r.p_alive <= 1 && r.expected_orders_90d > 0));
        await scoreClv(store);
        const [{ n }] = (await store.query<{ n: number }>('SELECT count(*) AS n FROM clv_scores')) as [{ n: number }];
        assert.equal(Number(n), 2357, 'scoring again replaces the scores');
      }));

    test('the holdout evaluation counts what customers really did and tracks the weekly curve', () =>
      withStore(backend, async (store) => {
        await importCdnow(store);
        const e = await evaluateClv(store, { model: 'bgnbd', timeUnit: 'week', calibrationEnd: '1997-09-30' });
        assert.deepEqual([e.holdoutEnd, e.holdoutLength, e.actualTotal, e.customers], ['1998-06-30', 39, 1882, 2357]);
        assert.deepEqual(e.byFrequency.map((b) => b.customers), [1411, 439, 214, 100, 62, 38, 29, 64]);
        assert.deepEqual(e.tracking.actual.slice(19, 25), [1359, 1414, 1484, 1517, 1573, 1672], 'BTYD walkthrough, weeks 20-25');
        close(e.predictedTotal, e.actualTotal, 0.15 * e.actualTotal, 'holdout total');
        const last = e.tracking.actual.length - 1;
        close(e.tracking.predicted[last]!, e.tracking.actual[last]!, 0.05 * e.tracking.actual[last]!, 'cumulative at week 78');
      }));

    test('bad requests fail clearly and write nothing', () =>
      withStore(backend, async (store) => {
        await assert.rejects(fitClv(store, { model: 'bgnbd', timeUnit: 'week' }), rejectsWith('not_found', 'no_orders'));
        await importCdnow(store);
        await assert.rejects(fitClv(store, { model: 'bgnbd', timeUnit: 'week', calibrationEnd: '30/09/1997' }), rejectsWith('validation', 'invalid_date'));
        await assert.rejects(fitClv(store, { model: 'bgnbd', timeUnit: 'week', calibrationEnd: '1990-01-01' }), rejectsWith('validation', 'nothing_to_fit'));
        await assert.rejects(evaluateClv(store, { model: 'bgnbd', timeUnit: 'week', calibrationEnd: '1998-06-30', holdoutEnd: '1998-01-01' }), rejectsWith('validation', 'invalid_holdout'));
        await assert.rejects(scoreClv(store), rejectsWith('not_found', 'no_fit'));
        await store.execute(
          `INSERT INTO model_fits (fit_id, model, time_unit, calibration_end, params, log_likelihood, customers, excluded, converged, fitted_at)
           VALUES ('bad', 'bgnbd', 'week', '1997-09-30', '{"r":1,"alpha":1,"a":1,"b":1}', -1, 1, 0, false, now())`,
        );
        await assert.rejects(scoreClv(store), rejectsWith('validation', 'fit_not_converged'));
        const [{ n }] = (await store.query<{ n: number }>('SELECT count(*) AS n FROM clv_scores')) as [{ n: number }];
        assert.equal(Number(n), 0);
      }));
  });
}

describe('scoreAll', () => {
  test('scores equal the per-customer definitions for every model: P(alive), E[Y(90 days)], and CLV from the monthly curve', async () => {
    const { scoreAll } = await import('../../../src/models/clv/pipeline.ts');
    const { FREQUENCY } = await import('../../../src/models/clv/frequency.ts');
    const { discountedValue } = await import('../../../src/models/clv/value.ts');
    const { gammaGammaConditionalSpend } = await import('../../../src/models/clv/gamma-gamma.ts');
    // Repeated (x, T) with different tx, repeated (x, tx, T), a one-time buyer and a heavy buyer.
    const x = Float64Array.of(0, 2, 2, 2, 5, 0, 40);
    const tx = Float64Array.of(0, 10, 20, 20, 30, 0, 38);
    const T = Float64Array.of(30, 30, 30, 30, 40, 12, 40);
    const meanRepeatValue = Float64Array.of(NaN, 25, 40, 40, 18, NaN, 60);
    const histories = { customerIds: [...x.keys()].map(String), x, tx, T, meanRepeatValue, holdout: new Float64Array(7), calibrationEnd: '2024-01-01', holdoutEnd: null, timeUnit: 'week' as const, currency: 'CNY', timezone: 'UTC' };
    const spend = { p: 6.25, q: 3.74, gamma: 15.44 };
    const options = { timeUnit: 'week' as const, horizonMonths: 12, monthlyDiscountRate: 0.01 };
    const params = { bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, mbgnbd: { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 }, paretonbd: { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 } };
    for (const model of ['bgnbd', 'mbgnbd', 'paretonbd'] as const) {
      const m = FREQUENCY[model];
      const scores = scoreAll(histories, model, params[model], spend, options);
      for (let i = 0; i < x.length; i++) {
        const where = `${model} customer ${i}`;
        const aov = gammaGammaConditionalSpend(spend, meanRepeatValue[i]! > 0 ? x[i]! : 0, meanRepeatValue[i]! > 0 ? meanRepeatValue[i]! : 0);
        const clv = discountedValue((t) => m.conditionalExpected(params[model], t, x[i]!, tx[i]!, T[i]!), aov, options).value;
        close(scores.probabilityAlive[i]!, m.probabilityAlive(params[model], x[i]!, tx[i]!, T[i]!), 1e-12, `${where} P(alive)`);
        close(scores.expectedOrders90d[i]!, m.conditionalExpected(params[model], 90 / 7, x[i]!, tx[i]!, T[i]!), 1e-12, `${where} E[Y(90 days)]`);
        close(scores.expectedAov[i]!, aov, 1e-9, `${where} E[M]`);
        close(scores.clv[i]!, clv, 1e-9 * Math.max(1, clv), `${where} CLV`);
      }
    }
  });
});
