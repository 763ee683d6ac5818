import { SiyuError } from '../core/errors.ts';
import { columnPass, columnQuadratic, exactSolveLimit, exactTables, solveRows } from '../models/math/cg.ts';
import { blockGram, dot, dotInOrder, GRAM_BLOCK_ROWS, normOrder, TOP_ROWS_PER_TASK, topProductRows, type NormOrder } from '../models/math/linalg.ts';
import { rowsPerTask, sharedCopy, taskRunner, type TaskRunner } from '../models/math/linalg-threads.ts';
import { Random } from '../core/random.ts';
import type { InteractionMatrix } from './data.ts';
import type { Reason, Recommender } from './model.ts';
import { assertTrainable } from './popularity.ts';

export interface AlsOptions {
  /** Latent factors per user and item. Default 64. */
  factors?: number;
  /** L2 penalty λ on every factor vector. Default 0.1. */
  regularization?: number;
  /** Confidence slope: c_ui = 1 + α·w_ui. Default 10. */
  alpha?: number;
  /** Treat every interaction as weight 1 (ratings and repeat counts ignored), as EASE does. Default true. */
  binary?: boolean;
  /** Alternating sweeps over users then items. Default 15. */
  iterations?: number;
  /** Conjugate-gradient steps per vector per sweep, warm-started from the previous sweep. Default 3. */
  cgSteps?: number;
  seed?: number;
  /** Share the row solves with the helper thread when there is one (default); the factors are the same either way. */
  threads?: boolean;
}

/** The rows of the transpose: per item, the users who had it and their weights. */
function transpose(m: InteractionMatrix, rowWeights: Float64Array): { start: Int32Array; users: Int32Array; weights: Float64Array } {
  const start = new Int32Array(m.items.length + 1);
  for (const j of m.itemOf) start[j + 1]!++;
  for (let j = 0; j < m.items.length; j++) start[j + 1]! += start[j]!;
  const fill = start.slice(0, m.items.length);
  const users = new Int32Array(m.itemOf.length);
  const weights = new Float64Array(m.itemOf.length);
  for (let u = 0; u < m.users.length; u++) {
    for (let p = m.rowStart[u]!; p < m.rowStart[u + 1]!; p++) {
      const at = fill[m.itemOf[p]!]!++;
      users[at] = u;
      weights[at] = rowWeights[p]!;
    }
  }
  return { start, users, weights };
}

/**
 * Arrays the helper thread reads or writes, kept for a whole training and reused by name and length. The helper's
 * copies of shared buffers are freed only when its own garbage collector runs, which it seldom does as it
 * allocates little; fresh buffers per half-sweep or per ranked chunk piled up, about 450 MB more over a million
 * customers' precompute. Without the helper they are plain arrays. Contents are not cleared between uses.
 */
class Buffers {
  private readonly kept = new Map<string, Float64Array | Int32Array>();
  constructor(private readonly shared: boolean) {}

  floats(name: string, length: number): Float64Array {
    return this.get(name, length, false) as Float64Array;
  }

  ints(name: string, length: number): Int32Array {
    return this.get(name, length, true) as Int32Array;
  }

  private get(name: string, length: number, ints: boolean): Float64Array | Int32Array {
    const key = `${name}:${length}`;
    let array = this.kept.get(key);
    if (!array) {
      const bytes = length * (ints ? 4 : 8);
      const buffer = this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
      array = ints ? new Int32Array(buffer) : new Float64Array(buffer);
      this.kept.set(key, array);
    }
    return array;
  }
}

/**
 * G = FᵀF (k×k) over the `count` rows of F: a partial product per block of rows (shared with the helper thread when
 * there is one), added in block order, so the sum is the same whoever computed which block.
 */
function gram(f: Float64Array, count: number, k: number, runner: TaskRunner | null, buffers: Buffers): Float64Array {
  const blocks = Math.ceil(count / GRAM_BLOCK_ROWS);
  const partial = buffers.floats('gram', blocks * k * k);
  if (runner && blocks > 1) runner.run('blockGram', { f, out: partial }, { k, count }, blocks);
  else for (let task = 0; task < blocks; task++) blockGram(f, partial, k, count, task);
  const g = new Float64Array(k * k);
  for (let block = 0; block < blocks; block++) for (let c = 0; c < k * k; c++) g[c]! += partial[block * k * k + c]!;
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) g[b * k + a] = g[a * k + b]!;
  return g;
}

/** Half-sweeps over at least this many rows share their row solves with the helper thread, when there is one. */
const PARALLEL_ROWS = 256;

/**
 * One sweep over the rows of `target` (users or items): each row x solves
 * (GᵀG + Σ_i (c_i − 1) g_i g_iᵀ + λI) x = Σ_i c_i g_i over the rows g_i of `other` it interacted with, by `steps`
 * conjugate-gradient steps from its current value (Takács, Pilászy & Tikk 2011; models/math/cg.ts). The rows are
 * independent, so with a `runner` they are shared out in blocks between this thread and the helper.
 */
function sweep(target: Float64Array, count: number, other: Float64Array, start: Int32Array, index: Int32Array, weights: Float64Array, k: number, lambda: number, alpha: number, steps: number, runner: TaskRunner | null, buffers: Buffers): void {
  const otherRows = other.length / k;
  const g = gram(other, otherRows, k, runner, buffers);
  // Rows with few interactions (most customers at retail scale) are solved exactly, which needs the exact tables of
  // `other` (cg.ts): about k² per row of `other`, worth it when at least as many rows use them (the user half-sweep,
  // not the item one).
  const exactUpTo = lambda > 0 ? exactSolveLimit(k, steps) : 0;
  let exactRows = 0;
  for (let r = 0; r < count && exactUpTo > 0; r++) if (start[r + 1]! - start[r]! <= exactUpTo) exactRows++;
  const tables = exactUpTo > 0 && exactRows >= otherRows
    ? exactTables(other, otherRows, g, lambda, k, { z: buffers.floats('z', other.length), whitened: buffers.floats('whitened', other.length), squares: buffers.floats('squares', otherRows) })
    : undefined;
  if (runner && count >= PARALLEL_ROWS) {
    const shared = buffers.floats('g', k * k);
    shared.set(g);
    runner.run('solveRows', { target, other, start, index, weights, g: shared, ...tables }, { k, lambda, alpha, steps, count, exactUpTo: tables ? exactUpTo : 0 }, Math.ceil(count / rowsPerTask(count)));
  } else {
    solveRows({ target, other, start, index, weights, g, k, lambda, alpha, steps, ...(tables ? { exact: tables, exactUpTo } : {}) }, 0, count);
  }
}

/** The item half-sweep solves all items in lockstep when items × factors is at most this (8 MB per vector). */
const LOCKSTEP_CELLS = 1 << 20;
/** Parts of the users per lockstep pass. Fixed, so the sums are the same with or without the helper thread. */
const LOCKSTEP_PARTS = 4;

/** The lockstep half-sweep's buffers, allocated once per training. */
interface Lockstep {
  /** The users of each part: bounds[b] … bounds[b + 1] − 1, about equal in interactions. */
  bounds: Int32Array;
  /** A partial sum per part, each items × factors. */
  partial: Float64Array;
  /** A partial sum per part of each item's α w (x_u·p)², for the last step's pᵀAp. */
  quadratic: Float64Array;
  /** Per item: 1 while its CG steps go on; its search direction, residual and squared residual norm. */
  active: Int32Array;
  p: Float64Array;
  r: Float64Array;
  rr: Float64Array;
}

function lockstepBuffers(rowStart: Int32Array, users: number, columns: number, k: number, share: <T extends Float64Array | Int32Array>(array: T) => T): Lockstep {
  const bounds = new Int32Array(LOCKSTEP_PARTS + 1);
  const nnz = rowStart[users]!;
  for (let part = 1, u = 0; part < LOCKSTEP_PARTS; part++) {
    while (u < users && rowStart[u]! < (nnz * part) / LOCKSTEP_PARTS) u++;
    bounds[part] = u;
  }
  bounds[LOCKSTEP_PARTS] = users;
  return {
    bounds: share(bounds),
    partial: share(new Float64Array(LOCKSTEP_PARTS * columns * k)),
    quadratic: share(new Float64Array(LOCKSTEP_PARTS * columns)),
    active: share(new Int32Array(columns)),
    p: share(new Float64Array(columns * k)),
    r: new Float64Array(columns * k),
    rr: new Float64Array(columns),
  };
}

/**
 * The item half-sweep with every item's conjugate-gradient steps taken in lockstep: the same steps solveRows takes
 * row by row, but each product A·p, for all items at once, is one pass over the users in storage order
 * (columnPass), split in fixed parts between this thread and the helper. Row by row, each item gathers its users'
 * factors from all over memory; in lockstep they are read once per pass, in order, and each customer's items are
 * taken two at a time, so each element of a customer's factors is loaded once for two items. The last step needs
 * only each item's pᵀAp, so its pass computes dot products alone (columnQuadratic): 3.5 passes' work for 3 steps,
 * not 4.
 */
function sweepLockstep(y: Float64Array, columns: number, x: Float64Array, users: number, rowStart: Int32Array, itemOf: Int32Array, weights: Float64Array, k: number, lambda: number, alpha: number, steps: number, runner: TaskRunner | null, s: Lockstep, buffers: Buffers): void {
  const g = gram(x, users, k, runner, buffers);
  const { partial, active, p, r, rr } = s;
  const size = columns * k;
  // Adds the users' part of A·v (or of b − A·v when `initial`) up over the parts, into out.
  const pass = (v: Float64Array, initial: boolean, out: Float64Array) => {
    if (runner) runner.run('columnPass', { other: x, start: rowStart, index: itemOf, weights, v, active, out: partial, bounds: s.bounds }, { k, alpha, columns, initial: initial ? 1 : 0 }, LOCKSTEP_PARTS);
    else for (let part = 0; part < LOCKSTEP_PARTS; part++) columnPass(x, rowStart, itemOf, weights, v, active, partial, k, alpha, columns, initial, s.bounds, part);
    out.set(partial.subarray(0, size));
    for (let part = 1; part < LOCKSTEP_PARTS; part++) for (let c = 0; c < size; c++) out[c]! += partial[part * size + c]!;
  };
  // r = b − A y, with (G + λI) y the part every item shares.
  active.fill(1);
  pass(y, true, r);
  for (let j = 0; j < columns; j++) {
    const o = j * k;
    let sum = 0;
    for (let a = 0; a < k; a++) {
      r[o + a]! -= lambda * y[o + a]! + dot(g, a * k, y, o, k);
      sum += r[o + a]! * r[o + a]!;
    }
    rr[j] = sum;
  }
  p.set(r);
  const ap = new Float64Array(size);
  const pap = new Float64Array(columns);
  for (let step = 0; step < steps; step++) {
    let any = 0;
    for (let j = 0; j < columns; j++) any += active[j] = rr[j]! > 1e-20 ? 1 : 0;
    if (any === 0) break;
    if (step === steps - 1) {
      // The last step moves y and stops: it needs each pᵀAp, whose users' part is one pass of dot products.
      if (runner) runner.run('columnQuadratic', { other: x, start: rowStart, index: itemOf, weights, v: p, active, out: s.quadratic, bounds: s.bounds }, { k, alpha, columns }, LOCKSTEP_PARTS);
      else for (let part = 0; part < LOCKSTEP_PARTS; part++) columnQuadratic(x, rowStart, itemOf, weights, p, active, s.quadratic, k, alpha, columns, s.bounds, part);
      pap.set(s.quadratic.subarray(0, columns));
      for (let part = 1; part < LOCKSTEP_PARTS; part++) for (let j = 0; j < columns; j++) pap[j]! += s.quadratic[part * columns + j]!;
      for (let j = 0; j < columns; j++) {
        if (active[j] === 0) continue;
        const o = j * k;
        let shared = 0;
        for (let a = 0; a < k; a++) shared += p[o + a]! * (lambda * p[o + a]! + dot(g, a * k, p, o, k));
        const stepSize = rr[j]! / (pap[j]! + shared);
        for (let a = 0; a < k; a++) y[o + a]! += stepSize * p[o + a]!;
      }
      break;
    }
    pass(p, false, ap);
    for (let j = 0; j < columns; j++) {
      if (active[j] === 0) continue;
      const o = j * k;
      let pap = 0;
      for (let a = 0; a < k; a++) {
        ap[o + a]! += lambda * p[o + a]! + dot(g, a * k, p, o, k);
        pap += p[o + a]! * ap[o + a]!;
      }
      const stepSize = rr[j]! / pap;
      let next = 0;
      for (let a = 0; a < k; a++) {
        y[o + a]! += stepSize * p[o + a]!;
        r[o + a]! -= stepSize * ap[o + a]!;
        next += r[o + a]! * r[o + a]!;
      }
      const beta = next / rr[j]!;
      for (let a = 0; a < k; a++) p[o + a] = r[o + a]! + beta * p[o + a]!;
      rr[j] = next;
    }
  }
}

/**
 * Implicit-feedback ALS (Hu, Koren & Volinsky 2008, "Collaborative Filtering for Implicit Feedback Datasets"):
 * preference 1 for every interaction with confidence 1 + α·weight, 0 elsewhere with confidence 1; user and item
 * factors alternate, each solved by a few conjugate-gradient steps instead of a k×k inverse, so a sweep costs
 * O(nnz·k + (users + items)·k²) per CG step. Item factors start from a seeded N(0, 0.01²), user factors from zero.
 */
export function trainAls(matrix: InteractionMatrix, options: AlsOptions = {}): Recommender {
  assertTrainable(matrix, 'als');
  const k = options.factors ?? 64;
  const lambda = options.regularization ?? 0.1;
  const alpha = options.alpha ?? 10;
  const iterations = options.iterations ?? 15;
  const steps = options.cgSteps ?? 3;
  for (const [name, value, min] of [['factors', k, 1], ['iterations', iterations, 1], ['cgSteps', steps, 1]] as const) {
    if (!Number.isInteger(value) || value < min) throw new SiyuError('validation', 'invalid_param', `als: ${name} must be a whole number ≥ ${min}, not ${value}`);
  }
  if (!(lambda >= 0) || !(alpha > 0)) throw new SiyuError('validation', 'invalid_param', `als: regularization must be ≥ 0 and alpha > 0 (got ${lambda}, ${alpha})`);
  const users = matrix.users.length;
  const itemCount = matrix.items.length;
  const random = new Random(options.seed ?? 42);
  // With the helper thread every array the row solves read lives in shared memory; the numbers are the same either way.
  const runner = options.threads === false || Math.max(users, itemCount) < PARALLEL_ROWS ? null : taskRunner();
  const share = <T extends Float64Array | Int32Array>(array: T): T => (runner ? sharedCopy(array) : array);
  const buffers = new Buffers(runner !== null);
  const [x, y] = [buffers.floats('user factors', users * k), buffers.floats('item factors', itemCount * k)];
  // Only the items need a start: the first half-sweep solves the users from them (from zero where it takes CG steps).
  for (let c = 0; c < y.length; c++) y[c] = random.normal() * 0.01;
  const binary = options.binary ?? true;
  const weights = binary ? buffers.floats('weights', matrix.weights.length).fill(1) : share(matrix.weights);
  const [rowStart, itemOf] = [share(matrix.rowStart), share(matrix.itemOf)];
  // The items take their CG steps in lockstep when their vectors are small, unless most of them qualify for the
  // exact solve (a catalogue of rarely bought items), which solves them row by row from the transpose.
  const itemCounts = new Int32Array(itemCount);
  for (const j of matrix.itemOf) itemCounts[j]!++;
  const exactUpTo = exactSolveLimit(k, steps);
  const exactItems = lambda > 0 ? itemCounts.filter((n) => n <= exactUpTo).length : 0;
  const lockstep = itemCount * k <= LOCKSTEP_CELLS && exactItems < users ? lockstepBuffers(rowStart, users, itemCount, k, share) : null;
  const t = lockstep ? null : transpose(matrix, weights);
  const [itemStart, itemUsers, itemWeights] = t ? [share(t.start), share(t.users), share(t.weights)] : [];
  for (let it = 0; it < iterations; it++) {
    sweep(x, users, y, rowStart, itemOf, weights, k, lambda, alpha, steps, runner, buffers);
    if (lockstep) sweepLockstep(y, itemCount, x, users, rowStart, itemOf, weights, k, lambda, alpha, steps, runner, lockstep, buffers);
    else sweep(y, itemCount, x, itemStart!, itemUsers!, itemWeights!, k, lambda, alpha, steps, runner, buffers);
  }

  const dotRows = (a: Float64Array, ai: number, b: Float64Array, bi: number) => dot(a, ai, b, bi, k);
  // The items by norm, for topCandidates' ranking, worked out on its first call.
  let byNorm: NormOrder | undefined;
  return {
    algorithm: 'als',
    params: { factors: k, regularization: lambda, alpha, iterations, cgSteps: steps, binary },
    matrix,
    scoreUser(u, out) {
      // Summed in order, as topCandidates sums, so both give the same scores to the bit.
      for (let j = 0; j < itemCount; j++) out[j] = dotInOrder(x, u * k, y, j * k, k);
    },
    topCandidates(from, to, n) {
      const count = to - from;
      const shared = runner && count >= PARALLEL_ROWS;
      const items = buffers.ints('top items', count * n);
      const scores = buffers.floats('top scores', count * n);
      // reason(u, item) for every pick, computed with it: the bought item whose factors point most the same way.
      const reasons = buffers.ints('top reasons', count * n);
      const tasks = Math.ceil(count / TOP_ROWS_PER_TASK);
      byNorm ??= normOrder(y, k, itemCount, share);
      if (shared) runner.run('topProducts', { x, y, ...byNorm, skipStart: rowStart, skipIndex: itemOf, outItems: items, outScores: scores, outNearest: reasons }, { k, columns: itemCount, n, from, to }, tasks);
      else for (let task = 0; task < tasks; task++) topProductRows(x, y, byNorm, k, itemCount, rowStart, itemOf, n, items, scores, reasons, from, to, task);
      // Copies: the buffers serve the next chunk.
      return { items: items.slice(), scores: scores.slice(), reasons: reasons.slice() };
    },
    similarTo(item, out) {
      const norm = Math.sqrt(dotRows(y, item * k, y, item * k)) || 1;
      for (let j = 0; j < itemCount; j++) out[j] = dotRows(y, item * k, y, j * k) / (norm * (Math.sqrt(dotRows(y, j * k, y, j * k)) || 1));
    },
    reason(u, item): Reason {
      // The bought item whose factors point most the same way as the recommended item's.
      let best = -1;
      let bestScore = 0;
      for (let p = matrix.rowStart[u]!; p < matrix.rowStart[u + 1]!; p++) {
        const s = dotRows(y, matrix.itemOf[p]! * k, y, item * k);
        if (s > bestScore) [best, bestScore] = [matrix.itemOf[p]!, s];
      }
      return best < 0 ? { kind: 'popular' } : { kind: 'bought_with', item: matrix.items[best]! };
    },
  };
}
