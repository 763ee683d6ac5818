import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rankingMetrics } from '../../src/recommend/index.ts';

test('ranking metrics follow the Microsoft Recommenders definitions, checked by hand', () => {
  // u1: hits at ranks 1 and 3 of 3 slots (k = 3), 4 test items. u2: no hit, 1 test item. u3: recommended but no
  // test items, so not evaluated. u4: test items but no list, so not evaluated.
  const m = rankingMetrics({
    k: 3,
    recommendations: new Map([['u1', ['a', 'x', 'b']], ['u2', ['y']], ['u3', ['a']]]),
    relevant: new Map([['u1', new Set(['a', 'b', 'c', 'd'])], ['u2', new Set(['z'])], ['u4', new Set(['a'])]]),
    itemUsers: new Map([['a', 4], ['b', 2], ['x', 1], ['y', 1], ['z', 1]]),
    trainUsers: 4,
  });
  assert.equal(m.users, 2);
  // MAP ("map"): u1 (1/1 + 2/3) / 4 test items, u2 0.
  assert.ok(Math.abs(m.map - (1 + 2 / 3) / 4 / 2) < 1e-12);
  // nDCG: u1 DCG 1/ln2 + 1/ln4 over IDCG 1/ln2 + 1/ln3 + 1/ln4 (min(4, k) = 3 slots).
  const idcg = 1 / Math.log(2) + 1 / Math.log(3) + 1 / Math.log(4);
  assert.ok(Math.abs(m.ndcg - (1 / Math.log(2) + 1 / Math.log(4)) / idcg / 2) < 1e-12);
  // Precision divides by k even for u2's one-item list.
  assert.ok(Math.abs(m.precision - (2 / 3 + 0) / 2) < 1e-12);
  assert.ok(Math.abs(m.recall - (2 / 4 + 0) / 2) < 1e-12);
  assert.deepEqual(m.hits, [1, 0, 1, 0]);
  // 4 distinct recommended items (a, x, b, y) of the 5 known; novelty over the 5 slots.
  assert.equal(m.coverage, 4 / 5);
  const novelty = (-Math.log2(4 / 4) * 2 - Math.log2(1 / 4) - Math.log2(2 / 4) - Math.log2(1 / 4)) / 5;
  assert.ok(Math.abs(m.novelty - novelty) < 1e-12);
});
