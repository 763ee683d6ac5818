import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { groupSummaries } from '../../../src/models/clv/summary.ts';

describe('repeat-buying summaries', () => {
  test('identical (x, tx, T) rows become one weighted row and distinct ones stay apart, whatever the values', () => {
    // Whole numbers, fractions of a week and repeats, in an order that would collide under a weak hash.
    const rows: [number, number, number][] = [];
    for (let copy = 0; copy < 3; copy++) for (let x = 0; x < 40; x++) for (const T of [1, 2, 10 / 7, 52]) rows.push([x, x === 0 ? 0 : Math.min(T, x / 7), T]);
    const { summary, invalid } = groupSummaries(rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]));
    assert.deepEqual(invalid, []);
    assert.equal(summary.x.length, 160);
    assert.ok(summary.weight.every((w) => w === 3));
    const keys = new Set([...summary.x.keys()].map((i) => `${summary.x[i]}|${summary.tx[i]}|${summary.T[i]}`));
    assert.equal(keys.size, 160, 'every group is a distinct row');
  });

  const cases: { title: string; row: [number, number, number]; reason: RegExp }[] = [
    { title: 'a negative purchase count', row: [-1, 0, 5], reason: /x must be a whole number/ },
    { title: 'a fractional purchase count', row: [1.5, 1, 5], reason: /x must be a whole number/ },
    { title: 'recency after the calibration end', row: [2, 6, 5], reason: /T \(5\) must be ≥ tx \(6\)/ },
    { title: 'a first purchase on the calibration end', row: [0, 0, 0], reason: /T must be > 0/ },
    { title: 'recency without repeat purchases', row: [0, 2, 5], reason: /must have tx = 0/ },
    { title: 'a missing value', row: [1, NaN, 5], reason: /finite/ },
  ];
  for (const c of cases) {
    test(`reports and excludes ${c.title}`, () => {
      const { summary, invalid } = groupSummaries([1, c.row[0]], [0.5, c.row[1]], [3, c.row[2]]);
      assert.equal(summary.x.length, 1);
      assert.equal(invalid.length, 1);
      assert.equal(invalid[0]!.index, 1);
      assert.match(invalid[0]!.reason, c.reason);
    });
  }
});
