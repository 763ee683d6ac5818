import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { computeRfm, layerMigration } from '../../src/segment/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { load } from './fixture.ts';

type Row = { customer_id: string; recency_days: number; frequency: number; monetary_fen: number; r_score: number; f_score: number; m_score: number; rfm_class: string };
const rows = (store: Store) => store.query<Row>('SELECT customer_id, recency_days, frequency, monetary_fen, r_score, f_score, m_score, rfm_class FROM rfm_scores ORDER BY customer_id');

for (const backend of BACKENDS) {
  describe(`RFM on ${backend}`, () => {
    test('measures, quintile scores and 8 classes against the mean match the hand computation', () =>
      withStore(backend, async (store) => {
        await load(store);
        const report = await computeRfm(store, { asOf: '2026-06-30', windowDays: 365, threshold: 'mean' });
        assert.equal(report.customers, 6, 'G never ordered and is left out');
        assert.ok(Math.abs(report.thresholds.recencyDays - 818 / 6) < 1e-9);
        assert.ok(Math.abs(report.thresholds.frequency - 11 / 6) < 1e-9);
        assert.ok(Math.abs(report.thresholds.monetary - 655) < 1e-9);
        assert.deepEqual(await rows(store), [
          { customer_id: 'A', recency_days: 2, frequency: 3, monetary_fen: 60000, r_score: 5, f_score: 5, m_score: 4, rfm_class: 'general_value' },
          { customer_id: 'B', recency_days: 29, frequency: 1, monetary_fen: 5000, r_score: 4, f_score: 2, m_score: 2, rfm_class: 'general_development' },
          { customer_id: 'C', recency_days: 211, frequency: 2, monetary_fen: 200000, r_score: 2, f_score: 4, m_score: 5, rfm_class: 'important_retention' },
          { customer_id: 'D', recency_days: 486, frequency: 0, monetary_fen: 0, r_score: 1, f_score: 1, m_score: 1, rfm_class: 'general_winback' },
          { customer_id: 'E', recency_days: 0, frequency: 1, monetary_fen: 8000, r_score: 5, f_score: 2, m_score: 3, rfm_class: 'general_development' },
          { customer_id: 'F', recency_days: 90, frequency: 4, monetary_fen: 120000, r_score: 3, f_score: 5, m_score: 5, rfm_class: 'important_value' },
        ]);
        const counts = Object.fromEntries(report.classes.map((c) => [c.code, c.customers]));
        assert.deepEqual(counts, { important_value: 1, important_development: 0, important_retention: 1, important_winback: 0, general_value: 1, general_development: 2, general_retention: 0, general_winback: 1 });
        assert.equal(report.grid.reduce((s, g) => s + g.customers, 0), 6);
        assert.deepEqual(report.grid.find((g) => g.r === 5 && g.f === 5), { r: 5, f: 5, customers: 1, meanMonetary: 600 });
      }));

    test('against the median the classes move, and a rerun replaces the scores', () =>
      withStore(backend, async (store) => {
        await load(store);
        await computeRfm(store, { asOf: '2026-06-30', threshold: 'mean' });
        const report = await computeRfm(store, { asOf: '2026-06-30', threshold: 'median' });
        assert.deepEqual([report.thresholds.recencyDays, report.thresholds.frequency, report.thresholds.monetary], [59.5, 1.5, 340]);
        const classes = Object.fromEntries((await rows(store)).map((r) => [r.customer_id, r.rfm_class]));
        assert.deepEqual(classes, { A: 'important_value', B: 'general_development', C: 'important_retention', D: 'general_winback', E: 'general_development', F: 'important_retention' });
      }));

    test('each run records the classes that changed, and the migration pairs every customer\'s class on two days', () =>
      withStore(backend, async (store) => {
        await load(store);
        const classes = async () => Object.fromEntries((await rows(store)).map((r) => [r.customer_id, r.rfm_class]));
        await computeRfm(store, { asOf: '2026-03-31' });
        const before = await classes();
        await computeRfm(store, { asOf: '2026-06-30', threshold: 'median' });
        await computeRfm(store, { asOf: '2026-06-30' }); // a rerun of the day replaces its changes
        const after = await classes();
        const changed = Object.keys(after).filter((c) => before[c] !== after[c]);
        assert.ok(changed.length > 0 && changed.length < Object.keys(after).length, 'the fixture moves some customers and keeps others');
        const history = await store.query<{ changed_on: string; n: number }>("SELECT CAST(changed_on AS VARCHAR) AS changed_on, count(*) AS n FROM layer_history WHERE layer = 'rfm_class' GROUP BY 1 ORDER BY 1");
        assert.deepEqual(history.map((h) => [h.changed_on, Number(h.n)]), [['2026-03-31', Object.keys(before).length], ['2026-06-30', changed.length]]);
        const want = new Map<string, number>();
        for (const [c, to] of Object.entries(after)) want.set(`${before[c] ?? '(none)'} → ${to}`, (want.get(`${before[c] ?? '(none)'} → ${to}`) ?? 0) + 1);
        const moved = await layerMigration(store, 'rfm_class', '2026-03-31', '2026-06-30');
        assert.deepEqual(new Map(moved.links.map((l) => [`${l.source} → ${l.target}`, l.customers])), want);
        await assert.rejects(layerMigration(store, 'rfm' as 'rfm_class', '2026-03-31', '2026-06-30'), (e: unknown) => isSiyuError(e) && e.code === 'invalid_layer');
      }));

    test('a shorter window counts fewer orders, and bad options are refused', () =>
      withStore(backend, async (store) => {
        await assert.rejects(computeRfm(store), (e: unknown) => isSiyuError(e) && e.code === 'no_orders');
        await load(store);
        await computeRfm(store, { asOf: '2026-06-30', windowDays: 60 });
        const f = Object.fromEntries((await rows(store)).map((r) => [r.customer_id, r.frequency]));
        assert.deepEqual(f, { A: 1, B: 1, C: 0, D: 0, E: 1, F: 0 }, 'the window is the 60 days 05-02…06-30, so A\'s order of 05-01 is out');
        await assert.rejects(computeRfm(store, { asOf: '30/06/2026' }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_date');
        await assert.rejects(computeRfm(store, { windowDays: 0 }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_window');
        await assert.rejects(computeRfm(store, { threshold: 'mode' as 'mean' }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_threshold');
      }));
  });
}
