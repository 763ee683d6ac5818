import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { availableParallelism } from 'node:os';
import { exactSolveLimit, exactTables, solveRows, type ExactTables } from '../../src/models/math/cg.ts';
import { dot, invertSpd, normOrder, selectTop, topProductRows } from '../../src/models/math/linalg.ts';
import { helperReady, helperTasksRun } from '../../src/models/math/linalg-threads.ts';
import { trainAls } from '../../src/recommend/als.ts';
import { ALGORITHM_NAMES, EASE_MAX_ITEMS, trainEase, buildMatrix, readInteractionsTsv, splitByUser, topK, trainAlgorithm, trainSar, type Interaction } from '../../src/recommend/index.ts';

test('TSV interactions: header optional, every bad line reported as file:line, nothing returned then', () => {
  const dir = mkdtempSync(join(tmpdir(), 'siyu-rec-'));
  const good = join(dir, 'good.tsv');
  writeFileSync(good, 'user_id\titem_id\trating\ttimestamp\n1\t10\t4\t100\r\n2\t10\t5\t200\n\n');
  assert.deepEqual(readInteractionsTsv(good), [{ user: '1', item: '10', weight: 4, timestamp: 100 }, { user: '2', item: '10', weight: 5, timestamp: 200 }]);
  const bad = join(dir, 'bad.tsv');
  writeFileSync(bad, '1\t10\t4\t100\n1\t11\tfive\t100\n2\n\t3\t1\t1\n2\t3\t1\tyesterday\n');
  assert.throws(() => readInteractionsTsv(bad), (e: unknown) => {
    assert.ok(isSiyuError(e) && e.code === 'invalid_interactions');
    assert.deepEqual(e.details.map((d) => d.line), [2, 3, 4, 5]);
    assert.match(e.details[0]!.message, /rating must be a number, not "five"/);
    assert.match(e.details[3]!.message, /timestamp/);
    return true;
  });
  assert.throws(() => readInteractionsTsv(join(dir, 'missing.tsv')), (e: unknown) => isSiyuError(e) && e.kind === 'not_found');
});

test('the matrix numbers ids in id order, merges repeats and decays each one from its own time', () => {
  const day = 86_400;
  const rows: Interaction[] = [
    { user: 'b', item: '10', weight: 1, timestamp: 30 * day },
    { user: 'a', item: '9', weight: 2, timestamp: 0 },
    { user: 'a', item: '10', weight: 1, timestamp: 30 * day },
    { user: 'a', item: '9', weight: 1, timestamp: 30 * day },
  ];
  const m = buildMatrix(rows, { halfLifeSeconds: 30 * day, itemUniverse: ['100'] });
  assert.deepEqual(m.items, ['9', '10', '100'], 'numeric ids sort numerically');
  assert.deepEqual(m.users, ['a', 'b']);
  assert.deepEqual([...m.rowStart], [0, 2, 3]);
  assert.deepEqual([...m.itemOf], [0, 1, 1]);
  assert.deepEqual([...m.weights], [3, 1, 1]);
  assert.deepEqual([...m.times], [30 * day, 30 * day, 30 * day]);
  // a's two purchases of item 9: 2 × 2^(−1) (one half-life old) + 1 × 2^0.
  assert.deepEqual([...m.decay!.weights], [2, 1, 1]);
  assert.deepEqual([...m.decay!.counts], [1.5, 1, 1]);
});

test('top-k skips seen items, never returns −∞ and breaks ties to the lower item id', () => {
  const m = buildMatrix([{ user: 'u', item: '1', weight: 1, timestamp: 0 }, { user: 'v', item: '2', weight: 1, timestamp: 0 }], { itemUniverse: ['3', '4', '5'] });
  const scores = Float64Array.from([9, 5, 5, -Infinity, 7]);
  assert.deepEqual(topK(m, 0, scores, 3), [{ item: 4, score: 7 }, { item: 1, score: 5 }, { item: 2, score: 5 }]);
  assert.deepEqual(topK(m, 0, Float64Array.from([1, -Infinity, -Infinity, -Infinity, -Infinity]), 3), []);
});

test('training on empty or degenerate data fails with a clear message for every algorithm', () => {
  const one = (user: string, item: string): Interaction => ({ user, item, weight: 1, timestamp: 0 });
  for (const name of ALGORITHM_NAMES) {
    assert.throws(() => trainAlgorithm(name, []), (e: unknown) => isSiyuError(e) && e.code === 'no_interactions', name);
    assert.throws(() => trainAlgorithm(name, [one('u', 'a'), one('u', 'b')]), (e: unknown) => isSiyuError(e) && /1 user and 2 items/.test(e.message), name);
    assert.throws(() => trainAlgorithm(name, [one('u', 'a'), one('v', 'a')]), (e: unknown) => isSiyuError(e) && /2 users and 1 item;/.test(e.message), name);
  }
  assert.throws(() => trainAlgorithm('ease', [one('u', 'a'), one('v', 'b')], { lambda: 0 }), /lambda must be a positive number/);
  assert.throws(() => trainSar(buildMatrix([one('u', 'a'), one('v', 'b')])), /not built with a 30-day half-life/);
});

test('the smallest trainable data gives finite scores', () => {
  const rows = [{ user: 'u', item: 'a', weight: 1, timestamp: 0 }, { user: 'v', item: 'b', weight: 1, timestamp: 0 }, { user: 'v', item: 'a', weight: 1, timestamp: 0 }];
  for (const name of ALGORITHM_NAMES) {
    const model = trainAlgorithm(name, rows, name === 'sar' ? { normalize: true } : {});
    const scores = new Float64Array(2);
    model.scoreUser(0, scores);
    assert.ok(scores.every(Number.isFinite), `${name}: ${[...scores]}`);
    assert.deepEqual(topK(model.matrix, 0, scores, 5).map((s) => model.matrix.items[s.item]), ['b'], name);
  }
});

test('the validation split holds out a quarter of each user, seeded, and keeps single-interaction users whole', () => {
  const rows = [...Array.from({ length: 8 }, (_, i) => ({ user: 'u', item: `i${i}`, weight: 1, timestamp: i })), { user: 'v', item: 'i0', weight: 1, timestamp: 0 }];
  const a = splitByUser(rows, 0.25, 7);
  assert.equal(a.validation.length, 2);
  assert.ok(a.validation.every((r) => r.user === 'u'));
  assert.equal(a.train.length, 7);
  assert.deepEqual(splitByUser(rows, 0.25, 7), a, 'same seed, same split');
});

test('invertSpd inverts a symmetric positive-definite matrix and rejects one that is not', () => {
  for (const n of [1, 2, 3, 4, 5, 8, 17, 64]) {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = 1 / (1 + i + j) + (i === j ? 1 : 0);
    const copy = a.slice();
    const inv = invertSpd(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < n; k++) v += copy[i * n + k]! * inv[k * n + j]!;
        assert.ok(Math.abs(v - (i === j ? 1 : 0)) < 1e-12, `n=${n} (${i},${j}) = ${v}`);
      }
    }
  }
  assert.throws(() => invertSpd(Float64Array.from([1, 2, 2, 1]), 2), /not positive definite at row 1/);
});

test('invertSpd gives the same inverse, to the bit, with and without its helper thread', async () => {
  const helper = await helperReady();
  if (availableParallelism() > 1) assert.ok(helper, 'a machine with two cores starts the helper');
  const before = helperTasksRun();
  const n = 601; // above the size the helper takes part from, and odd
  const a = new Float64Array(n * n);
  let seed = 7;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = next() < 0.1 ? next() : 0;
  for (let i = 0; i < n; i++) a[i * n + i]! += 20;
  const alone = invertSpd(a.slice(), n, { threads: false });
  for (let run = 0; run < 3; run++) assert.deepEqual(invertSpd(a.slice(), n), alone, `run ${run}`);
  if (helper) assert.ok(helperTasksRun() > before, 'the helper took some of the row pairs');
  let worst = 0;
  for (let i = 0; i < n; i += 7) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += a[i * n + k]! * alone[k * n + j]!;
      worst = Math.max(worst, Math.abs(v - (i === j ? 1 : 0)));
    }
  }
  assert.ok(worst < 1e-12, `A·A⁻¹ is I within ${worst}`);
});

test('ALS learns two separate tastes and is deterministic for a seed', () => {
  // Users 0-9 buy from items a0-a4, users 10-19 from b0-b4, each missing one item of their own group.
  const rows: Interaction[] = [];
  for (let u = 0; u < 20; u++) {
    const group = u < 10 ? 'a' : 'b';
    for (let i = 0; i < 5; i++) if (i !== u % 5) rows.push({ user: `u${u}`, item: `${group}${i}`, weight: 1, timestamp: 0 });
  }
  const params = { factors: 4, regularization: 0.1, alpha: 10, iterations: 10 };
  const model = trainAlgorithm('als', rows, params);
  const scores = new Float64Array(model.matrix.items.length);
  for (let u = 0; u < 20; u++) {
    const user = model.matrix.userIndex.get(`u${u}`)!;
    model.scoreUser(user, scores);
    const [best] = topK(model.matrix, user, scores, 1);
    assert.equal(model.matrix.items[best!.item], `${u < 10 ? 'a' : 'b'}${u % 5}`, `u${u}`);
  }
  const again = trainAlgorithm('als', rows, params);
  const other = new Float64Array(scores.length);
  again.scoreUser(19, other);
  model.scoreUser(19, scores);
  assert.deepEqual([...other], [...scores]);
  assert.throws(() => trainAlgorithm('als', rows, { factors: 0 }), /factors must be a whole number/);
});

test('ALS rows with few interactions are solved exactly (Woodbury), as a dense solve and CG run to convergence solve them', () => {
  const [k, others, lambda, alpha] = [6, 9, 0.7, 3];
  let seed = 5;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  const other = Float64Array.from({ length: others * k }, next);
  const g = new Float64Array(k * k);
  for (let r = 0; r < others; r++) for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) g[a * k + b]! += other[r * k + a]! * other[r * k + b]!;
  // Row 0 has three interactions, one of weight 0 (in b, not in A); row 1 has none; row 2 has four.
  const start = Int32Array.from([0, 3, 3, 7]);
  const index = Int32Array.from([1, 4, 7, 0, 2, 5, 8]);
  const weights = Float64Array.from([1, 0, 2.5, 1, 1, 3, 0.5]);
  const m = g.slice();
  for (let a = 0; a < k; a++) m[a * k + a]! += lambda;
  invertSpd(m, k, { threads: false });
  const z = new Float64Array(other.length);
  for (let r = 0; r < others; r++) for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) z[r * k + a]! += m[a * k + b]! * other[r * k + b]!;
  // The exact tables: z = M y as the explicit inverse gives it, and ŷ_i·ŷ_j = y_iᵀ M y_j.
  const tables = exactTables(other, others, g, lambda, k, { z: new Float64Array(other.length), whitened: new Float64Array(other.length), squares: new Float64Array(others) });
  for (let c = 0; c < other.length; c++) assert.ok(Math.abs(tables.z[c]! - z[c]!) < 1e-12, `z[${c}]`);
  for (let i = 0; i < others; i++) {
    assert.ok(Math.abs(tables.squares[i]! - dot(tables.whitened, i * k, tables.whitened, i * k, k)) < 1e-12);
    for (let j = 0; j < others; j++) assert.ok(Math.abs(dot(tables.whitened, i * k, tables.whitened, j * k, k) - dot(other, i * k, z, j * k, k)) < 1e-12, `ŷ${i}·ŷ${j}`);
  }
  const solve = (options: { steps: number; exact?: ExactTables; exactUpTo?: number }) => {
    const target = Float64Array.from({ length: 3 * k }, next);
    solveRows({ target, other, start, index, weights, g, k, lambda, alpha, ...options }, 0, 3);
    return target;
  };
  const exact = solve({ steps: 1, exact: tables, exactUpTo: 4 });
  const converged = solve({ steps: 4 * k });
  for (let row = 0; row < 3; row++) {
    // The dense system A x = b for this row.
    const a = g.slice();
    const b = new Float64Array(k);
    for (let d = 0; d < k; d++) a[d * k + d]! += lambda;
    for (let q = start[row]!; q < start[row + 1]!; q++) {
      const y = index[q]! * k;
      for (let c = 0; c < k; c++) {
        b[c]! += (1 + alpha * weights[q]!) * other[y + c]!;
        for (let d = 0; d < k; d++) a[c * k + d]! += alpha * weights[q]! * other[y + c]! * other[y + d]!;
      }
    }
    const inverse = invertSpd(a, k, { threads: false });
    for (let c = 0; c < k; c++) {
      let x = 0;
      for (let d = 0; d < k; d++) x += inverse[c * k + d]! * b[d]!;
      assert.ok(Math.abs(exact[row * k + c]! - x) < 1e-10, `row ${row}, factor ${c}: ${exact[row * k + c]} against ${x}`);
      assert.ok(Math.abs(converged[row * k + c]! - x) < 1e-8, `CG row ${row}, factor ${c}`);
    }
  }
  // Exact where it is cheaper than three CG steps: up to 21 interactions at 32 factors, 28 at 64.
  assert.deepEqual([exactSolveLimit(32, 3), exactSolveLimit(64, 3)], [21, 28]);
});

test('ALS gives the same factors, to the bit, with and without the helper thread', async () => {
  const helper = await helperReady();
  const before = helperTasksRun();
  // 4,500 users and 300 items: above the size the helper takes part from in both half-sweeps, and more users than
  // one block of the Gram matrix.
  const rows: Interaction[] = [];
  let seed = 11;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let u = 0; u < 4500; u++) for (let n = 0; n < 12; n++) rows.push({ user: `u${u}`, item: `i${Math.floor(next() * next() * 300)}`, weight: 1, timestamp: 0 });
  const matrix = buildMatrix(rows);
  const params = { factors: 16, regularization: 1, alpha: 5, iterations: 3 };
  const alone = trainAls(matrix, { ...params, threads: false });
  const shared = trainAls(matrix, params);
  const [a, b] = [new Float64Array(matrix.items.length), new Float64Array(matrix.items.length)];
  for (let u = 0; u < matrix.users.length; u += 97) {
    alone.scoreUser(u, a);
    shared.scoreUser(u, b);
    assert.deepEqual(b, a, `user ${u}`);
  }
  if (helper) assert.ok(helperTasksRun() > before, 'the helper solved some of the rows');

  // The precompute's ranked path gives what scoreUser, topK and reason give, seen items left out, with or without the helper.
  const [from, to, n] = [5, 4005, 10];
  const fast = shared.topCandidates!(from, to, n);
  assert.deepEqual(alone.topCandidates!(from, to, n), fast);
  for (let u = from; u < to; u += 13) {
    shared.scoreUser(u, b);
    const expected = topK(matrix, u, b, n);
    const got = [...fast.items.subarray((u - from) * n, (u - from + 1) * n)].map((item, i) => ({ item, score: fast.scores[(u - from) * n + i]! }));
    assert.deepEqual(got.filter((g) => g.item >= 0), expected, `user ${u}`);
    // Each pick's reason is reason()'s: the bought item's index, or −1 for popular.
    const reasons = expected.map((e) => shared.reason(u, e.item)).map((r) => (r.kind === 'bought_with' ? matrix.itemIndex.get(r.item)! : -1));
    assert.deepEqual([...fast.reasons.subarray((u - from) * n, (u - from) * n + expected.length)], reasons, `reasons of user ${u}`);
  }
});

test('the ranked top products go by norm and stop early, yet pick what scoring every column picks, ties to the lower index', () => {
  // One row x = (1, 0). Columns 0-39 all score 1 (ties) with norms growing with the index, so they are scored last
  // to first; columns 40-79 score 0.1 with norm 0.1, below the list's last score once it is full, so the ranking
  // stops before their turn comes; column 1 is bought.
  const k = 2;
  const x = Float64Array.from([1, 0]);
  const columns = 80;
  const y = Float64Array.from({ length: columns * k }, (_, i) => (i % 2 === 0 ? (i < 80 ? 1 : 0.1) : i < 80 ? (i - 1) / 20 : 0));
  const byNorm = normOrder(y, k, columns);
  assert.deepEqual([...byNorm.order.slice(0, 3)], [39, 38, 37]);
  const [skipStart, skipIndex] = [Int32Array.from([0, 1]), Int32Array.from([1])];
  const n = 3;
  const [items, scores, nearest] = [new Int32Array(n), new Float64Array(n), new Int32Array(n)];
  topProductRows(x, y, byNorm, k, columns, skipStart, skipIndex, n, items, scores, nearest, 0, 1, 0);
  const all = Float64Array.from({ length: columns }, (_, j) => (j === 1 ? -Infinity : y[j * k]!));
  const [expected, expectedScores] = [new Int32Array(n), new Float64Array(n)];
  selectTop(all, n, expected, expectedScores, 0);
  assert.deepEqual([...items], [0, 2, 3]);
  assert.deepEqual(items, expected);
  assert.deepEqual(scores, expectedScores);
  // Each pick's reason is the bought column 1 (a positive product with every pick).
  assert.deepEqual([...nearest], [1, 1, 1]);
});

test('EASE refuses a catalogue too large for its n×n matrices, naming the way out', () => {
  const rows = [{ user: 'u', item: 'a', weight: 1, timestamp: 0 }, { user: 'v', item: 'b', weight: 1, timestamp: 0 }];
  const universe = Array.from({ length: EASE_MAX_ITEMS + 1 }, (_, i) => `i${i}`);
  assert.throws(() => trainEase(buildMatrix(rows, { itemUniverse: universe })), (e: unknown) => isSiyuError(e) && e.code === 'catalogue_too_large' && /use als/.test(e.message));
});
