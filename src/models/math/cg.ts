import { dot } from './linalg.ts';

/**
 * The rows of one ALS half-sweep (Hu, Koren & Volinsky 2008; Takács, Pilászy & Tikk 2011): each row x of `target`
 * solves (G + λI + Σ_i α w_i g_i g_iᵀ) x = Σ_i (1 + α w_i) g_i over the rows g_i of `other` it interacted with
 * (`index[start[row] … start[row+1])`, weights `weights`), G = otherᵀ·other, by `steps` conjugate-gradient steps
 * from its current value. Rows are independent of each other, so any thread may solve any of them.
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
    for (let q = start[row]!; q < start[row + 1]!; q++) {
      const o = index[q]! * k;
      const d = dot(other, o, v, 0, k) * alpha * weights[q]!;
      for (let a = 0; a < k; a++) out[a]! += d * other[o + a]!;
    }
  };
  for (let row = from; row < to; row++) {
    const o = row * k;
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
