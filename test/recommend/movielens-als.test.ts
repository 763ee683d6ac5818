import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareAlgorithms } from '../../src/recommend/index.ts';
import { load } from './movielens.ts';

test('implicit ALS tuned on a validation split of the training data reaches nDCG@10 ≥ 0.475 and P@10 ≥ 0.41 on strat_item75', () => {
  const { train, test: held } = load('strat_item75_seed42');
  const [als] = compareAlgorithms(train, held, { algorithms: ['als'] }).results;
  assert.equal(als!.tuning?.length, 12);
  assert.deepEqual([als!.params.factors, als!.params.regularization, als!.params.alpha], [32, 30, 2], 'the validation split picks these');
  assert.ok(als!.metrics.ndcg >= 0.475, `nDCG@10 ${als!.metrics.ndcg}`);
  assert.ok(als!.metrics.precision >= 0.41, `P@10 ${als!.metrics.precision}`);
});
