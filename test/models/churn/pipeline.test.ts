import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../../src/core/errors.ts';
import { generateDemo } from '../../../src/demo/index.ts';
import { importFile, type ImportKind } from '../../../src/import/index.ts';
import { CHURN_FEATURES, churnDataset, churnWarnings, scoreChurn, trainChurn } from '../../../src/models/index.ts';
import { buildServerAs } from '../../helpers/auth.ts';
import type { Store } from '../../../src/store/index.ts';
import { BACKENDS, withStore } from '../../helpers/backends.ts';

// A 3,000-customer demo brand: repeat buyers buy and drop out as BG/NBD says, deal seekers and unhappy customers leave
// in ways it does not model, so whether they come back is learnable.
const files = generateDemo({ customers: 3000, seed: 5, end: new Date('2026-10-31T23:59:59Z'), days: 730, outDir: mkdtempSync(join(tmpdir(), 'siyu-churn-')) });

async function load(store: Store): Promise<void> {
  const steps: [ImportKind, string][] = [['customers', files.customers], ['products', files.products], ['orders', files.orders], ['order-items', files.orderItems], ['events', files.events]];
  for (const [kind, file] of steps) await importFile(store, kind, file, { rejectsPath: join(files.dir, `${kind}.rej`) });
}

for (const backend of BACKENDS) {
  describe(`churn on ${backend}`, () => {
    test('features at a cutoff ignore everything after it; labels say who did not buy in the horizon', () =>
      withStore(backend, async (store) => {
        await load(store);
        const before = await churnDataset(store, '2026-06-30', { labels: true });
        // An order the day after the cutoff changes the label of that customer only, never a feature.
        const id = before.customerIds[0]!;
        await store.insertRows('orders', ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'currency', 'updated_at'], [[id, 'LATE-1', new Date('2026-07-01T04:00:00Z'), 'completed', 99_900, 'CNY', new Date()]]);
        const after = await churnDataset(store, '2026-06-30', { labels: true });
        assert.deepEqual(after.customerIds, before.customerIds);
        after.rows.forEach((row, i) => {
          const feature = CHURN_FEATURES.findIndex((f) => f.name === 'p_no_purchase');
          // P(no purchase) comes from one BG/NBD fit on the history to the cutoff: unchanged too.
          assert.deepEqual([...row].filter((_, j) => j !== feature), [...before.rows[i]!].filter((_, j) => j !== feature), before.customerIds[i]);
          close(row[feature]!, before.rows[i]![feature]!);
        });
        assert.equal(after.labels![0], 0, 'bought in the horizon');
        assert.equal(after.labels!.reduce((s, y, i) => s + (y === before.labels![i] ? 0 : 1), 0), before.labels![0] === 1 ? 1 : 0);
        await assert.rejects(churnDataset(store, '2020-01-01'), (e: unknown) => isSiyuError(e) && e.code === 'no_buyers');
      }));

    test('on the demo the classifiers beat recency and frequency and match P(no purchase); scores, reasons and the warning list follow', () =>
      withStore(backend, async (store) => {
        await load(store);
        await assert.rejects(scoreChurn(store), (e: unknown) => isSiyuError(e) && e.code === 'no_churn_model');
        const trained = await trainChurn(store);
        const e = trained.evaluation;
        const daysBefore = (day: string, days: number) => new Date(Date.parse(`${e.end}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10) === day;
        assert.ok(daysBefore(e.validationCutoff, 90) && daysBefore(e.trainCutoff, 180), JSON.stringify(e));
        const auc = Object.fromEntries(e.models.map((m) => [m.model, m.metrics.auc]));
        assert.deepEqual(Object.keys(auc).sort(), ['frequency', 'gbdt', 'logistic', 'p_no_purchase', 'recency']);
        assert.ok(auc.gbdt! > 0.7 && auc.logistic! > 0.7, JSON.stringify(auc));
        // The demo's repeat buyers follow BG/NBD, so that model's own P(no purchase) ranks them well; but its deal seekers
        // leave after one order and unhappy customers after a refund, which BG/NBD cannot see and the GBDT, boosting from
        // P(no purchase) with the coupon and refund shares, can.
        assert.ok(auc.gbdt! > auc.p_no_purchase! && auc.gbdt! > auc.frequency! && auc.gbdt! > auc.recency!, JSON.stringify(auc));
        // The deployed model is the best on the validation window, and what was trained.
        assert.equal(e.deployed, [...e.models].sort((a, b) => b.metrics.auc - a.metrics.auc)[0]!.model);
        assert.equal(trained.kind, e.deployed);
        const scored = await scoreChurn(store);
        assert.equal(scored.modelId, trained.modelId);
        assert.equal(scored.horizonDays, 90);
        const [scores] = await store.query<{ bad: number }>('SELECT count(*) AS bad FROM churn_scores WHERE NOT (p_no_purchase BETWEEN 0 AND 1) OR horizon_days <> 90');
        assert.equal(Number(scores!.bad), 0);
        const { warnings } = await churnWarnings(store, { n: 10 });
        assert.equal(warnings.length, 10);
        for (let i = 1; i < warnings.length; i++) assert.ok(warnings[i - 1]!.priority >= warnings[i]!.priority);
        for (const w of warnings) {
          assert.ok(w.risk >= 0.5 && w.reasons.length <= 3 && w.reasons.every((r) => r.contribution > 0 && r.zh.length > 0));
          assert.ok(w.pNoPurchase >= 0 && w.pNoPurchase <= 1 && w.horizonDays === 90);
          assert.ok(!w.reasons.some((r) => /P\(alive\)/.test(r.en)), 'no reason speaks of P(alive)');
          assert.ok(Math.abs(w.priority - (w.risk * w.valueFen) / 100) < 1e-6);
        }
        await assert.rejects(churnWarnings(store, { minRisk: 2 }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_threshold');
        const app = await buildServerAs(store);
        try {
          const res = await app.inject({ url: '/v1/churn/warnings?n=3&min_risk=0.6' });
          assert.equal(res.statusCode, 200);
          assert.equal(res.json().warnings.length, 3);
          assert.ok(res.json().warnings.every((w: { risk: number }) => w.risk >= 0.6));
          assert.equal((await app.inject({ url: '/v1/churn/warnings?n=0' })).statusCode, 400);
        } finally {
          await app.close();
        }
      }));
  });
}

function close(a: number, b: number): void {
  assert.ok(Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);
}
