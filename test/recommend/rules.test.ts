import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { mineRules } from '../../src/recommend/index.ts';

// Five baskets, by hand: a is in 4, b in 4 (twice in the last basket, counted once), c in 2;
// a+b in 3, a+c in 2, b+c in 1.
const BASKETS = [['a', 'b'], ['a', 'b', 'c'], ['a', 'c'], ['b'], ['a', 'b', 'b']];

test('pair rules carry support, confidence and lift computed by hand, sorted per antecedent by confidence', () => {
  const all = mineRules(BASKETS, { minOrders: 1, minSupport: 0, minConfidence: 0, minLift: 0 });
  const r = (x: (typeof all)[number]) => [x.antecedent, x.consequent, x.orders, x.support, x.confidence, x.lift];
  assert.deepEqual(all.map(r), [
    ['a', 'b', 3, 0.6, 0.75, 0.75 / 0.8],
    ['a', 'c', 2, 0.4, 0.5, 0.5 / 0.4],
    ['b', 'a', 3, 0.6, 0.75, 0.75 / 0.8],
    ['b', 'c', 1, 0.2, 0.25, 0.25 / 0.4],
    ['c', 'a', 2, 0.4, 1, 1 / 0.8],
    ['c', 'b', 1, 0.2, 0.5, 0.5 / 0.8],
  ]);
  // The defaults keep rules bought together more often than by chance (lift ≥ 1) from at least 3 baskets.
  assert.deepEqual(mineRules(BASKETS).map(r), []);
  assert.deepEqual(mineRules(BASKETS, { minOrders: 2 }).map((x) => `${x.antecedent}→${x.consequent}`), ['a→c', 'c→a']);
  assert.deepEqual(mineRules(BASKETS, { minOrders: 1, minLift: 0, minConfidence: 0.6 }).map((x) => `${x.antecedent}→${x.consequent}`), ['a→b', 'b→a', 'c→a']);
  assert.deepEqual(mineRules([]), []);
  assert.throws(() => mineRules(BASKETS, { minConfidence: 2 }), (e: unknown) => isSiyuError(e) && /minConfidence must be between 0 and 1/.test(e.message));
});
