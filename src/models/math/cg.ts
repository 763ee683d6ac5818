import { dot } from './linalg.ts';
import { solveSpd } from './optimize.ts';

/**
 * The rows of one ALS half-sweep (Hu, Koren & Volinsky 2008; Takács, Pilászy & Tikk 2011): each row x of `target`
 * solves (G + λI + Σ_i α w_i g_i g_iᵀ) x = Σ_i (1 + α w_i) g_i over the rows g_i of `other` it interacted with
 * (`index[start[row] … start[row+1])`, weights `weights`), G = otherᵀ·other, by `steps` conjugate-gradient steps
 * from its current value. With `z` = other·M, M = (G + λI)⁻¹, rows with at most `exactUpTo` interactions are
 * solved exactly instead, by the Woodbury identity (solveExact), which is cheaper than the CG steps for them.
 * Rows are independent of each other, so any thread may solve any of them.
 */
export interface RowSolve {
  target: Float64Array;
  other: Float64Array;
  start: Int32Array;
  index: Int32Array;
  weights: Float64Array;
  /** G = otherᵀ·other, k×k. */
  g: Float64Array;
  k: number;
  lambda: number;
  alpha: number;
  steps: number;
  /** other·(G + λI)⁻¹, k columns, when some rows are solved exactly. */
  z?: Float64Array;
  /** Rows with at most this many interactions are solved exactly (needs `z`). */
  exactUpTo?: number;
}

/**
 * The largest interaction count n for which the exact solve costs fewer multiply-adds than `steps` CG steps:
 * about n(n+1)/2·k + n³/6 + 3nk against (steps + 1)(k² + 2nk) + nk.
 */
export function exactSolveLimit(k: number, steps: number): number {
  let n = 0;
  while ((n + 1) * (n + 2) / 2 * k + (n + 1) ** 3 / 6 + 3 * (n + 1) * k < (steps + 1) * (k * k + 2 * (n + 1) * k) + (n + 1) * k) n++;
  return n;
}

/** Solves rows from … to − 1 of `s.target` in place. */
export function solveRows(s: RowSolve, from: number, to: number): void {
  const { target, other, start, index, weights, g, k, lambda, alpha, steps } = s;
  const x = new Float64Array(k);
  const r = new Float64Array(k);
  const p = new Float64Array(k);
  const ap = new Float64Array(k);
  // A·v = G v + λ v + Σ_i α w_i (g_i·v) g_i
  const multiply = (row: number, v: Float64Array, out: Float64Array) => {
    for (let a = 0; a < k; a++) out[a] = lambda * v[a]! + dot(g, a * k, v, 0, k);
    // Two interactions per pass: each element of v and out is loaded once for both.
    let q = start[row]!;
    const end = start[row + 1]!;
    for (; q + 1 < end; q += 2) {
      const o = index[q]! * k;
      const p = index[q + 1]! * k;
      let d = 0;
      let e = 0;
      for (let a = 0; a < k; a++) {
        const va = v[a]!;
        d += other[o + a]! * va;
        e += other[p + a]! * va;
      }
      d *= alpha * weights[q]!;
      e *= alpha * weights[q + 1]!;
      for (let a = 0; a < k; a++) out[a]! += d * other[o + a]! + e * other[p + a]!;
    }
    if (q < end) {
      const o = index[q]! * k;
      const d = dot(other, o, v, 0, k) * alpha * weights[q]!;
      for (let a = 0; a < k; a++) out[a]! += d * other[o + a]!;
    }
  };
  const exact = s.z && s.exactUpTo ? exactSolver(s) : null;
  for (let row = from; row < to; row++) {
    const o = row * k;
    if (exact && start[row + 1]! - start[row]! <= s.exactUpTo! && exact(row)) continue;
    for (let a = 0; a < k; a++) x[a] = target[o + a]!;
    // r = b − A x, with b = Σ_i (1 + α w_i) g_i
    multiply(row, x, ap);
    for (let a = 0; a < k; a++) r[a] = -ap[a]!;
    for (let q = start[row]!; q < start[row + 1]!; q++) {
      const oi = index[q]! * k;
      const c = 1 + alpha * weights[q]!;
      for (let a = 0; a < k; a++) r[a]! += c * other[oi + a]!;
    }
    p.set(r);
    let rr = 0;
    for (let a = 0; a < k; a++) rr += r[a]! * r[a]!;
    for (let step = 0; step < steps && rr > 1e-20; step++) {
      multiply(row, p, ap);
      let pap = 0;
      for (let a = 0; a < k; a++) pap += p[a]! * ap[a]!;
      const size = rr / pap;
      let next = 0;
      for (let a = 0; a < k; a++) {
        x[a]! += size * p[a]!;
        r[a]! -= size * ap[a]!;
        next += r[a]! * r[a]!;
      }
      const beta = next / rr;
      for (let a = 0; a < k; a++) p[a] = r[a]! + beta * p[a]!;
      rr = next;
    }
    for (let a = 0; a < k; a++) target[o + a] = x[a]!;
  }
}

/**
 * The exact solve of one row with few interactions. With A₀ = G + λI, M = A₀⁻¹ and the n rows y_j it interacted
 * with, A = A₀ + Σ_j d_j y_j y_jᵀ (d_j = α w_j), so by the Woodbury identity
 *   x = A⁻¹ b = m − Σ_j v_j z_j,  m = M b = Σ_j c_j z_j,  (D⁻¹ + Y M Yᵀ) v = Y m,
 * where z_j = M y_j and c_j = 1 + d_j: an n×n system instead of a k×k one. Interactions with d_j = 0 add nothing
 * to A and stay out of the system.
 */
function exactSolver(s: RowSolve): (row: number) => boolean {
  const { target, other, start, index, weights, k, alpha } = s;
  const z = s.z!;
  const limit = s.exactUpTo!;
  const m = new Float64Array(k);
  const system = new Float64Array(limit * limit);
  const v = new Float64Array(limit);
  const rows = new Int32Array(limit);
  const d = new Float64Array(limit);
  const scratch = { l: new Float64Array(limit * limit), y: new Float64Array(limit) };
  return (row) => {
    m.fill(0);
    let n = 0;
    for (let q = start[row]!; q < start[row + 1]!; q++) {
      const i = index[q]! * k;
      const dq = alpha * weights[q]!;
      for (let a = 0; a < k; a++) m[a]! += (1 + dq) * z[i + a]!;
      if (dq > 0) {
        rows[n] = i;
        d[n++] = dq;
      }
    }
    // S = D⁻¹ + Y M Yᵀ (symmetric: z_jᵀ y_l = y_jᵀ M y_l; its lower triangle), right side Y m.
    for (let j = 0; j < n; j++) {
      for (let l = 0; l <= j; l++) system[j * n + l] = dot(z, rows[j]!, other, rows[l]!, k) + (j === l ? 1 / d[j]! : 0);
      v[j] = dot(other, rows[j]!, m, 0, k);
    }
    const w = solveSpd(system, v, n, scratch);
    if (!w) return false; // not positive definite in floating point: the caller takes the CG steps instead
    const o = row * k;
    for (let a = 0; a < k; a++) target[o + a] = m[a]!;
    for (let j = 0; j < n; j++) for (let a = 0; a < k; a++) target[o + a]! -= w[j]! * z[rows[j]! + a]!;
    return true;
  };
}
