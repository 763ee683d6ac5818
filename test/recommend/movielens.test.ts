import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compareAlgorithms, evaluateRecommender, topK, trainAlgorithm } from '../../src/recommend/index.ts';

import { load, SPLITS } from './movielens.ts';

// Expected figures: ../shared/reference/REFERENCE.md §2.1.

const close = (actual: number, expected: number, what: string, tolerance = 1e-6) => assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} ≠ ${expected}`);
function assertMetrics(m: { map: number; ndcg: number; precision: number; recall: number }, expected: [number, number, number, number], what: string) {
  close(m.map, expected[0], `${what} MAP`);
  close(m.ndcg, expected[1], `${what} nDCG@10`);
  close(m.precision, expected[2], `${what} P@10`);
  close(m.recall, expected[3], `${what} R@10`);
}

test('SAR (jaccard, 30-day decay, normalize) on strat_user75 reproduces the quick-start notebook and its top-10 lists', () => {
  const { train, test: held } = load('strat_user75_seed42');
  const sar = trainAlgorithm('sar', train, { similarity: 'jaccard', timeDecayDays: 30, normalize: true });
  assertMetrics(evaluateRecommender(sar, held), [0.106959, 0.379533, 0.331071, 0.176837], 'sar');

  const golden = readFileSync(`${SPLITS}sar_top10.strat_user75_seed42.tsv`, 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t'));
  const scores = new Float64Array(sar.matrix.items.length);
  let user = '';
  let top: { item: number; score: number }[] = [];
  for (const [userId, rank, item, prediction] of golden) {
    if (userId !== user) {
      user = userId!;
      sar.scoreUser(sar.matrix.userIndex.get(user)!, scores);
      top = topK(sar.matrix, sar.matrix.userIndex.get(user)!, scores, 10);
    }
    const got = top[Number(rank) - 1]!;
    assert.equal(sar.matrix.items[got.item], item, `user ${user} rank ${rank}`);
    close(got.score, Number(prediction), `user ${user} rank ${rank} score`, 1e-6);
  }
  assert.equal(golden.length, 9430);
});

test('SAR with the defaults (normalize off) on strat_item75 reproduces the benchmark notebook', () => {
  const { train, test: held } = load('strat_item75_seed42');
  assertMetrics(evaluateRecommender(trainAlgorithm('sar', train), held), [0.114038, 0.393819, 0.340615, 0.185377], 'sar');
});

test('popularity with ties to the lower item id reproduces the derived figures on all three splits', () => {
  const expected: Record<string, [number, number, number, number]> = {
    random75_seed42: [0.054932, 0.252913, 0.224628, 0.111381],
    strat_user75_seed42: [0.055473, 0.249785, 0.22386, 0.110077],
    strat_item75_seed42: [0.055959, 0.252353, 0.228738, 0.113188],
  };
  for (const [split, figures] of Object.entries(expected)) {
    const { train, test: held } = load(split);
    assertMetrics(evaluateRecommender(trainAlgorithm('popular', train), held), figures, `popular on ${split}`);
  }
});

test('EASE tuned on a validation split of the training data beats BiVAE on strat_item75 (nDCG@10 ≥ 0.475, P@10 ≥ 0.41)', () => {
  const { train, test: held } = load('strat_item75_seed42');
  const report = compareAlgorithms(train, held, { algorithms: ['ease'] });
  const [ease] = report.results;
  assert.ok(ease!.tuning && ease!.tuning.length > 1, 'λ was tuned on the validation split');
  assert.ok(ease!.metrics.ndcg >= 0.475, `nDCG@10 ${ease!.metrics.ndcg}`);
  assert.ok(ease!.metrics.precision >= 0.41, `P@10 ${ease!.metrics.precision}`);
  assert.equal(ease!.metrics.users, 943);
});
