import { SiyuError } from '../../core/errors.ts';
import { taskRunner } from './linalg-threads.ts';

/** Σ a[ai + k]·b[bi + k] for k in [0, len), with four accumulators so the additions do not wait on each other. */
export function dot(a: Float64Array, ai: number, b: Float64Array, bi: number, len: number): number {
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s1 += a[ai + k]! * b[bi + k]!;
    s2 += a[ai + k + 1]! * b[bi + k + 1]!;
    s3 += a[ai + k + 2]! * b[bi + k + 2]!;
    s4 += a[ai + k + 3]! * b[bi + k + 3]!;
  }
  for (; k < len; k++) s1 += a[ai + k]! * b[bi + k]!;
  return s1 + s2 + s3 + s4;
}

let dotA = 0;
let dotB = 0;

/** dotA = Σ x[xi + k]·b[bi + k], dotB = Σ y[yi + k]·b[bi + k]: two dot products sharing one pass over `b`. */
function dot2(x: Float64Array, xi: number, y: Float64Array, yi: number, b: Float64Array, bi: number, len: number): void {
  let a1 = 0;
  let a2 = 0;
  let b1 = 0;
  let b2 = 0;
  let k = 0;
  for (; k + 1 < len; k += 2) {
    const u = b[bi + k]!;
    const v = b[bi + k + 1]!;
    a1 += x[xi + k]! * u;
    a2 += x[xi + k + 1]! * v;
    b1 += y[yi + k]! * u;
    b2 += y[yi + k + 1]! * v;
  }
  if (k < len) {
    a1 += x[xi + k]! * b[bi + k]!;
    b1 += y[yi + k]! * b[bi + k]!;
  }
  dotA = a1 + a2;
  dotB = b1 + b2;
}

let d00 = 0;
let d01 = 0;
let d10 = 0;
let d11 = 0;

/**
 * The four dot products of rows x and y of `p` with rows u and v of `q`, over `len` elements: d00 = x·u, d01 = x·v,
 * d10 = y·u, d11 = y·v. Each element loaded serves two products (four loads, four multiply-adds), twice the reuse
 * of one dot product.
 */
function dot22(p: Float64Array, x: number, y: number, q: Float64Array, u: number, v: number, len: number): void {
  let s00 = 0;
  let s01 = 0;
  let s10 = 0;
  let s11 = 0;
  for (let k = 0; k < len; k++) {
    const px = p[x + k]!;
    const py = p[y + k]!;
    const qu = q[u + k]!;
    const qv = q[v + k]!;
    s00 += px * qu;
    s01 += px * qv;
    s10 += py * qu;
    s11 += py * qv;
  }
  d00 = s00;
  d01 = s01;
  d10 = s10;
  d11 = s11;
}

const notPositiveDefinite = (i: number, pivot: number) =>
  new SiyuError('validation', 'not_positive_definite', `matrix is not positive definite at row ${i} (pivot ${pivot}); increase the regularisation`);

/**
 * Inverts a symmetric positive-definite n×n matrix (row-major; only the lower triangle is read): Cholesky
 * A = LLᵀ, then Mᵀ with M = L⁻¹, then A⁻¹ = MᵀM, about n³/2 multiply-adds in all. Every step is a dot product of
 * contiguous rows, taken for two output rows against two input rows at a time (dot22), so each element read from
 * memory serves two products. The last two steps, two thirds of the work, split into independent pairs of rows;
 * from n = 256 up, a helper thread takes pairs alongside this one when the machine has a second core
 * (linalg-threads.ts; `threads: false` or SIYU_THREADS=1 turns it off). Each cell is computed the same way on
 * either thread, so the result does not depend on who computed what. `a` is overwritten with A⁻¹ (full,
 * symmetric) and returned.
 */
export function invertSpd(a: Float64Array, n: number, options: { threads?: boolean } = {}): Float64Array {
  const shared = n >= PARALLEL_FROM && options.threads !== false ? taskRunner() : null;
  const buffers = shared ? sharedBuffers(n * n) : null;
  const work = buffers ? buffers.work : a;
  if (buffers) work.set(a);
  cholesky(work, n);
  const t = buffers ? buffers.t : new Float64Array(n * n);
  const pairs = Math.ceil(n / 2);
  if (shared) {
    shared.run('inverse', { a: work, t }, { n }, pairs);
    shared.run('gram', { a: work, t }, { n }, pairs);
    a.set(work);
  } else {
    for (let p = 0; p < pairs; p++) inverseRows(work, t, n, p);
    for (let p = 0; p < pairs; p++) gramRows(work, t, n, p);
  }
  return a;
}

/** Matrices from this size up are inverted with a helper thread when there is one. */
const PARALLEL_FROM = 256;

let kept: { work: Float64Array; t: Float64Array } | null = null;

/**
 * The shared matrices the threads work on, kept between calls of the same size: a tuning loop inverts matrices of
 * one size dozens of times, and fresh shared buffers are freed only when the collector gets round to them. t is
 * zeroed (its lower triangle must be 0).
 */
function sharedBuffers(size: number): { work: Float64Array; t: Float64Array } {
  if (kept?.work.length !== size) {
    kept = { work: new Float64Array(new SharedArrayBuffer(8 * size)), t: new Float64Array(new SharedArrayBuffer(8 * size)) };
  } else {
    kept.t.fill(0);
  }
  return kept;
}

/**
 * Cholesky–Banachiewicz in place: L[i][j] = (A[i][j] − L[i][0..j)·L[j][0..j)) / L[j][j], for rows i, i+1 and
 * columns j, j+1 together; column j+1's sum lacks only its last term, L[i][j]·L[j+1][j], added once L[i][j] is known.
 */
export function cholesky(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i += 2) {
    const ri = i * n;
    const pair = i + 1 < n;
    const rn = ri + n;
    for (let j = 0; j < i; j += 2) {
      const rj = j * n;
      const rk = rj + n;
      if (pair) {
        dot22(a, ri, rn, a, rj, rk, j);
        const li = (a[ri + j]! - d00) / a[rj + j]!;
        const ln = (a[rn + j]! - d10) / a[rj + j]!;
        a[ri + j] = li;
        a[rn + j] = ln;
        a[ri + j + 1] = (a[ri + j + 1]! - d01 - li * a[rk + j]!) / a[rk + j + 1]!;
        a[rn + j + 1] = (a[rn + j + 1]! - d11 - ln * a[rk + j]!) / a[rk + j + 1]!;
      } else {
        dot2(a, rj, a, rk, a, ri, j);
        const li = (a[ri + j]! - dotA) / a[rj + j]!;
        a[ri + j] = li;
        a[ri + j + 1] = (a[ri + j + 1]! - dotB - li * a[rk + j]!) / a[rk + j + 1]!;
      }
    }
    const di = a[ri + i]! - dot(a, ri, a, ri, i);
    if (!(di > 0)) throw notPositiveDefinite(i, di);
    a[ri + i] = Math.sqrt(di);
    if (!pair) break;
    a[rn + i] = (a[rn + i]! - dot(a, rn, a, ri, i)) / a[ri + i]!;
    const dn = a[rn + i + 1]! - dot(a, rn, a, rn, i + 1);
    if (!(dn > 0)) throw notPositiveDefinite(i + 1, dn);
    a[rn + i + 1] = Math.sqrt(dn);
  }
}

/**
 * Rows j = 2p and j + 1 of t = Mᵀ, M = L⁻¹ (L in the lower triangle of `a`): t[j][i] = M[i][j] =
 * −L[i][j..i)·t[j][j..i) / L[i][i] for i > j, left to right, two columns i, i+1 at a time. t[j+1][j] is 0 (t is upper
 * triangular), so both rows run over [j, i). Pairs are independent of each other.
 */
export function inverseRows(a: Float64Array, t: Float64Array, n: number, p: number): void {
  const j = 2 * p;
  const tj = j * n;
  const tk = tj + n;
  const both = j + 1 < n;
  const dj = 1 / a[tj + j]!;
  t[tj + j] = dj;
  if (both) {
    const dk = 1 / a[tk + j + 1]!;
    t[tj + j + 1] = -a[tk + j]! * dj * dk;
    t[tk + j + 1] = dk;
  }
  // With no row j + 1 (n odd, j = n − 1) there is nothing right of the diagonal.
  for (let i = j + 2; i < n; i += 2) {
    const ri = i * n;
    const rn = ri + n;
    const d = 1 / a[ri + i]!;
    if (i + 1 < n) {
      const dn = 1 / a[rn + i + 1]!;
      const lni = a[rn + i]!;
      dot22(a, ri + j, rn + j, t, tj + j, tk + j, i - j);
      const a0 = -d00 * d;
      const a1 = -d01 * d;
      t[tj + i] = a0;
      t[tk + i] = a1;
      t[tj + i + 1] = -(d10 + lni * a0) * dn;
      t[tk + i + 1] = -(d11 + lni * a1) * dn;
    } else {
      dot2(t, tj + j, t, tk + j, a, ri + j, i - j);
      t[tj + i] = -dotA * d;
      t[tk + i] = -dotB * d;
    }
  }
}

/**
 * Rows i = 2p and i + 1 of A⁻¹ = MᵀM into `a`, with their mirror columns: A⁻¹[i][j] = Σ_{k ≥ max(i, j)} M[k][i]·M[k][j]
 * = t[i][k..]·t[j][k..] for j ≤ i + 1, over k ≥ i (t[i+1][i] is 0). Pairs write disjoint cells.
 */
export function gramRows(a: Float64Array, t: Float64Array, n: number, p: number): void {
  const i = 2 * p;
  const ri = i * n;
  const rn = ri + n;
  if (i + 1 < n) {
    for (let j = 0; j <= i; j += 2) {
      const rj = j * n;
      const rk = rj + n;
      dot22(t, ri + i, rn + i, t, rj + i, rk + i, n - i);
      a[ri + j] = d00;
      a[rj + i] = d00;
      a[ri + j + 1] = d01;
      a[rk + i] = d01;
      a[rn + j] = d10;
      a[rj + i + 1] = d10;
      a[rn + j + 1] = d11;
      a[rk + i + 1] = d11;
    }
  } else {
    for (let j = 0; j < i; j += 2) {
      const rj = j * n;
      dot2(t, rj + i, t, rj + n + i, t, ri + i, n - i);
      a[ri + j] = dotA;
      a[rj + i] = dotA;
      a[ri + j + 1] = dotB;
      a[rj + n + i] = dotB;
    }
    a[ri + i] = dot(t, ri + i, t, ri + i, n - i);
  }
}

/** Rows of F per block of blockGram: each block's FᵀF is its own task, and the blocks are added in order. */
export const GRAM_BLOCK_ROWS = 4096;

/**
 * The lower triangle of FᵀF over rows [task·GRAM_BLOCK_ROWS, …) of the `count`×k matrix `f`, into the k×k slot
 * `task` of `out`. Blocks are independent, so any thread may compute any of them.
 */
export function blockGram(f: Float64Array, out: Float64Array, k: number, count: number, task: number): void {
  const o = task * k * k;
  out.fill(0, o, o + k * k);
  const end = Math.min(count, (task + 1) * GRAM_BLOCK_ROWS);
  let r = task * GRAM_BLOCK_ROWS;
  // Four rows per pass: each entry of the triangle is loaded and stored once for four products.
  for (; r + 3 < end; r += 4) {
    const f0 = r * k;
    const f1 = f0 + k;
    const f2 = f1 + k;
    const f3 = f2 + k;
    for (let a = 0; a < k; a++) {
      const v0 = f[f0 + a]!;
      const v1 = f[f1 + a]!;
      const v2 = f[f2 + a]!;
      const v3 = f[f3 + a]!;
      const ga = o + a * k;
      for (let b = 0; b <= a; b++) out[ga + b]! += v0 * f[f0 + b]! + v1 * f[f1 + b]! + v2 * f[f2 + b]! + v3 * f[f3 + b]!;
    }
  }
  for (; r < end; r++) {
    const fr = r * k;
    for (let a = 0; a < k; a++) {
      const v = f[fr + a]!;
      const ga = o + a * k;
      for (let b = 0; b <= a; b++) out[ga + b]! += v * f[fr + b]!;
    }
  }
}

/**
 * The lower triangle (diagonal included) of the Gram matrix of `count` rows of `w`, rows given by their offsets:
 * out[i·stride + j] = w[offsets[i] …]·w[offsets[j] …] for j ≤ i, k elements each, with the diagonal taken from
 * `squares` (squares[i] = ‖row i‖², known beforehand). Off the diagonal, two rows against two per pass (dot22); in
 * each 2×2 block on the diagonal only the one product below it is computed, so about n(n−1)/2 products in all.
 */
export function gramProducts(w: Float64Array, offsets: Int32Array, squares: Float64Array, count: number, k: number, out: Float64Array, stride: number): void {
  let i = 0;
  for (; i + 1 < count; i += 2) {
    const ri = i * stride;
    const rn = ri + stride;
    const oi = offsets[i]!;
    const on = offsets[i + 1]!;
    for (let j = 0; j < i; j += 2) {
      dot22(w, oi, on, w, offsets[j]!, offsets[j + 1]!, k);
      out[ri + j] = d00;
      out[ri + j + 1] = d01;
      out[rn + j] = d10;
      out[rn + j + 1] = d11;
    }
    out[ri + i] = squares[i]!;
    out[rn + i] = dot(w, oi, w, on, k);
    out[rn + i + 1] = squares[i + 1]!;
  }
  if (i < count) {
    const ri = i * stride;
    let j = 0;
    for (; j + 1 < i; j += 2) {
      dot2(w, offsets[j]!, w, offsets[j + 1]!, w, offsets[i]!, k);
      out[ri + j] = dotA;
      out[ri + j + 1] = dotB;
    }
    out[ri + i] = squares[i]!;
  }
}

/** A plain left-to-right dot product: the order topProductRows sums in, so scores computed either way agree to the bit. */
export function dotInOrder(a: Float64Array, ai: number, b: Float64Array, bi: number, len: number): number {
  let sum = 0;
  for (let k = 0; k < len; k++) sum += a[ai + k]! * b[bi + k]!;
  return sum;
}

/**
 * The best `n` entries of `scores` into items/best at offset `at` (n slots), best first: ties go to the lower
 * index, and −∞ and NaN are never taken. Returns how many were filled; unfilled slots are −1 and −∞.
 */
export function selectTop(scores: Float64Array, n: number, items: Int32Array, best: Float64Array, at: number): number {
  items.fill(-1, at, at + n);
  best.fill(-Infinity, at, at + n);
  let filled = 0;
  for (let j = 0; j < scores.length; j++) filled = offer(items, best, at, n, filled, scores[j]!, j);
  return filled;
}

/** Rows per task of topProductRows. */
export const TOP_ROWS_PER_TASK = 64;
/** Columns scored between two checks of whether the rest can still make a row's list. */
const TOP_BLOCK = 32;
let seenMarks = new Uint8Array(0);

/** y's rows by norm, largest first, for topProductRows: the row indices in that order, their norms and the rows themselves. */
export interface NormOrder {
  order: Int32Array;
  norms: Float64Array;
  rows: Float64Array;
}

/** The NormOrder of the `columns` k-wide rows of y (ties to the lower index); `share` places its arrays for the helper thread. */
export function normOrder(y: Float64Array, k: number, columns: number, share: <T extends Float64Array | Int32Array>(array: T) => T = (array) => array): NormOrder {
  const norm = Float64Array.from({ length: columns }, (_, j) => Math.sqrt(dot(y, j * k, y, j * k, k)));
  const order = Int32Array.from({ length: columns }, (_, j) => j).sort((a, b) => norm[b]! - norm[a]! || a - b);
  const norms = new Float64Array(columns);
  const rows = new Float64Array(columns * k);
  for (let c = 0; c < columns; c++) {
    norms[c] = norm[order[c]!]!;
    rows.set(y.subarray(order[c]! * k, (order[c]! + 1) * k), c * k);
  }
  return { order: share(order), norms: share(norms), rows: share(rows) };
}

/**
 * Offers column `item` with score `s` to the list at `at` (n slots, best first, `filled` of them used), whatever
 * order the columns come in: higher scores first, ties to the lower index, −∞ and NaN never taken. Returns the new
 * count.
 */
function offer(items: Int32Array, best: Float64Array, at: number, n: number, filled: number, s: number, item: number): number {
  if (!(s > -Infinity)) return filled;
  if (filled === n) {
    const last = best[at + n - 1]!;
    if (s < last || (s === last && item > items[at + n - 1]!)) return filled;
  }
  let pos = filled < n ? filled++ : n - 1;
  while (pos > 0 && (best[at + pos - 1]! < s || (best[at + pos - 1] === s && items[at + pos - 1]! > item))) {
    best[at + pos] = best[at + pos - 1]!;
    items[at + pos] = items[at + pos - 1]!;
    pos--;
  }
  best[at + pos] = s;
  items[at + pos] = item;
  return filled;
}

/**
 * For the rows u of task `task` within [from, to): the best `n` columns j by x_u·y_j (k-vectors; `columns` rows of
 * y), leaving out u's columns skipIndex[skipStart[u] … skipStart[u + 1]), into outItems/outScores from (u − from)·n
 * by selectTop's rules, and into outNearest each pick's left-out column with the largest positive y·y product (dot),
 * or −1: what ALS gives as the reason, the bought item most like the pick.
 *
 * Columns are scored by norm, largest first (`byNorm`, from normOrder), and a row stops once its list is full and
 * no column left can beat its last pick: x_u·y_j ≤ |x_u|·|y_j| (Cauchy–Schwarz), with a margin for rounding. The
 * lists are exactly those of scoring every column. Products are plain left-to-right sums (dotInOrder), four rows
 * against two columns per pass with every sum in a local, so each element loaded serves two to four products.
 * Tasks write disjoint slots, so any thread may run any task.
 */
export function topProductRows(
  x: Float64Array, y: Float64Array, byNorm: NormOrder, k: number, columns: number, skipStart: Int32Array, skipIndex: Int32Array,
  n: number, outItems: Int32Array, outScores: Float64Array, outNearest: Int32Array, from: number, to: number, task: number,
): void {
  if (seenMarks.length < 4 * columns) seenMarks = new Uint8Array(4 * columns);
  const seen = seenMarks;
  const { order, norms, rows: yo } = byNorm;
  const start = from + task * TOP_ROWS_PER_TASK;
  const end = Math.min(to, start + TOP_ROWS_PER_TASK);
  const filled = [0, 0, 0, 0];
  const reach = [0, 0, 0, 0];
  for (let u = start; u < end; u += 4) {
    const rows = Math.min(4, end - u);
    for (let r = 0; r < rows; r++) {
      for (let p = skipStart[u + r]!; p < skipStart[u + r + 1]!; p++) seen[r * columns + skipIndex[p]!] = 1;
      const at = (u + r - from) * n;
      outItems.fill(-1, at, at + n);
      outScores.fill(-Infinity, at, at + n);
      filled[r] = 0;
      // |x_u| with room for rounding in the products, so the bound never falls below a computed score.
      reach[r] = Math.sqrt(dot(x, (u + r) * k, x, (u + r) * k, k)) * (1 + 1e-9) + 1e-300;
    }
    const at0 = (u - from) * n;
    const x0 = u * k;
    const x1 = x0 + k;
    const x2 = x1 + k;
    const x3 = x2 + k;
    for (let block = 0; block < columns; block += TOP_BLOCK) {
      if (block > 0) {
        let done = true;
        for (let r = 0; r < rows && done; r++) done = filled[r] === n && reach[r]! * norms[block]! < outScores[at0 + r * n + n - 1]!;
        if (done) break;
      }
      const blockEnd = Math.min(columns, block + TOP_BLOCK);
      let c = block;
      if (rows === 4) {
        for (; c + 1 < blockEnd; c += 2) {
          const y0 = c * k;
          const y1 = y0 + k;
          let s00 = 0;
          let s01 = 0;
          let s10 = 0;
          let s11 = 0;
          let s20 = 0;
          let s21 = 0;
          let s30 = 0;
          let s31 = 0;
          for (let a = 0; a < k; a++) {
            const r = yo[y0 + a]!;
            const t = yo[y1 + a]!;
            const p0 = x[x0 + a]!;
            const p1 = x[x1 + a]!;
            const p2 = x[x2 + a]!;
            const p3 = x[x3 + a]!;
            s00 += p0 * r;
            s01 += p0 * t;
            s10 += p1 * r;
            s11 += p1 * t;
            s20 += p2 * r;
            s21 += p2 * t;
            s30 += p3 * r;
            s31 += p3 * t;
          }
          const j0 = order[c]!;
          const j1 = order[c + 1]!;
          if (seen[j0] === 0) filled[0] = offer(outItems, outScores, at0, n, filled[0]!, s00, j0);
          if (seen[j1] === 0) filled[0] = offer(outItems, outScores, at0, n, filled[0]!, s01, j1);
          if (seen[columns + j0] === 0) filled[1] = offer(outItems, outScores, at0 + n, n, filled[1]!, s10, j0);
          if (seen[columns + j1] === 0) filled[1] = offer(outItems, outScores, at0 + n, n, filled[1]!, s11, j1);
          if (seen[2 * columns + j0] === 0) filled[2] = offer(outItems, outScores, at0 + 2 * n, n, filled[2]!, s20, j0);
          if (seen[2 * columns + j1] === 0) filled[2] = offer(outItems, outScores, at0 + 2 * n, n, filled[2]!, s21, j1);
          if (seen[3 * columns + j0] === 0) filled[3] = offer(outItems, outScores, at0 + 3 * n, n, filled[3]!, s30, j0);
          if (seen[3 * columns + j1] === 0) filled[3] = offer(outItems, outScores, at0 + 3 * n, n, filled[3]!, s31, j1);
        }
      }
      for (; c < blockEnd; c++) {
        const j = order[c]!;
        for (let r = 0; r < rows; r++) {
          if (seen[r * columns + j] === 0) filled[r] = offer(outItems, outScores, at0 + r * n, n, filled[r]!, dotInOrder(x, (u + r) * k, yo, c * k, k), j);
        }
      }
    }
    for (let r = 0; r < rows; r++) {
      for (let p = skipStart[u + r]!; p < skipStart[u + r + 1]!; p++) seen[r * columns + skipIndex[p]!] = 0;
      const at = (u + r - from) * n;
      // Each pick's nearest left-out column: the largest positive y_pick·y_c (dot), else −1.
      for (let i = 0; i < n; i++) {
        const pick = outItems[at + i]!;
        let nearest = -1;
        let best = 0;
        for (let p = skipStart[u + r]!; pick >= 0 && p < skipStart[u + r + 1]!; p++) {
          const product = dot(y, skipIndex[p]! * k, y, pick * k, k);
          if (product > best) {
            nearest = skipIndex[p]!;
            best = product;
          }
        }
        outNearest[at + i] = nearest;
      }
    }
  }
}
