import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { assignVariant, ServingSnapshot, SnapshotServing, type RecommendationList, boughtTogetherFor, popularItems, type PopularScope, clearMerchandisingRule, fnv1a, recommendationPerformance, startExperiment, stopExperiment, computeReplenishment, listMerchandisingRules, loadTimeSplit, recommendationsFor, setMerchandisingRule, similarItemsFor, trainRecommendations } from '../../src/recommend/index.ts';
import { recordConsents } from '../../src/privacy/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

// A small shop. D is inactive; E runs out (replenish_days) so it may be offered again after a purchase.
const PRODUCTS: [sku: string, category: string, active: boolean, replenish: number | null, priceFen: number][] = [
  ['A', '饮料', true, null, 500], ['B', '饮料', true, null, 500], ['C', '饮料', true, null, 2000],
  ['D', '零食', false, null, 500], ['E', '零食', true, 14, 500], ['F', '个护', true, null, 800],
];
const BASKETS: [customer: string, day: string, skus: string[], status?: string][] = [
  ['c1', '2026-05-01', ['A', 'B']],
  ['c2', '2026-05-02', ['A', 'B', 'C']],
  ['c3', '2026-05-03', ['A', 'C']],
  ['c4', '2026-05-04', ['B', 'C', 'E']],
  ['c5', '2026-05-05', ['A', 'E']], ['c5', '2026-05-15', ['E']], ['c5', '2026-06-05', ['F']],
  ['c6', '2026-06-06', ['D', 'F']],
  ['c8', '2026-06-07', ['A', 'B']],
  ['c9', '2026-06-08', ['F'], 'cancelled'],
];

async function load(store: Store): Promise<void> {
  const at = new Date('2026-07-01T00:00:00Z');
  await store.insertRows('products', ['sku', 'name', 'category', 'is_active', 'replenish_days', 'price_fen'], PRODUCTS.map(([sku, category, active, replenish, price]) => [sku, `商品${sku}`, category, active, replenish, price]));
  const customers = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'];
  await store.insertRows('customers', ['customer_id', 'traits', 'created_at', 'updated_at'], customers.map((id) => [id, '{}', at, at]));
  // c8 refused personalised recommendations (PIPL art. 24): a decision in the consent ledger.
  await recordConsents(store, [{ customerId: 'c8', purpose: 'personalised_recommendation', status: 'withdrawn', source: 'test' }]);
  await store.insertRows(
    'orders',
    ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'currency', 'updated_at'],
    BASKETS.map(([customer, day, , status = 'completed'], i) => [customer, `O${i}`, new Date(`${day}T04:00:00Z`), status, 1000, 'CNY', at]),
  );
  await store.insertRows(
    'order_items',
    ['customer_id', 'order_id', 'line', 'sku', 'quantity', 'unit_price_fen', 'category'],
    BASKETS.flatMap(([customer, , skus], i) => skus.map((sku, line) => [customer, `O${i}`, line + 1, sku, 1, 500, PRODUCTS.find((p) => p[0] === sku)![1]])),
  );
}

const skus = (list: { items: { sku: string }[] }) => list.items.map((i) => i.sku);

for (const backend of BACKENDS) {
  describe(`recommendations from the store on ${backend}`, () => {
    test('purchases split at a date in the brand calendar; cancelled orders do not count', () =>
      withStore(backend, async (store) => {
        await load(store);
        const { train, test: held } = await loadTimeSplit(store, '2026-06-01');
        assert.equal(train.length, 13);
        assert.deepEqual(held.map((r) => `${r.user}:${r.item}`).sort(), ['c5:F', 'c6:D', 'c6:F', 'c8:A', 'c8:B']);
        await assert.rejects(loadTimeSplit(store, '2027-01-01'), (e: unknown) => isSiyuError(e) && e.code === 'empty_split');
        await assert.rejects(loadTimeSplit(store, '2026-13-01'), (e: unknown) => isSiyuError(e) && e.code === 'invalid_date');
      }));

    test('train precomputes candidates, and serving filters them online with reasons and fallbacks', () =>
      withStore(backend, async (store) => {
        await assert.rejects(trainRecommendations(store, { algorithm: 'sar' }), (e: unknown) => isSiyuError(e) && e.code === 'no_purchases');
        await load(store);
        const report = await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 } });
        assert.deepEqual([report.customers, report.items, report.interactions], [7, 6, 18]);

        // c1 bought A and B: C co-occurs with both, and bought non-consumables and the inactive D never come back.
        const c1 = await recommendationsFor(store, 'c1', { n: 3 });
        assert.equal(c1.personalized, true);
        assert.equal(c1.algorithm, 'sar');
        assert.equal(c1.items[0]!.sku, 'C');
        assert.ok(['A', 'B'].includes(c1.items[0]!.reason.sku!));
        assert.match(c1.items[0]!.reason.zh, /^因为您购买了商品[AB]$/);
        assert.ok(!skus(c1).some((s) => ['A', 'B', 'D'].includes(s)), skus(c1).join());

        // A consumable already bought may be offered again once the model no longer excludes it (popular fallback).
        const c5 = await recommendationsFor(store, 'c5', { n: 10 });
        assert.ok(!skus(c5).includes('A') && !skus(c5).includes('F'));

        const unknown = await recommendationsFor(store, 'nobody', { n: 3 });
        assert.deepEqual([unknown.known, unknown.personalized, unknown.notice], [false, false, 'unknown_customer']);
        assert.deepEqual(skus(unknown), ['A', 'B', 'C'], 'the most-bought items, ties to the lower id');
        assert.equal(unknown.items[0]!.reason.zh, '同类热销');

        const optedOut = await recommendationsFor(store, 'c8', { n: 3 });
        assert.deepEqual([optedOut.known, optedOut.personalized, optedOut.notice], [true, false, 'opted_out']);
        assert.ok(!skus(optedOut).includes('A') && !skus(optedOut).includes('B'));

        const noHistory = await recommendationsFor(store, 'c7');
        assert.equal(noHistory.notice, 'no_candidates');
        assert.ok(!skus(noHistory).includes('D'));

        const similar = await similarItemsFor(store, 'A', { n: 5 });
        assert.equal(similar.basis, 'model');
        assert.ok(similar.items.length > 0 && !skus(similar).includes('A') && !skus(similar).includes('D'));
        // A new SKU nobody has bought: similar by content. Same category (饮料) 3 + price within ×2 of 600 (A, B) 1.
        await store.insertRows('products', ['sku', 'name', 'category', 'brand', 'is_active', 'price_fen'], [['N', '新品', '饮料', null, true, 600]]);
        const cold = await similarItemsFor(store, 'N', { n: 3 });
        assert.deepEqual([cold.basis, cold.items.map((i) => [i.sku, i.score])], ['content', [['A', 4], ['B', 4], ['C', 3]]]);
        await assert.rejects(similarItemsFor(store, 'NOPE'), (e: unknown) => isSiyuError(e) && e.kind === 'not_found');
        await assert.rejects(recommendationsFor(store, 'c1', { n: 0 }), (e: unknown) => isSiyuError(e) && e.kind === 'validation');

        const again = await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 } });
        assert.notEqual(again.runId, report.runId);
        const [{ runs }] = (await store.query<{ runs: number }>('SELECT count(DISTINCT run_id) AS runs FROM recommendations')) as [{ runs: number }];
        assert.equal(Number(runs), 1, 'a new run of an algorithm replaces its candidates whole');
        assert.equal((await trainRecommendations(store, { params: { lambda: 1 } })).algorithm, 'ease', 'a small catalogue gets EASE by default');
        assert.equal((await recommendationsFor(store, 'c1')).algorithm, 'ease', 'lists come from the latest run');
      }));

    test('restock dates come from the customer\'s own gaps, else the SKU\'s replenish_days, else the category median', () =>
      withStore(backend, async (store) => {
        await load(store);
        const report = await computeReplenishment(store, { asOf: '2026-06-30' });
        // Only E has replenish_days or a repeat: c5 bought it on 05-05 and 05-15 (own gap 10), c4 once (SKU: 14 days).
        assert.deepEqual(report.byBasis, { own: 1, sku: 1, category: 0 });
        const rows = await store.query('SELECT customer_id, sku, last_purchase, purchases, interval_days, basis, due FROM replenishment ORDER BY customer_id, sku');
        assert.deepEqual(rows, [
          { customer_id: 'c4', sku: 'E', last_purchase: '2026-05-04', purchases: 1, interval_days: 14, basis: 'sku', due: '2026-05-18' },
          { customer_id: 'c5', sku: 'E', last_purchase: '2026-05-15', purchases: 2, interval_days: 10, basis: 'own', due: '2026-05-25' },
        ]);
        // With one interval enough for a category median, 零食's median (10 days) covers D, which has no replenish_days.
        const loose = await computeReplenishment(store, { asOf: '2026-06-30', minCategoryIntervals: 1 });
        assert.deepEqual(loose.byBasis, { own: 1, sku: 1, category: 1 });
        assert.deepEqual(await store.query("SELECT customer_id, interval_days, due FROM replenishment WHERE basis = 'category'"), [{ customer_id: 'c6', interval_days: 10, due: '2026-06-16' }]);
        // The as-of day bounds the purchases used.
        assert.deepEqual((await computeReplenishment(store, { asOf: '2026-05-10' })).byBasis, { own: 0, sku: 2, category: 0 });
      }));

    test('due consumables lead the list, and bought-together comes from the baskets', () =>
      withStore(backend, async (store) => {
        await load(store);
        const report = await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 }, rules: { minOrders: 2 }, replenish: { asOf: '2026-06-30' } });
        assert.equal(report.replenishment.pairs, 2);
        const c5 = await recommendationsFor(store, 'c5', { n: 4, today: '2026-05-20' });
        assert.equal(c5.items[0]!.sku, 'E');
        assert.deepEqual(c5.items[0]!.reason, { kind: 'restock', due: '2026-05-25', zh: '该补货了（预计 2026-05-25 用完）', en: 'Time to restock (due 2026-05-25)' });
        assert.equal(c5.personalized, true);
        // Long overdue (more than one interval past due) or not yet due within the window: no restock.
        assert.ok(!(await recommendationsFor(store, 'c5', { n: 4, today: '2026-07-30' })).items.some((i) => i.reason.kind === 'restock'));
        assert.ok(!(await recommendationsFor(store, 'c5', { n: 4, today: '2026-05-10' })).items.some((i) => i.reason.kind === 'restock'));
        // C is in 3 of the 9 baskets, with A in 2 and with B in 2: equal confidence, and B (in 4 baskets) has more
        // lift than A (in 5), so it comes first.
        const together = await boughtTogetherFor(store, 'C');
        assert.deepEqual(together.items.map((i) => [i.sku, i.orders, i.confidence]), [['B', 2, 2 / 3], ['A', 2, 2 / 3]]);
        await assert.rejects(boughtTogetherFor(store, 'NOPE'), (e: unknown) => isSiyuError(e) && e.code === 'unknown_sku');
      }));

    test('merchandising rules pin, boost and bury; a value tier\'s price band puts in-band items first', () =>
      withStore(backend, async (store) => {
        await load(store);
        await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 }, replenish: { asOf: '2026-06-30' } });
        const today = '2026-06-30';
        const before = skus(await recommendationsFor(store, 'c1', { n: 3, today }));
        assert.equal(before[0], 'C');
        await setMerchandisingRule(store, { sku: 'F', action: 'pin', note: '618 promotion' });
        const pinned = await recommendationsFor(store, 'c1', { n: 3, today });
        assert.deepEqual([pinned.items[0]!.sku, pinned.items[0]!.reason.kind, pinned.items[0]!.reason.zh], ['F', 'featured', '精选推荐']);
        assert.equal((await recommendationsFor(store, 'nobody', { n: 1 })).items[0]!.sku, 'F', 'pins reach non-personalised lists too');
        await setMerchandisingRule(store, { sku: 'C', action: 'bury' });
        assert.ok(!skus(await recommendationsFor(store, 'c1', { n: 5, today })).includes('C'));
        assert.ok(!skus(await recommendationsFor(store, 'nobody', { n: 5 })).includes('C'));
        assert.deepEqual((await listMerchandisingRules(store)).map((r) => [r.sku, r.action, r.factor]), [['C', 'bury', 1], ['F', 'pin', 1]]);
        assert.equal(await clearMerchandisingRule(store, 'C'), true);
        assert.equal(await clearMerchandisingRule(store, 'C'), false);
        await clearMerchandisingRule(store, 'F');
        // Boosting the last candidate by a large factor moves it to the top.
        const last = before[before.length - 1]!;
        await setMerchandisingRule(store, { sku: last, action: 'boost', factor: 100 });
        assert.equal(skus(await recommendationsFor(store, 'c1', { n: 3, today }))[0], last);
        await clearMerchandisingRule(store, last);
        await assert.rejects(setMerchandisingRule(store, { sku: 'NOPE', action: 'pin' }), (e: unknown) => isSiyuError(e) && e.kind === 'not_found');
        await assert.rejects(setMerchandisingRule(store, { sku: 'A', action: 'boost', factor: -1 }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_factor');

        // Head-tier customers paid 500 a unit; C (2000) and F (800) fall outside the band and go after E (500).
        const at = new Date();
        await store.insertRows('tier_scores', ['customer_id', 'tier', 'basis', 'value_fen', 'as_of', 'computed_at'], [['c1', 'head', 'monetary', 1000, '2026-06-30', at]]);
        const report = await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 }, replenish: { asOf: '2026-06-30' } });
        assert.equal(report.priceBands, 1);
        assert.deepEqual(await store.query('SELECT tier, min_fen, max_fen FROM tier_price_bands'), [{ tier: 'head', min_fen: 500, max_fen: 500 }]);
        const banded = skus(await recommendationsFor(store, 'c1', { n: 3, today }));
        assert.equal(banded[0], 'E');
        assert.deepEqual(banded.slice(1).sort(), ['C', 'F']);
      }));

    test('an A/B experiment splits customers between algorithms by a fixed hash, and the report credits clicks and purchases', () =>
      withStore(backend, async (store) => {
        await load(store);
        await assert.rejects(startExperiment(store, 'exp1', [{ algorithm: 'ease', share: 0.5 }, { algorithm: 'sar', share: 0.5 }]), (e: unknown) => isSiyuError(e) && e.code === 'untrained_algorithm');
        await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 } });
        await trainRecommendations(store, { algorithm: 'ease', params: { lambda: 1 } });
        const [{ n }] = (await store.query<{ n: number }>('SELECT count(DISTINCT algorithm) AS n FROM recommendations')) as [{ n: number }];
        assert.equal(Number(n), 2, 'each algorithm keeps its own candidates');
        await assert.rejects(startExperiment(store, 'exp1', [{ algorithm: 'ease', share: 0.5 }, { algorithm: 'sar', share: 0.4 }]), /sum to 1/);
        const experiment = await startExperiment(store, 'exp1', [{ algorithm: 'ease', share: 0.5 }, { algorithm: 'sar', share: 0.5 }]);
        await assert.rejects(startExperiment(store, 'exp2', [{ algorithm: 'ease', share: 0.5 }, { algorithm: 'sar', share: 0.5 }]), (e: unknown) => isSiyuError(e) && e.code === 'experiment_running');
        for (const id of ['c1', 'c2', 'c3', 'c4']) {
          const list = await recommendationsFor(store, id, { slot: 'sidebar' });
          const expected = assignVariant(experiment, id).algorithm;
          assert.deepEqual([list.algorithm, list.tracking.variant, list.tracking.experiment, list.tracking.slot], [expected, expected, 'exp1', 'sidebar']);
          assert.equal((await recommendationsFor(store, id)).algorithm, expected, 'the same variant every time');
        }
        const counts = { ease: 0, sar: 0 };
        for (let i = 0; i < 10_000; i++) counts[assignVariant(experiment, `M${i}`).algorithm as 'ease' | 'sar']++;
        assert.ok(Math.abs(counts.ease - 5000) < 200, JSON.stringify(counts));
        assert.equal(fnv1a('a'), 0xe40c292c, 'FNV-1a 32-bit test vector');
        await stopExperiment(store, 'exp1');
        assert.equal((await recommendationsFor(store, 'c1')).tracking.experiment, null);
        await assert.rejects(stopExperiment(store, 'exp1'), (e: unknown) => isSiyuError(e) && e.kind === 'not_found');

        // c1 sees an ease list and clicks C, then buys two C within 7 days; c2 clicks E on a sar list and buys it 20
        // days later (too late); c3 only views. Times are UTC; the brand day of each is the same date.
        const at = (iso: string) => new Date(iso);
        const event = (id: string, customer: string, name: string, ts: string, properties: object) => [customer, id, 'track', name, properties, at(ts), at(ts)];
        await store.insertRows('events', ['customer_id', 'message_id', 'type', 'name', 'properties', 'ts', 'received_at'], [
          event('v1', 'c1', 'Recommendation Viewed', '2026-06-10T02:00:00Z', { recommendation_id: 'r1', algorithm: 'ease', slot: 'sidebar', experiment: 'exp1' }),
          event('k1', 'c1', 'Recommendation Clicked', '2026-06-10T02:01:00Z', { recommendation_id: 'r1', algorithm: 'ease', slot: 'sidebar', experiment: 'exp1', sku: 'C' }),
          event('v2', 'c2', 'Recommendation Viewed', '2026-06-10T03:00:00Z', { recommendation_id: 'r2', algorithm: 'sar', slot: 'sidebar', experiment: 'exp1' }),
          event('v2b', 'c2', 'Recommendation Viewed', '2026-06-10T03:00:05Z', { recommendation_id: 'r2', algorithm: 'sar', slot: 'sidebar', experiment: 'exp1' }),
          event('k2', 'c2', 'Recommendation Clicked', '2026-06-10T03:01:00Z', { recommendation_id: 'r2', algorithm: 'sar', slot: 'sidebar', experiment: 'exp1', sku: 'E' }),
          event('v3', 'c3', 'Recommendation Viewed', '2026-06-11T03:00:00Z', { recommendation_id: 'r3', algorithm: 'sar', slot: 'app_home' }),
        ]);
        const placed = new Date('2026-07-01T00:00:00Z');
        await store.insertRows('orders', ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'currency', 'updated_at'], [
          ['c1', 'R1', at('2026-06-12T04:00:00Z'), 'completed', 4000, 'CNY', placed],
          ['c2', 'R2', at('2026-06-30T04:00:00Z'), 'completed', 500, 'CNY', placed],
        ]);
        await store.insertRows('order_items', ['customer_id', 'order_id', 'line', 'sku', 'quantity', 'unit_price_fen'], [['c1', 'R1', 1, 'C', 2, 2000], ['c2', 'R2', 1, 'E', 1, 500]]);
        const report = await recommendationPerformance(store);
        assert.deepEqual(report.rows, [
          { algorithm: 'ease', slot: 'sidebar', views: 1, clicks: 1, ctr: 1, conversions: 1, conversionRate: 1, revenueFen: 4000 },
          { algorithm: 'sar', slot: 'app_home', views: 1, clicks: 0, ctr: 0, conversions: 0, conversionRate: 0, revenueFen: 0 },
          { algorithm: 'sar', slot: 'sidebar', views: 1, clicks: 1, ctr: 1, conversions: 0, conversionRate: 0, revenueFen: 0 },
        ]);
        assert.deepEqual((await recommendationPerformance(store, { experiment: 'exp1' })).rows.map((r) => r.slot), ['sidebar', 'sidebar']);
        assert.deepEqual((await recommendationPerformance(store, { from: '2026-06-11' })).rows.map((r) => [r.algorithm, r.slot]), [['sar', 'app_home']]);
        await assert.rejects(recommendationPerformance(store, { from: '2026-06-11', to: '2026-06-01' }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_window');
      }));

    test('best-sellers overall, trending, per channel and per tier; a customer without candidates gets their segment\'s', () =>
      withStore(backend, async (store) => {
        await load(store);
        await store.execute("UPDATE orders SET channel = '小程序' WHERE customer_id IN ('c1', 'c2')");
        await store.execute("UPDATE customers SET channel = '小程序' WHERE customer_id = 'c7'");
        await store.insertRows('tier_scores', ['customer_id', 'tier', 'basis', 'value_fen', 'as_of', 'computed_at'], [['c4', 'tail', 'monetary', 1000, '2026-06-30', new Date()]]);
        await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 } });
        const list = async (scope: PopularScope, value?: string) => (await popularItems(store, scope, value)).items.map((i) => [i.sku, i.buyers]);
        // Buyers: A 5, B 4, C 3, E 2, F 2 (D is inactive and hidden); ties to the lower SKU.
        assert.deepEqual(await list('global'), [['A', 5], ['B', 4], ['C', 3], ['E', 2], ['F', 2]]);
        assert.deepEqual(await list('channel', '小程序'), [['A', 2], ['B', 2], ['C', 1]]);
        assert.deepEqual(await list('tier', 'tail'), [['B', 1], ['C', 1], ['E', 1]]);
        // Trending weighs recent purchases: F was bought on 06-05 and 06-06, the latest orders but one.
        assert.equal((await list('trending'))[0]![0], 'F');
        await assert.rejects(popularItems(store, 'channel'), (e: unknown) => isSiyuError(e) && e.code === 'missing_value');
        const c7 = await recommendationsFor(store, 'c7', { n: 4 });
        assert.deepEqual([c7.notice, skus(c7)], ['no_candidates', ['A', 'B', 'C', 'E']], "the channel's best-sellers, then the overall ones");
      }));

    test('the in-memory serving snapshot gives the same lists as the SQL path, rules, bands, restock and experiments included', () =>
      withStore(backend, async (store) => {
        await load(store);
        await store.execute("UPDATE customers SET channel = '小程序' WHERE customer_id IN ('c7', 'c3')");
        await store.execute("UPDATE orders SET channel = '小程序' WHERE customer_id IN ('c1', 'c2')");
        await store.insertRows('tier_scores', ['customer_id', 'tier', 'basis', 'value_fen', 'as_of', 'computed_at'], [['c1', 'head', 'monetary', 1000, '2026-06-30', new Date()], ['c4', 'tail', 'monetary', 10, '2026-06-30', new Date()]]);
        await trainRecommendations(store, { algorithm: 'ease', params: { lambda: 1 }, replenish: { asOf: '2026-06-30' } });
        await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 }, replenish: { asOf: '2026-06-30' } });
        await setMerchandisingRule(store, { sku: 'F', action: 'pin' });
        await setMerchandisingRule(store, { sku: 'B', action: 'boost', factor: 3 });
        await setMerchandisingRule(store, { sku: 'C', action: 'bury' });
        const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'nobody'];
        const compare = async (label: string) => {
          const snapshot = await ServingSnapshot.load(store);
          for (const id of ids) {
            for (const options of [{ n: 3, today: '2026-05-20' }, { n: 10, today: '2026-06-30' }, { n: 5, today: '2026-05-12', maxPerCategory: 1 }]) {
              const strip = (l: RecommendationList) => ({ ...l, tracking: { ...l.tracking, recommendation_id: '' } });
              assert.deepEqual(strip(snapshot.list(id, options)), strip(await recommendationsFor(store, id, options)), `${label}: ${id} ${JSON.stringify(options)}`);
            }
          }
        };
        await compare('latest run');
        await store.execute("UPDATE products SET stock = 0 WHERE sku = 'E'");
        await compare('E out of stock');
        assert.ok(!skus(await recommendationsFor(store, 'c5', { n: 10, today: '2026-05-20' })).includes('E'), 'an out-of-stock SKU is never offered, not even to restock');
        await startExperiment(store, 'same', [{ algorithm: 'ease', share: 0.5 }, { algorithm: 'sar', share: 0.5 }]);
        await compare('during an experiment');
        // The server's wrapper serves the same and picks up a change in this process once invalidated.
        const serving = new SnapshotServing(store);
        assert.equal(serving.ready, false);
        assert.equal((await serving.list('c1', { n: 3 })).items[0]!.reason.kind, 'featured', 'the SQL path answers until the snapshot is loaded');
        await serving.start();
        assert.equal(serving.ready, true);
        assert.equal((await serving.list('c1', { n: 3 })).items[0]!.reason.kind, 'featured');
        await clearMerchandisingRule(store, 'F');
        await serving.invalidate();
        assert.notEqual((await serving.list('c1', { n: 3 })).items[0]!.reason.kind, 'featured');

        // A withdrawal and a fresh grant in the ledger reach a loaded snapshot at its next check, without a reload.
        const snapshot = await ServingSnapshot.load(store);
        await recordConsents(store, [{ customerId: 'c1', purpose: 'personalised_recommendation', status: 'withdrawn', source: 'test' }, { customerId: 'c8', purpose: 'personalised_recommendation', status: 'granted', source: 'test' }]);
        assert.equal(snapshot.list('c1').notice, null, 'not seen before the check');
        assert.equal(await snapshot.catchUpConsent(store), 2);
        assert.deepEqual([snapshot.list('c1').notice, snapshot.list('c8').notice], ['opted_out', (await recommendationsFor(store, 'c8')).notice]);
        assert.equal((await recommendationsFor(store, 'c1')).notice, 'opted_out');
      }));

    test('the HTTP API serves lists and similar items, with 400 for a bad n and 404 for an unknown SKU', () =>
      withStore(backend, async (store) => {
        await load(store);
        await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 } });
        const app = await buildServerAs(store);
        try {
          const ok = await app.inject({ url: '/v1/recommendations/c1?n=2&context=sidebar' });
          assert.equal(ok.statusCode, 200);
          assert.deepEqual(ok.json().items.length, 2);
          assert.equal(ok.json().personalized, true);
          const unknown = await app.inject({ url: '/v1/recommendations/nobody' });
          assert.deepEqual([unknown.statusCode, unknown.json().notice], [200, 'unknown_customer']);
          const bad = await app.inject({ url: '/v1/recommendations/c1?n=101' });
          assert.equal(bad.statusCode, 400);
          assert.match(JSON.stringify(bad.json()), /n/);
          assert.equal((await app.inject({ url: '/v1/items/A/similar?n=3' })).statusCode, 200);
          const together = await app.inject({ url: '/v1/items/A/bought-together?n=3' });
          assert.equal(together.statusCode, 200);
          assert.equal(together.json().sku, 'A');
          const popular = await app.inject({ url: '/v1/items/popular?scope=trending&n=2' });
          assert.deepEqual([popular.statusCode, popular.json().items.length], [200, 2]);
          assert.equal((await app.inject({ url: '/v1/items/popular?scope=weekly' })).statusCode, 400);
          const missing = await app.inject({ url: '/v1/items/NOPE/similar' });
          assert.equal(missing.statusCode, 404);
          assert.match(missing.json().message, /no product with SKU "NOPE"/);
        } finally {
          await app.close();
        }
      }));
  });
}
