import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeLtvCohorts, computeRetention } from '../../src/analytics/index.ts';
import { bgNbdConditionalExpected, bgNbdProbabilityAlive } from '../../src/models/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { loadKpiFixture } from './fixture.ts';

// Hand-computed in docs/analytics.md, "The test fixture". First purchases: A 10 May, J 26 May, D 28 May, B 3 June,
// C 7 June (local); the latest order is B's on 10 July.

for (const backend of BACKENDS) {
  describe(`analytics retention and LTV cohorts (${backend})`, () => {
    it('builds the monthly retention matrix of first-purchase cohorts with counts, shares and unfinished periods', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeRetention(store, { grain: 'month' });
        assert.equal(r.dataEnd, '2026-07-10');
        assert.deepEqual(
          r.cohorts.map((c) => [c.start, c.customers, c.periods.map((p) => [p.k, p.customers, p.isComplete])]),
          [
            ['2026-05-01', 3, [[0, 3, true], [1, 2, true], [2, 0, false]]],
            ['2026-06-01', 2, [[0, 2, true], [1, 1, false]]],
          ],
        );
        assert.equal(r.cohorts[0]!.periods[1]!.share, 2 / 3);
      }));

    it('counts D1, D7 and D30 as returning within N days of the first purchase day', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeRetention(store);
        assert.deepEqual(
          r.dayN.map((d) => [d.days, d.returned, d.eligible]),
          [[1, 2, 5], [7, 3, 5], [30, 4, 5]],
        );
        // Only buyers whose first day plus N is on or before the last data day count: from 10 July, 30 days back is 10 June.
        const early = await computeRetention(store, { to: '2026-05-31', cohorts: 1 });
        assert.deepEqual(early.dayN.map((d) => d.eligible), [3, 3, 3]);
      }));

    it('counts any event of the customer’s own as returning with the events basis', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeRetention(store, { basis: 'events' });
        assert.deepEqual(r.cohorts[0]!.periods.map((p) => p.customers), [3, 2, 1]);
      }));

    it('builds weekly cohorts from Monday', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeRetention(store, { grain: 'week' });
        const a = r.cohorts.find((c) => c.start === '2026-05-04')!; // A's first purchase was Sunday 10 May
        assert.equal(a.customers, 1);
        assert.deepEqual(a.periods.filter((p) => p.customers > 0).map((p) => [p.k, p.start]), [[0, '2026-05-04'], [4, '2026-06-01']]);
      }));

    it('gives cumulative net paid per customer by acquisition month, observed and partial, without a CLV fit', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeLtvCohorts(store, { months: 3 });
        assert.equal(r.forecast, null);
        assert.match(r.forecastNote!, /no CLV scores/);
        assert.deepEqual(
          r.cohorts.map((c) => [c.month, c.customers, c.cells.map((cell) => [cell.k, cell.valueFen, cell.state])]),
          [
            ['2026-05', 3, [[0, 8000, 'observed'], [1, 28000, 'observed'], [2, 28000, 'partial']]],
            ['2026-06', 2, [[0, 15000, 'observed'], [1, 17500, 'partial']]],
          ],
        );
      }));

    it('forecasts the months not yet over from the latest CLV fit: observed to date plus expected purchases × expected spend', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        await storeFit(store);
        const r = await computeLtvCohorts(store, { months: 3 });
        assert.equal(r.forecast?.model, 'bgnbd');
        const may = r.cohorts[0]!;
        assert.deepEqual(may.cells.map((c) => c.state), ['observed', 'observed', 'forecast', 'forecast']);
        // 10 July is 10 days after the calibration end (30 June); July ends 31 days after it, August 62.
        const expected = (customers: string[], tDays: number) =>
          customers.reduce((sum, id) => {
            const h = HISTORIES[id]!;
            const ifAlive = (t: number) => bgNbdConditionalExpected(PARAMS, t, h.x, h.tx, h.T) / bgNbdProbabilityAlive(PARAMS, h.x, h.tx, h.T);
            return sum + h.pAlive * h.aovFen * (ifAlive(tDays) - ifAlive(10));
          }, 0);
        assert.equal(may.cells[2]!.valueFen, Math.round((84000 + expected(['A', 'D', 'J'], 31)) / 3));
        assert.equal(may.cells[3]!.valueFen, Math.round((84000 + expected(['A', 'D', 'J'], 62)) / 3));
        assert.ok(may.cells[3]!.valueFen > may.cells[2]!.valueFen && may.cells[2]!.valueFen > 28000);
        const june = r.cohorts[1]!;
        assert.equal(june.cells[1]!.valueFen, Math.round((35000 + expected(['B', 'C'], 31)) / 2));
      }));
  });
}

const PARAMS = { r: 0.5, alpha: 10, a: 0.8, b: 2.5 };
// Histories as of 30 June in days (x repeat days, tx first to last, T first to 30 June) and the scores' P(alive), E[M].
const HISTORIES: Record<string, { x: number; tx: number; T: number; pAlive: number; aovFen: number }> = {
  A: { x: 2, tx: 26, T: 51, pAlive: 0.9, aovFen: 21000 },
  D: { x: 1, tx: 7, T: 33, pAlive: 0.8, aovFen: 9000 },
  J: { x: 1, tx: 1, T: 35, pAlive: 0.5, aovFen: 5000 },
  B: { x: 0, tx: 0, T: 27, pAlive: 1, aovFen: 12000 },
  C: { x: 1, tx: 1, T: 23, pAlive: 0.7, aovFen: 8000 },
};

/** A scored BG/NBD fit in days with calibration end 30 June, as `siyu clv fit` and `siyu clv score` leave it. */
async function storeFit(store: Store): Promise<void> {
  const now = new Date('2026-07-01T00:00:00Z');
  await store.insertRows(
    'model_fits',
    ['fit_id', 'model', 'time_unit', 'calibration_end', 'params', 'log_likelihood', 'customers', 'excluded', 'converged', 'fitted_at'],
    [['fit1', 'bgnbd', 'day', '2026-06-30', PARAMS, -100, 5, 0, true, now]],
  );
  await store.insertRows(
    'clv_histories',
    ['customer_id', 'x', 'recency_days', 'age_days', 'mean_repeat_fen', 'fit_id'],
    Object.entries(HISTORIES).map(([id, h]) => [id, h.x, h.tx, h.T, h.x > 0 ? h.aovFen : null, 'fit1']),
  );
  await store.insertRows(
    'clv_scores',
    ['customer_id', 'p_alive', 'expected_orders_90d', 'expected_aov_fen', 'clv_12m_fen', 'as_of'],
    Object.entries(HISTORIES).map(([id, h]) => [id, h.pAlive, 1, h.aovFen, 0, '2026-06-30']),
  );
  await store.insertRows(
    'clv_runs',
    ['run_id', 'model', 'fit_id', 'spend_fit_id', 'currency', 'as_of', 'horizon_months', 'monthly_discount_rate', 'customers', 'scored_at'],
    [['run1', 'bgnbd+gammagamma', 'fit1', null, 'CNY', '2026-06-30', 12, 0.01, 5, now]],
  );
}
