import { SiyuError } from '../../core/errors.ts';

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

const notPositiveDefinite = (i: number, pivot: number) =>
  new SiyuError('validation', 'not_positive_definite', `matrix is not positive definite at row ${i} (pivot ${pivot}); increase the regularisation`);

/**
 * Inverts a symmetric positive-definite n×n matrix (row-major; only the lower triangle is read): Cholesky
 * A = LLᵀ, then Mᵀ with M = L⁻¹, then A⁻¹ = MᵀM. Every step is a dot product of contiguous rows, taken two
 * output rows at a time so each row read from memory is used twice; about n³/2 multiply-adds in all. `a` is
 * overwritten with A⁻¹ (full, symmetric) and returned.
 */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  // Cholesky–Banachiewicz: L[i][j] = (A[i][j] − L[i][0..j)·L[j][0..j)) / L[j][j], rows i and i+1 together.
  for (let i = 0; i < n; i += 2) {
    const ri = i * n;
    const pair = i + 1 < n;
    const rn = ri + n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      if (pair) {
        dot2(a, ri, a, rn, a, rj, j);
        a[rn + j] = (a[rn + j]! - dotB) / a[rj + j]!;
      } else {
        dotA = dot(a, ri, a, rj, j);
      }
      a[ri + j] = (a[ri + j]! - dotA) / a[rj + j]!;
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
  // t = Mᵀ by rows: t[j][k] = M[k][j] for k ≥ j, where M[i][j] = −L[i][j..i)·M[j..i)[j] / L[i][i].
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i += 2) {
    const ri = i * n;
    const pair = i + 1 < n;
    const rn = ri + n;
    const d = 1 / a[ri + i]!;
    const dn = pair ? 1 / a[rn + i + 1]! : 0;
    for (let j = 0; j < i; j++) {
      const tj = j * n;
      if (pair) {
        dot2(a, ri + j, a, rn + j, t, tj + j, i - j);
      } else {
        dotA = dot(a, ri + j, t, tj + j, i - j);
      }
      const ti = -dotA * d;
      t[tj + i] = ti;
      if (pair) t[tj + i + 1] = -(dotB + a[rn + i]! * ti) * dn;
    }
    t[ri + i] = d;
    if (pair) {
      t[ri + i + 1] = -a[rn + i]! * d * dn;
      t[rn + i + 1] = dn;
    }
  }
  // A⁻¹[i][j] = Σ_{k ≥ max(i, j)} M[k][i]·M[k][j] = t[i][k..]·t[j][k..]; t[i+1][i] is 0, so rows i and i+1
  // share the range k ≥ i.
  for (let i = 0; i < n; i += 2) {
    const pair = i + 1 < n;
    for (let j = 0; j <= i; j++) {
      if (pair) {
        dot2(t, i * n + i, t, (i + 1) * n + i, t, j * n + i, n - i);
        a[(i + 1) * n + j] = dotB;
        a[j * n + i + 1] = dotB;
      } else {
        dotA = dot(t, i * n + i, t, j * n + i, n - i);
      }
      a[i * n + j] = dotA;
      a[j * n + i] = dotA;
    }
    if (pair) a[(i + 1) * n + i + 1] = dot(t, (i + 1) * n + i + 1, t, (i + 1) * n + i + 1, n - i - 1);
  }
  return a;
}
