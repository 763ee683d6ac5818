import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    rejectsPath: join(mkdtempSync(join(tmpdir(), 'siyu-cdnow-')), 'rejects.csv'),
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
        close(fit.frequency!.params.r!, 0.243, 0.0005, 'r');
        close(fit.frequency!.params.alpha!, 4.414, 0.0005, 'alpha');
        close(fit.frequency!.params.a!, 0.793, 0.0005, 'a');
        close(fit.frequency!.params.b!, 2.426, 0.0005, 'b');
        close(fit.frequency!.logLikelihood, -9582.43, 0.01, 'log-likelihood');
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
        const [run] = await store.query<{ model: string; fit_id: string; spend_fit_id: string; currency: string; as_of: string; horizon_months: number; customers: number }>(
          'SELECT model, fit_id, spend_fit_id, currency, as_of, horizon_months, customers FROM clv_runs',
        );
        assert.deepEqual(run, { model: 'bgnbd+gammagamma', fit_id: fit.frequency!.fitId, spend_fit_id: fit.spend!.fitId, currency: 'USD', as_of: '1997-09-30', horizon_months: 12, customers: 2357 });
        // Scoring reads the histories the fit saved; built again from the orders, they give the same scores.
        const saved = await store.query<{ fit_id: string; n: number }>('SELECT fit_id, count(*) AS n FROM clv_histories GROUP BY fit_id');
        assert.deepEqual(saved.map((r) => [r.fit_id, Number(r.n)]), [[fit.frequency!.fitId, 2357]]);
        const all = 'SELECT customer_id, p_alive, expected_orders_90d, expected_aov_fen, clv_12m_fen FROM clv_scores ORDER BY customer_id';
        const fromSaved = await store.query(all);
        await store.execute('DELETE FROM clv_histories');
        await scoreClv(store);
        assert.deepEqual(await store.query(all), fromSaved);
        const [{ n }] = (await store.query<{ n: number }>('SELECT count(*) AS n FROM clv_scores')) as [{ n: number }];
        assert.equal(Number(n), 2357, 'scoring again replaces the scores');
        assert.equal((await store.query('SELECT run_id FROM clv_runs')).length, 2, 'each run is recorded');
        const spendOnly = await fitClv(store, { model: 'gammagamma', timeUnit: 'week', calibrationEnd: '1997-09-30' });
        assert.equal(spendOnly.frequency, null, '--model gammagamma refits spend alone');
        close(spendOnly.spend!.params.p!, 6.25, 0.005, 'p, spend alone');
        const models = await store.query<{ model: string; n: number }>('SELECT model, count(*) AS n FROM model_fits GROUP BY model ORDER BY model');
        assert.deepEqual(models.map((m) => [m.model, Number(m.n)]), [['bgnbd', 1], ['gammagamma', 2]]);
      }));

    test('BG/BB from the store: the donation patterns as weekly orders reproduce the published fit', () =>
      withStore(backend, async (store) => {
        // Fader, Hardie & Shang (2010): 11,104 donors in (x, tx, n) patterns over 6 yearly opportunities. Each donor
        // becomes a customer whose opportunities are weeks: a first order 6 weeks before the calibration end, then
        // one (sometimes two, on different days of the week) orders in each week she gave, the last in week tx.
        const patterns = readFileSync(new URL('donations.csv', CDNOW_DIR), 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').map(Number));
        const end = Date.parse('2024-06-30');
        const day = (daysBefore: number) => new Date(end - daysBefore * 86_400_000).toISOString().slice(0, 10);
        const lines = ['order_id,customer_id,placed_at,total'];
        let customer = 0;
        for (const [x, tx, n, weight] of patterns as [number, number, number, number][]) {
          for (let k = 0; k < weight; k++) {
            const id = `D${++customer}`;
            lines.push(`${id}-0,${id},${day(7 * n + 3)},50`);
            for (let j = tx - x + 1; j <= tx; j++) {
              const back = 7 * (n - j);
              lines.push(`${id}-${j},${id},${day(back + 1)},${10 + ((customer * 7 + j * 13) % 41)}`);
              if (customer % 3 === 0) lines.push(`${id}-${j}b,${id},${day(back + 5)},${5 + ((customer + j) % 17)}`); // the same week: one opportunity
            }
          }
        }
        const dir = mkdtempSync(join(tmpdir(), 'siyu-bgbb-'));
        try {
          writeFileSync(join(dir, 'donations.csv'), lines.join('\n'));
          const report = await importFile(store, 'orders', join(dir, 'donations.csv'), { rejectsPath: join(dir, 'rejects.csv') });
          assert.equal(report.rejected, 0);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        const fit = await fitClv(store, { model: 'bgbb', timeUnit: 'week', calibrationEnd: '2024-06-30' });
        assert.equal(fit.frequency!.customers, 11_104);
        assert.ok(fit.frequency!.converged && fit.spend?.converged);
        close(fit.frequency!.params.alpha!, 1.204, 0.005, 'α');
        close(fit.frequency!.params.beta!, 0.75, 0.005, 'β');
        close(fit.frequency!.params.gamma!, 0.657, 0.005, 'γ');
        close(fit.frequency!.params.delta!, 2.783, 0.005, 'δ');
        const scores = await scoreClv(store, { model: 'bgbb' });
        assert.deepEqual([scores.customers, scores.model], [11_104, 'bgbb+gammagamma']);
        // A donor who gave in every week against one who gave once, in week 1.
        const rows = await store.query<{ customer_id: string; p_alive: number }>(`SELECT customer_id, p_alive FROM clv_scores WHERE customer_id IN ('D1', 'D11104') ORDER BY customer_id`);
        const byId = Object.fromEntries(rows.map((r) => [r.customer_id, r.p_alive]));
        assert.ok(byId.D11104! > 0.9, `loyal donor P(alive) ${byId.D11104}`);
        assert.ok(byId.D1! < byId.D11104!, `a donor who never gave again (${byId.D1}) is less likely alive than a loyal one`);
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

describe('frequencyScores', () => {
  test('scores equal the per-customer definitions for every model: P(alive), E[Y(90 days)], and CLV from the monthly curve', async () => {
    const { frequencyScores } = await import('../../../src/models/clv/pipeline.ts');
    const { FREQUENCY } = await import('../../../src/models/clv/frequency.ts');
    const { discountedValue } = await import('../../../src/models/clv/value.ts');
    const { gammaGammaConditionalSpend, gammaGammaSpendLine } = await import('../../../src/models/clv/gamma-gamma.ts');
    // Repeated (x, T) with different tx, repeated (x, tx, T), a one-time buyer and a heavy buyer.
    const x = Float64Array.of(0, 2, 2, 2, 5, 0, 40);
    const tx = Float64Array.of(0, 10, 20, 20, 30, 0, 38);
    const T = Float64Array.of(30, 30, 30, 30, 40, 12, 40);
    const meanRepeatValue = Float64Array.of(NaN, 25, 40, 40, 18, NaN, 60);
    const spend = { p: 6.25, q: 3.74, gamma: 15.44 };
    const options = { timeUnit: 'week' as const, horizonMonths: 12, monthlyDiscountRate: 0.01 };
    const params = { bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, mbgnbd: { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 }, paretonbd: { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 } };
    for (const model of ['bgnbd', 'mbgnbd', 'paretonbd'] as const) {
      const m = FREQUENCY[model];
      const scores = frequencyScores({ x, tx, T }, model, params[model], options);
      for (let i = 0; i < x.length; i++) {
        const where = `${model} customer ${i}`;
        const repeats = meanRepeatValue[i]! > 0;
        const aov = gammaGammaConditionalSpend(spend, repeats ? x[i]! : 0, repeats ? meanRepeatValue[i]! : 0);
        // The line the pipeline hands to the engine gives the same spend.
        const line = gammaGammaSpendLine(spend, repeats ? x[i]! : 0);
        close(line.intercept + (repeats ? line.slope * meanRepeatValue[i]! : 0), aov, 1e-9, `${where} E[M] as a line`);
        const clv = discountedValue((t) => m.conditionalExpected(params[model], t, x[i]!, tx[i]!, T[i]!), aov, options).value;
        close(scores.probabilityAlive[i]!, m.probabilityAlive(params[model], x[i]!, tx[i]!, T[i]!), 1e-12, `${where} P(alive)`);
        close(scores.expectedOrders90d[i]!, m.conditionalExpected(params[model], 90 / 7, x[i]!, tx[i]!, T[i]!), 1e-12, `${where} E[Y(90 days)]`);
        close(aov * scores.valuePerSpend[i]!, clv, 1e-9 * Math.max(1, clv), `${where} CLV`);
      }
    }
  });
});
