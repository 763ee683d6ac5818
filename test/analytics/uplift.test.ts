import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { proportionUplift, sampleSizePerGroup, welchUplift, wilsonInterval } from '../../src/analytics/index.ts';

const close = (actual: number, expected: number, digits: number, what: string) => assert.ok(Math.abs(actual - expected) < 0.5 * 10 ** -digits, `${what}: ${actual} vs ${expected}`);

describe('uplift statistics against published worked examples', () => {
  test("Newcombe (1998) method 10: 56/70 vs 48/80 gives a difference of 0.2 in (0.0524, 0.3339)", () => {
    const u = proportionUplift(56, 70, 48, 80);
    close(u.difference, 0.2, 6, 'difference');
    close(u.interval.low, 0.0524, 4, 'low');
    close(u.interval.high, 0.3339, 4, 'high');
  });

  test("Newcombe (1998) method 10: 9/10 vs 3/10 gives (0.1705, 0.8090)", () => {
    const u = proportionUplift(9, 10, 3, 10);
    close(u.interval.low, 0.1705, 4, 'low');
    close(u.interval.high, 0.809, 4, 'high');
  });

  test('Wilson (1927) score interval for 81/263 as in Newcombe (1998) Table I: (0.2553, 0.3662)', () => {
    const w = wilsonInterval(81, 263);
    close(w.low, 0.2553, 4, 'low');
    close(w.high, 0.3662, 4, 'high');
  });

  test("Welch's t test on R's sleep data: t.test(extra ~ group) gives df 17.776, p 0.07939, CI (-3.3655, 0.2055)", () => {
    const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
    const moments = (xs: number[]) => ({ n: xs.length, sum: xs.reduce((a, b) => a + b, 0), sumSquares: xs.reduce((a, b) => a + b * b, 0) });
    const u = welchUplift(moments(g1), moments(g2));
    close(u.degreesOfFreedom, 17.776, 3, 'df');
    close(u.pValue, 0.07939, 5, 'p');
    close(u.interval.low, -3.3654832, 6, 'low');
    close(u.interval.high, 0.2054832, 6, 'high');
  });

  test('sample size: detecting 10% → 15% at α 0.05 and 80% power needs 686 per group', () => {
    assert.equal(sampleSizePerGroup(0.1, 0.15), 686);
  });
});
