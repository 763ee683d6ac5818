import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBreakdown, computeKpis, type KpiReport } from '../../src/analytics/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { loadKpiFixture } from './fixture.ts';

// Every figure below is worked out by hand in docs/analytics.md, "The test fixture".
const metric = (report: KpiReport, key: string) => report.metrics.find((m) => m.key === key)!;
const close = (actual: number | null, expected: number) => assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

for (const backend of BACKENDS) {
  describe(`analytics KPIs (${backend})`, () => {
    it('counts GMV, orders and buyers over purchase orders of the week in local days, and compares them with the week before', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeKpis(store, { from: '2026-06-01', to: '2026-06-08' });
        assert.deepEqual(r.comparison, { from: '2026-05-25', to: '2026-06-01', kind: 'previous' });
        assert.equal(r.bucket, 'day');
        assert.equal(r.currency, 'CNY');
        const gmv = metric(r, 'gmvFen');
        assert.deepEqual([gmv.value, gmv.previous, gmv.change], [83000, 14000, 69000]);
        close(gmv.changeRatio, 69000 / 14000);
        assert.deepEqual(gmv.series.map((p) => p.value), [0, 20000, 15000, 10000, 30000, 0, 8000]);
        assert.deepEqual(gmv.series.map((p) => p.start), ['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04', '2026-06-05', '2026-06-06', '2026-06-07']);
        assert.deepEqual([metric(r, 'orders').value, metric(r, 'orders').previous], [5, 3]);
        assert.deepEqual([metric(r, 'buyers').value, metric(r, 'buyers').previous], [4, 2]);
        assert.equal(gmv.definition.en.name, 'GMV');
        assert.match(gmv.definition.zh.definition, /实付金额减已退款金额/);
      }));

    it('shows AOV per order and spend per buyer (客单价) side by side, and the repeat rate', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeKpis(store, { from: '2026-06-01', to: '2026-06-08' });
        assert.deepEqual([metric(r, 'aovFen').value, metric(r, 'aovFen').previous], [16600, 4667]);
        assert.deepEqual([metric(r, 'spendPerBuyerFen').value, metric(r, 'spendPerBuyerFen').previous], [20750, 7000]);
        assert.deepEqual([metric(r, 'repeatRate').value, metric(r, 'repeatRate').previous], [0.25, 0.5]);
        close(metric(r, 'repeatRate').change, -0.25);
        assert.deepEqual(metric(r, 'aovFen').series.map((p) => p.value), [null, 20000, 15000, 10000, 30000, null, 8000]);
      }));

    it('counts new buyers by their first purchase ever, their share, and their 30-day repurchase including orders after the period', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeKpis(store, { from: '2026-06-01', to: '2026-06-08' });
        assert.deepEqual([metric(r, 'newBuyers').value, metric(r, 'newBuyers').previous], [2, 2]);
        assert.deepEqual([metric(r, 'newBuyerShare').value, metric(r, 'newBuyerShare').previous], [0.5, 1]);
        assert.deepEqual([metric(r, 'newBuyerRepurchaseRate').value, metric(r, 'newBuyerRepurchaseRate').previous], [0.5, 1]);
        assert.deepEqual(metric(r, 'newBuyers').series.map((p) => p.value), [0, 0, 1, 0, 0, 0, 1]);
        const longer = await computeKpis(store, { from: '2026-06-01', to: '2026-06-08', repurchaseDays: 40 });
        assert.equal(metric(longer, 'newBuyerRepurchaseRate').value, 1);
      }));

    it('counts active customers from purchases and their own events, over the base registered before the period ends', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeKpis(store, { from: '2026-06-01', to: '2026-06-08' });
        assert.deepEqual([metric(r, 'activeCustomers').value, metric(r, 'activeCustomers').previous], [7, 2]);
        close(metric(r, 'activeRatio').value, 0.7);
        close(metric(r, 'activeRatio').previous, 2 / 9);
        assert.deepEqual(metric(r, 'activeCustomers').series.map((p) => p.value), [0, 1, 2, 1, 2, 1, 1]);
        assert.deepEqual(
          metric(r, 'activeRatio').series.map((p) => p.value),
          [0, 1 / 9, 2 / 9, 1 / 9, 2 / 10, 1 / 9, 1 / 9],
        );
      }));

    it('compares with the same dates a year before, leaving ratios without orders null', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeKpis(store, { from: '2026-06-01', to: '2026-06-08', compare: 'year' });
        assert.deepEqual(r.comparison, { from: '2025-06-01', to: '2025-06-08', kind: 'year' });
        const gmv = metric(r, 'gmvFen');
        assert.deepEqual([gmv.previous, gmv.change, gmv.changeRatio], [0, 83000, null]);
        assert.deepEqual([metric(r, 'aovFen').previous, metric(r, 'aovFen').change], [null, null]);
      }));

    it('defaults to the seven days ending with the latest order day', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeKpis(store);
        assert.deepEqual(r.period, { from: '2026-07-04', to: '2026-07-11' });
        assert.equal(metric(r, 'gmvFen').value, 5000);
      }));

    const breakdowns: [string, Parameters<typeof computeBreakdown>[1]['by'], [string, number, number, number, number][]][] = [
      // value, GMV, orders, buyers, new buyers
      ['channel', 'channel', [['天猫', 38000, 2, 2, 1], ['小程序', 35000, 2, 2, 1], ['线下门店', 10000, 1, 1, 0]]],
      ['store', 'store', [['(none)', 73000, 4, 3, 2], ['S1', 10000, 1, 1, 0]]],
      ['city (a customer field)', 'city', [['上海', 65000, 3, 2, 1], ['(none)', 10000, 1, 1, 0], ['北京', 8000, 1, 1, 1]]],
      ['category, sharing an order among its categories by line value', 'category', [['(none)', 63000, 4, 4, 2], ['个护', 12000, 1, 1, 0], ['彩妆', 8000, 1, 1, 0]]],
      ['tier', 'tier', [['head', 50000, 2, 1, 0], ['(none)', 18000, 2, 2, 1], ['tail', 15000, 1, 1, 1]]],
      ['stage', 'stage', [['repeat', 50000, 2, 1, 0], ['(none)', 18000, 2, 2, 1], ['new', 15000, 1, 1, 1]]],
      ['segment membership on the last day', 'segment', [['vip', 58000, 3, 2, 1], ['(none)', 25000, 2, 2, 1]]],
    ];
    for (const [title, by, expected] of breakdowns) {
      it(`breaks the week down by ${title}`, () =>
        withStore(backend, async (store) => {
          await loadKpiFixture(store);
          const r = await computeBreakdown(store, { by, from: '2026-06-01', to: '2026-06-08' });
          assert.deepEqual(
            r.rows.map((row) => [row.value, row.gmvFen, row.orders, row.buyers, row.newBuyers]),
            expected,
          );
          const first = r.rows[0]!;
          close(first.gmvShare, expected[0]![1] / 83000);
          assert.equal(first.aovFen, Math.round(first.gmvFen / first.orders));
        }));
    }

    it('gives the repeat rate within a breakdown value', () =>
      withStore(backend, async (store) => {
        await loadKpiFixture(store);
        const r = await computeBreakdown(store, { by: 'city', from: '2026-06-01', to: '2026-06-08' });
        assert.equal(r.rows.find((row) => row.value === '上海')!.repeatRate, 0.5);
        const seg = await computeBreakdown(store, { by: 'segment', from: '2026-06-01', to: '2026-06-08' });
        assert.equal(seg.membershipDay, '2026-06-07');
      }));
  });
}
