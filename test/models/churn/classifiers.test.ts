import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../../../src/core/random.ts';
import { fitGbdt, gbdtContributions, predictGbdt } from '../../../src/models/churn/gbdt.ts';
import { fitLogistic, logisticContributions, predictLogistic } from '../../../src/models/churn/logistic.ts';
import { classifierMetrics } from '../../../src/models/churn/metrics.ts';
import { close } from '../clv/check.ts';

test('classifier metrics by hand: AUC with ties, average precision, top 10%, Brier and calibration bins', () => {
  // Churners score 0.9, 0.7, 0.4; stayers 0.8, 0.6, 0.5. Pairs won: 3 + 2 + 0 of 9.
  const m = classifierMetrics([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], [1, 0, 1, 0, 0, 1]);
  close(m.auc, 5 / 9, 1e-12, 'AUC');
  close(m.prAuc, (1 + 2 / 3 + 3 / 6) / 3, 1e-12, 'average precision');
  assert.deepEqual([m.precisionAt10, m.recallAt10], [1, 1 / 3]);
  close(m.brier, (0.01 + 0.64 + 0.09 + 0.36 + 0.25 + 0.36) / 6, 1e-12, 'Brier');
  assert.equal(m.calibration.reduce((s, b) => s + b.n, 0), 6);
  assert.equal(classifierMetrics([0.5, 0.5], [1, 0]).auc, 0.5, 'a tie counts half');
  assert.ok(Number.isNaN(classifierMetrics([0.1, 0.2], [0, 0]).auc), 'no churner, no AUC');
});

function draw(n: number, seed: number, label: (x: number[]) => boolean): { rows: Float64Array[]; labels: Uint8Array } {
  const random = new Random(seed);
  const rows: Float64Array[] = [];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = [random.normal(), random.normal(), random.normal()];
    rows.push(Float64Array.from(x));
    labels[i] = label(x) ? 1 : 0;
  }
  return { rows, labels };
}

test('logistic regression learns a linear boundary, and its contributions add up to the log-odds', () => {
  const train = draw(2000, 1, (x) => 2 * x[0]! - x[1]! + 0.5 * new Random(Math.round(x[2]! * 1e6)).normal() > 0);
  const test_ = draw(1000, 2, (x) => 2 * x[0]! - x[1]! > 0);
  const model = fitLogistic(train.rows, train.labels, { l2: 0.001 });
  const auc = classifierMetrics(test_.rows.map((r) => predictLogistic(model, r)), test_.labels).auc;
  assert.ok(auc > 0.97, `AUC ${auc}`);
  assert.ok(model.weights[0]! > 0 && model.weights[1]! < 0 && Math.abs(model.weights[2]!) < Math.abs(model.weights[1]!) / 3, `weights ${[...model.weights]}`);
  const row = test_.rows[0]!;
  const logit = model.weights[3]! + logisticContributions(model, row).reduce((s, c) => s + c, 0);
  close(1 / (1 + Math.exp(-logit)), predictLogistic(model, row), 1e-12, 'contributions');
});

test('gradient boosting learns an interaction a linear model cannot, with contributions that add up', () => {
  const xor = (x: number[]) => x[0]! > 0 !== x[1]! > 0;
  const train = draw(3000, 3, xor);
  const test_ = draw(1000, 4, xor);
  const gbdt = fitGbdt(train.rows, train.labels, { trees: 60, depth: 3 });
  const linear = fitLogistic(train.rows, train.labels);
  const gbdtAuc = classifierMetrics(test_.rows.map((r) => predictGbdt(gbdt, r)), test_.labels).auc;
  const linearAuc = classifierMetrics(test_.rows.map((r) => predictLogistic(linear, r)), test_.labels).auc;
  assert.ok(gbdtAuc > 0.95, `GBDT AUC ${gbdtAuc}`);
  assert.ok(linearAuc < 0.6, `logistic AUC ${linearAuc}`);
  const row = test_.rows[5]!;
  const rootSum = gbdt.trees.reduce((s, t) => s + gbdt.learningRate * t.value[0]!, gbdt.base);
  const logit = rootSum + gbdtContributions(gbdt, row).reduce((s, c) => s + c, 0);
  close(1 / (1 + Math.exp(-logit)), predictGbdt(gbdt, row), 1e-12, 'Saabas contributions');
  assert.throws(() => fitGbdt([], []), /no rows/);
});
