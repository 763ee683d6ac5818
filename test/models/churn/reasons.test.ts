import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../../../src/core/random.ts';
import { CHURN_FEATURES, churnReasons, fitScorer, predictScorer, type ChurnFeatureName } from '../../../src/models/index.ts';

const column = (name: ChurnFeatureName) => CHURN_FEATURES.findIndex((f) => f.name === name);
const context = { horizonDays: 90, model: 'BG/NBD', money: '£' };

/** Customers whose churn depends on recency alone; every other feature is noise around a typical value. */
function customers(n: number, seed: number): { rows: Float64Array[]; labels: Uint8Array } {
  const rng = new Random(seed);
  const rows = Array.from({ length: n }, () => {
    const row = Float64Array.from(CHURN_FEATURES, () => rng.next() * 10);
    row[column('recency_days')] = rng.next() * 300;
    row[column('p_no_purchase')] = 0.3 + rng.next() * 0.4;
    return row;
  });
  const labels = Uint8Array.from(rows, (r) => (rng.next() < (r[column('recency_days')]! > 150 ? 0.85 : 0.15) ? 1 : 0));
  return { rows, labels };
}

test('a reason is shown only when it pushes the risk up and the value is on the side its sentence calls risky', () => {
  const { rows, labels } = customers(4000, 3);
  for (const kind of ['gbdt', 'logistic'] as const) {
    const scorer = fitScorer(kind, rows, labels, CHURN_FEATURES.map((f) => f.name));
    const late = Float64Array.from(rows[0]!);
    late[column('recency_days')] = 280;
    const early = Float64Array.from(late);
    early[column('recency_days')] = 10;
    assert.ok(predictScorer(scorer, late) > predictScorer(scorer, early) + 0.3, kind);
    const lateReasons = churnReasons(scorer, late, context);
    assert.equal(lateReasons[0]?.feature, 'recency_days', `${kind}: ${JSON.stringify(lateReasons)}`);
    assert.equal(lateReasons[0]!.en, '280 days since the last purchase');
    assert.equal(lateReasons[0]!.zh, '距上次购买已 280 天');
    assert.ok(!churnReasons(scorer, early, context).some((r) => r.feature === 'recency_days'), kind);
    // Across every customer: each reason adds risk and sits on its risky side of the training median.
    for (const row of rows.slice(0, 500)) {
      for (const r of churnReasons(scorer, row, context)) {
        const j = column(r.feature as ChurnFeatureName);
        assert.ok(r.contribution > 0);
        assert.ok(CHURN_FEATURES[j]!.risky === 'high' ? r.value > scorer.medians[j]! : r.value < scorer.medians[j]!, `${kind}: ${r.en}`);
      }
    }
  }
});

test('reason sentences name the quantity used: the model and horizon of P(no purchase), purchase days, the currency', () => {
  const say = (name: ChurnFeatureName, value: number) => CHURN_FEATURES[column(name)]!.en(value, context);
  assert.equal(say('p_no_purchase', 0.934), 'BG/NBD puts P(no purchase in the next 90 days) at 93%');
  assert.equal(say('orders_lifetime', 2), 'only 2 purchase days in all');
  assert.equal(say('spend_365d', 41.6), 'only £42 spent in the last year');
  assert.equal(CHURN_FEATURES[column('p_no_purchase')]!.zh(0.934, context), 'BG/NBD 预测未来 90 天不购买的概率为 93%');
});

test('the P(no purchase) baseline scores with the probability itself, and its reason needs it above the typical customer', () => {
  const { rows, labels } = customers(500, 4);
  const scorer = fitScorer('p_no_purchase', rows, labels, []);
  const row = Float64Array.from(rows[0]!);
  row[column('p_no_purchase')] = 0.95;
  assert.equal(predictScorer(scorer, row), 0.95);
  assert.deepEqual(churnReasons(scorer, row, context).map((r) => r.feature), ['p_no_purchase']);
  row[column('p_no_purchase')] = 0.31;
  assert.deepEqual(churnReasons(scorer, row, context), []);
});
