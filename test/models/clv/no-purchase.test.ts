import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Random } from '../../../src/core/random.ts';
import { FREQUENCY, probabilityNoPurchase, type FrequencyModelName } from '../../../src/models/clv/frequency.ts';

// P(no purchase in (T, T + h] | x, tx, T) checked two independent ways: (1) the whole conditional distribution it is
// the y = 0 term of sums to 1 and has the mean of each model's published E[Y(t) | x, tx, T] (a different formula);
// (2) customers simulated from known parameters: among customers with the same kind of history, the mean predicted
// probability equals the share who really bought nothing in the horizon.

interface Simulated {
  x: number;
  tx: number;
  T: number;
  boughtLater: boolean;
}

/** BG/NBD (modified: MBG/NBD) customers: Poisson purchases from time 0, a dropout chance after each (and at 0 for MBG). */
function simulateBetaGeometric(rng: Random, p: Record<string, number>, n: number, h: number, modified: boolean): Simulated[] {
  return Array.from({ length: n }, () => {
    const lambda = rng.gamma(p.r!, 1 / p.alpha!);
    const drop = rng.beta(p.a!, p.b!);
    const T = 10 + rng.next() * 60;
    let alive = !(modified && rng.next() < drop);
    let t = 0;
    let x = 0;
    let tx = 0;
    let boughtLater = false;
    while (alive) {
      t += rng.exponential(lambda);
      if (t > T + h) break;
      if (t > T) {
        boughtLater = true;
        break;
      }
      x++;
      tx = t;
      if (rng.next() < drop) alive = false;
    }
    return { x, tx, T, boughtLater };
  });
}

/** Pareto/NBD customers: Poisson purchases until an exponential lifetime ends. */
function simulatePareto(rng: Random, p: Record<string, number>, n: number, h: number): Simulated[] {
  return Array.from({ length: n }, () => {
    const lambda = rng.gamma(p.r!, 1 / p.alpha!);
    const life = rng.exponential(rng.gamma(p.s!, 1 / p.beta!));
    const T = 10 + rng.next() * 60;
    let t = 0;
    let x = 0;
    let tx = 0;
    let boughtLater = false;
    for (;;) {
      t += rng.exponential(lambda);
      if (t > life || t > T + h) break;
      if (t > T) {
        boughtLater = true;
        break;
      }
      x++;
      tx = t;
    }
    return { x, tx, T, boughtLater };
  });
}

/** BG/BB customers: before each opportunity she may die (θ); while alive she buys at each with probability p. */
function simulateBgBb(rng: Random, p: Record<string, number>, count: number, m: number): Simulated[] {
  return Array.from({ length: count }, () => {
    const buy = rng.beta(p.alpha!, p.beta!);
    const die = rng.beta(p.gamma!, p.delta!);
    const n = rng.int(3, 20);
    let x = 0;
    let tx = 0;
    let boughtLater = false;
    for (let k = 1; k <= n + m; k++) {
      if (rng.next() < die) break;
      if (rng.next() < buy) {
        if (k > n) {
          boughtLater = true;
          break;
        }
        x++;
        tx = k;
      }
    }
    return { x, tx, T: n, boughtLater };
  });
}

const CASES: { model: FrequencyModelName; params: Record<string, number>; h: number; simulate: (rng: Random, n: number) => Simulated[] }[] = [
  { model: 'bgnbd', params: { r: 0.8, alpha: 8, a: 0.7, b: 2.4 }, h: 13, simulate: (rng, n) => simulateBetaGeometric(rng, { r: 0.8, alpha: 8, a: 0.7, b: 2.4 }, n, 13, false) },
  { model: 'mbgnbd', params: { r: 0.8, alpha: 8, a: 0.7, b: 2.4 }, h: 13, simulate: (rng, n) => simulateBetaGeometric(rng, { r: 0.8, alpha: 8, a: 0.7, b: 2.4 }, n, 13, true) },
  { model: 'paretonbd', params: { r: 0.6, alpha: 9, s: 0.7, beta: 12 }, h: 13, simulate: (rng, n) => simulatePareto(rng, { r: 0.6, alpha: 9, s: 0.7, beta: 12 }, n, 13) },
  { model: 'bgbb', params: { alpha: 1.2, beta: 0.8, gamma: 0.6, delta: 2.5 }, h: 6, simulate: (rng, n) => simulateBgBb(rng, { alpha: 1.2, beta: 0.8, gamma: 0.6, delta: 2.5 }, n, 6) },
];

/** Histories of a few shapes: one-time buyers, and repeat buyers whose last purchase is recent or long ago. */
const HISTORIES = [
  { x: 0, tx: 0, T: 12 },
  { x: 0, tx: 0, T: 40 },
  { x: 2, tx: 5, T: 30 },
  { x: 3, tx: 28, T: 30 },
  { x: 8, tx: 12, T: 36 },
];

for (const c of CASES) {
  describe(`P(no purchase in the horizon) under ${c.model}`, () => {
    const m = FREQUENCY[c.model];
    test('is the zero term of a conditional distribution that sums to 1 and has the published conditional mean', () => {
      for (const hist of HISTORIES) {
        const { x, tx, T } = c.model === 'bgbb' ? { x: Math.min(hist.x, 6), tx: Math.min(hist.tx, 10), T: 12 } : hist;
        let total = 0;
        let mean = 0;
        for (let y = 0; y < 400; y++) {
          const py = m.conditionalProbabilityOfPurchases(c.params, c.h, y, x, tx, T);
          assert.ok(py >= -1e-12, `P(Y=${y}) = ${py} for ${JSON.stringify({ x, tx, T })}`);
          total += py;
          mean += y * py;
        }
        assert.ok(Math.abs(total - 1) < 1e-6, `Σ P(Y=y) = ${total} for ${JSON.stringify({ x, tx, T })}`);
        const published = m.conditionalExpected(c.params, c.h, x, tx, T);
        assert.ok(Math.abs(mean - published) < 1e-5 * Math.max(1, published), `mean ${mean} vs E[Y] ${published} for ${JSON.stringify({ x, tx, T })}`);
        const zero = probabilityNoPurchase(c.model, c.params, c.h, x, tx, T);
        assert.ok(Math.abs(zero - m.conditionalProbabilityOfPurchases(c.params, c.h, 0, x, tx, T)) < 1e-12);
      }
    });

    test('matches the share of simulated customers with no purchase in the horizon, within every kind of history', () => {
      const customers = c.simulate(new Random(7), 60_000);
      // Groups by repeat purchases and by how long ago the last one was, relative to T: every group is a function of
      // the history alone, so its mean prediction must equal its observed share up to sampling error.
      const key = (s: Simulated) => `${Math.min(s.x, 4)}|${s.x === 0 ? '-' : (s.T - s.tx) / s.T < 0.3 ? 'recent' : 'old'}`;
      const groups = new Map<string, { n: number; predicted: number; observed: number }>();
      for (const s of customers) {
        const g = groups.get(key(s)) ?? { n: 0, predicted: 0, observed: 0 };
        g.n++;
        g.predicted += probabilityNoPurchase(c.model, c.params, c.h, s.x, s.tx, s.T);
        g.observed += s.boughtLater ? 0 : 1;
        groups.set(key(s), g);
      }
      let checked = 0;
      for (const [name, g] of groups) {
        if (g.n < 1000) continue;
        const predicted = g.predicted / g.n;
        const observed = g.observed / g.n;
        const se = Math.sqrt((predicted * (1 - predicted)) / g.n);
        assert.ok(Math.abs(predicted - observed) < 4 * se + 0.005, `${name}: predicted ${predicted.toFixed(4)}, observed ${observed.toFixed(4)} (n ${g.n}, se ${se.toFixed(4)})`);
        checked++;
      }
      assert.ok(checked >= 5, `only ${checked} history groups were large enough to check`);
    });
  });
}

test('one-time buyers are not all "alive": P(no purchase) grows with the time since their only purchase', () => {
  const p = { r: 0.8, alpha: 8, a: 0.7, b: 2.4 };
  assert.equal(FREQUENCY.bgnbd.probabilityAlive(p, 0, 0, 10), FREQUENCY.bgnbd.probabilityAlive(p, 0, 0, 50));
  assert.ok(probabilityNoPurchase('bgnbd', p, 13, 0, 0, 50) > probabilityNoPurchase('bgnbd', p, 13, 0, 0, 10) + 0.1);
});
