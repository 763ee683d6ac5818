import { cholesky, dot, gramProducts } from './linalg.ts';

/**
 * The rows of one ALS half-sweep (Hu, Koren & Volinsky 2008; Takács, Pilászy & Tikk 2011): each row x of `target`
 * solves (G + λI + Σ_i α w_i g_i g_iᵀ) x = Σ_i (1 + α w_i) g_i over the rows g_i of `other` it interacted with
 * (`index[start[row] … start[row+1])`, weights `weights`), G = otherᵀ·other, by `steps` conjugate-gradient steps
 * from its current value. Given the `exact` tables of `other` (exactTables), rows with at most `exactUpTo`
 * interactions are solved exactly instead, by the Woodbury identity (exactSolver), which is cheaper than the CG
 * steps for them.
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
  /** The tables of `other` the exact solves read, when some rows are solved exactly. */
  exact?: ExactTables;
  /** Rows with at most this many interactions are solved exactly (needs `exact`). */
  exactUpTo?: number;
}

/**
 * What the exact solves need of the rows y_j of `other`, with A₀ = G + λI = LLᵀ (Cholesky) and M = A₀⁻¹: the
 * whitened rows ŷ_j = L⁻¹y_j, so that y_jᵀ M y_l = ŷ_j·ŷ_l; squares_j = ‖ŷ_j‖²; and z_j = M y_j = L⁻ᵀŷ_j.
 * Rows of k.
 */
export interface ExactTables {
  z: Float64Array;
  whitened: Float64Array;
  squares: Float64Array;
}

/** Fills `out` with the ExactTables of the `rows` k-wide rows of `other`; λ > 0, so A₀ is positive definite. */
export function exactTables(other: Float64Array, rows: number, g: Float64Array, lambda: number, k: number, out: ExactTables): ExactTables {
  const l = g.slice();
  for (let a = 0; a < k; a++) l[a * k + a]! += lambda;
  cholesky(l, k);
  const { z, whitened, squares } = out;
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    // L ŷ = y forward, then Lᵀ z = ŷ backward.
    for (let a = 0; a < k; a++) {
      let sum = other[o + a]!;
      for (let b = 0; b < a; b++) sum -= l[a * k + b]! * whitened[o + b]!;
      whitened[o + a] = sum / l[a * k + a]!;
    }
    squares[r] = dot(whitened, o, whitened, o, k);
    for (let a = k - 1; a >= 0; a--) {
      let sum = whitened[o + a]!;
      for (let b = a + 1; b < k; b++) sum -= l[b * k + a]! * z[o + b]!;
      z[o + a] = sum / l[a * k + a]!;
    }
  }
  return out;
}

/**
 * The largest interaction count n for which the exact solve costs fewer multiply-adds than `steps` CG steps:
 * about n(n−1)/2·k + n³/6 + 2nk against (steps + 1)(k² + 2nk) + nk.
 */
export function exactSolveLimit(k: number, steps: number): number {
  const exact = (n: number) => (n * (n - 1) / 2) * k + n ** 3 / 6 + 2 * n * k;
  const cg = (n: number) => (steps + 1) * (k * k + 2 * n * k) + n * k;
  let n = 0;
  while (exact(n + 1) < cg(n + 1)) n++;
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
  // pᵀAp = pᵀ(G + λI)p + Σ_i α w_i (g_i·p)²
  const quadratic = (row: number, v: Float64Array) => {
    let sum = 0;
    for (let a = 0; a < k; a++) sum += v[a]! * (lambda * v[a]! + dot(g, a * k, v, 0, k));
    for (let q = start[row]!; q < start[row + 1]!; q++) {
      const d = dot(other, index[q]! * k, v, 0, k);
      sum += alpha * weights[q]! * d * d;
    }
    return sum;
  };
  const exact = s.exact && s.exactUpTo ? exactSolver(s) : null;
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
      if (step === steps - 1) {
        // The last step moves x and stops: it needs pᵀAp, not A·p, so the interactions give dot products alone.
        const size = rr / quadratic(row, p);
        for (let a = 0; a < k; a++) x[a]! += size * p[a]!;
        break;
      }
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
 * with, A = A₀ + Σ_j d_j y_j y_jᵀ (d_j = α times the interaction's weight), so by the Woodbury identity
 *   x = A⁻¹ b = Σ_j c_j z_j − Σ_j v_j z_j,  (D⁻¹ + Y M Yᵀ) v = Y M b,
 * where z_j = M y_j and c_j = 1 + d_j: an n×n system instead of a k×k one. Its matrix and its right side,
 * (Y M b)_j = Σ_l c_l y_jᵀ M y_l, both come from the products y_jᵀ M y_l = ŷ_j·ŷ_l (exactTables): a Gram matrix,
 * so its diagonal is known beforehand and its lower triangle is enough. x is then one sum over the interactions.
 * Interactions with d_j = 0 add nothing to A and stay out of the system.
 */
function exactSolver(s: RowSolve): (row: number) => boolean {
  const { target, start, index, weights, k, alpha } = s;
  const { z, whitened, squares } = s.exact!;
  const limit = s.exactUpTo!;
  const offsets = new Int32Array(limit);
  const rowSquares = new Float64Array(limit);
  const products = new Float64Array(limit * limit);
  const factor = new Float64Array(limit * limit);
  const v = new Float64Array(limit);
  const right = new Float64Array(limit);
  // Per interaction: c, then the coefficient of its z in x; the system's rows among the interactions and their d.
  const c = new Float64Array(limit);
  const rows = new Int32Array(limit);
  const d = new Float64Array(limit);
  return (row) => {
    const first = start[row]!;
    const count = start[row + 1]! - first;
    let size = 0;
    for (let q = 0; q < count; q++) {
      const j = index[first + q]!;
      offsets[q] = j * k;
      rowSquares[q] = squares[j]!;
      const dq = alpha * weights[first + q]!;
      c[q] = 1 + dq;
      if (dq > 0) {
        rows[size] = q;
        d[size++] = dq;
      }
    }
    gramProducts(whitened, offsets, rowSquares, count, k, products, limit);
    // Σ_l c_l y_qᵀ M y_l for every interaction q, over the lower triangle once (each product serves both sides).
    // Row q first touches right[q] (earlier rows add to lower ones only), so it sets it and later rows add to it.
    for (let q = 0; q < count; q++) {
      const at = q * limit;
      const cq = c[q]!;
      let sum = 0;
      for (let l = 0; l < q; l++) {
        const product = products[at + l]!;
        sum += c[l]! * product;
        right[l]! += cq * product;
      }
      right[q] = sum + cq * products[at + q]!;
    }
    // The system's Cholesky factor, row by row straight from the products (entry (j, l) is the product of the
    // interactions rows[j] and rows[l], plus 1/d_j on the diagonal), with the reciprocal pivots on its diagonal and
    // the forward substitution of the right side taken alongside; then the backward one. v ends as the solution.
    for (let j = 0; j < size; j++) {
      const pj = rows[j]! * limit;
      const fj = j * size;
      for (let l = 0; l < j; l++) {
        const fl = l * size;
        let sum = products[pj + rows[l]!]!;
        for (let m = 0; m < l; m++) sum -= factor[fj + m]! * factor[fl + m]!;
        factor[fj + l] = sum * factor[fl + l]!;
      }
      let pivot = products[pj + rows[j]!]! + 1 / d[j]!;
      let forward = right[rows[j]!]!;
      for (let m = 0; m < j; m++) {
        pivot -= factor[fj + m]! * factor[fj + m]!;
        forward -= factor[fj + m]! * v[m]!;
      }
      if (!(pivot > 0)) return false; // not positive definite in floating point: the caller takes the CG steps instead
      const reciprocal = 1 / Math.sqrt(pivot);
      factor[fj + j] = reciprocal;
      v[j] = forward * reciprocal;
    }
    for (let j = size - 1; j >= 0; j--) {
      let sum = v[j]!;
      for (let m = j + 1; m < size; m++) sum -= factor[m * size + j]! * v[m]!;
      v[j] = sum * factor[j * size + j]!;
    }
    for (let j = 0; j < size; j++) c[rows[j]!]! -= v[j]!;
    const o = row * k;
    // The first pair (or single interaction) sets the row, the rest add to it.
    let q = Math.min(count, 2);
    if (count >= 2) {
      const [i, l, ci, cl] = [offsets[0]!, offsets[1]!, c[0]!, c[1]!];
      for (let a = 0; a < k; a++) target[o + a] = ci * z[i + a]! + cl * z[l + a]!;
    } else if (count === 1) {
      for (let a = 0; a < k; a++) target[o + a] = c[0]! * z[offsets[0]! + a]!;
    } else {
      target.fill(0, o, o + k);
    }
    for (; q + 1 < count; q += 2) {
      const i = offsets[q]!;
      const l = offsets[q + 1]!;
      const ci = c[q]!;
      const cl = c[q + 1]!;
      for (let a = 0; a < k; a++) target[o + a]! += ci * z[i + a]! + cl * z[l + a]!;
    }
    if (q < count) for (let a = 0; a < k; a++) target[o + a]! += c[q]! * z[offsets[q]! + a]!;
    return true;
  };
}

/**
 * One pass of the item half-sweep that solves every item in lockstep (als.ts): for the users bounds[part] …
 * bounds[part + 1] − 1, in order, and each item j they interacted with, adds c·x_u to item j's row of `out`, with
 *   c = 1 + α w − α w (x_u·v_j)   when `initial` (the parts of b − A v that depend on the users), and
 *   c = α w (x_u·v_j)             otherwise (the interaction part of A v), items with `active[j]` = 0 skipped.
 * The users are read in storage order, so the pass streams through their factors once while the items' rows, a
 * small block, stay in cache; each task owns the rows of `out` it writes (the block `part`), which the caller adds
 * up in part order, so the sums do not depend on which thread ran which task.
 */
export function columnPass(other: Float64Array, start: Int32Array, index: Int32Array, weights: Float64Array, v: Float64Array, active: Int32Array, out: Float64Array, k: number, alpha: number, columns: number, initial: boolean, bounds: Int32Array, part: number): void {
  const base = part * columns * k;
  out.fill(0, base, base + columns * k);
  const even = k & ~1;
  for (let u = bounds[part]!; u < bounds[part + 1]!; u++) {
    const o = u * k;
    // The user's items two at a time: each element of x_u is loaded once for both, in the dot products and the sums.
    let pending = -1;
    for (let q = start[u]!; q < start[u + 1]!; q++) {
      if (!initial && active[index[q]!] === 0) continue;
      if (pending < 0) {
        pending = q;
        continue;
      }
      const j = index[pending]! * k;
      const l = index[q]! * k;
      let d1 = 0;
      let d2 = 0;
      let e1 = 0;
      let e2 = 0;
      for (let a = 0; a < even; a += 2) {
        const x0 = other[o + a]!;
        const x1 = other[o + a + 1]!;
        d1 += x0 * v[j + a]!;
        d2 += x1 * v[j + a + 1]!;
        e1 += x0 * v[l + a]!;
        e2 += x1 * v[l + a + 1]!;
      }
      if (even < k) {
        d1 += other[o + even]! * v[j + even]!;
        e1 += other[o + even]! * v[l + even]!;
      }
      const aj = alpha * weights[pending]!;
      const al = alpha * weights[q]!;
      const dj = aj * (d1 + d2);
      const dl = al * (e1 + e2);
      const cj = initial ? 1 + aj - dj : dj;
      const cl = initial ? 1 + al - dl : dl;
      const oj = base + j;
      const ol = base + l;
      for (let a = 0; a < even; a += 2) {
        const x0 = other[o + a]!;
        const x1 = other[o + a + 1]!;
        out[oj + a]! += cj * x0;
        out[ol + a]! += cl * x0;
        out[oj + a + 1]! += cj * x1;
        out[ol + a + 1]! += cl * x1;
      }
      if (even < k) {
        out[oj + even]! += cj * other[o + even]!;
        out[ol + even]! += cl * other[o + even]!;
      }
      pending = -1;
    }
    if (pending >= 0) {
      const j = index[pending]! * k;
      const aw = alpha * weights[pending]!;
      const d = aw * dot(other, o, v, j, k);
      const c = initial ? 1 + aw - d : d;
      for (let a = 0; a < k; a++) out[base + j + a]! += c * other[o + a]!;
    }
  }
}

/**
 * The last conjugate-gradient step of the lockstep item half-sweep needs each item's pᵀAp but not A·p itself (the
 * residual it would update is never used again), and the users' part of pᵀAp is Σ α w (x_u·p_j)². So for the users
 * bounds[part] … bounds[part + 1] − 1 this adds α w (x_u·v_j)² to out[part·columns + j] for every active item j:
 * columnPass's dot products without its sums of rows, half its multiply-adds. Parts are added up by the caller in
 * order, as columnPass's are.
 */
export function columnQuadratic(other: Float64Array, start: Int32Array, index: Int32Array, weights: Float64Array, v: Float64Array, active: Int32Array, out: Float64Array, k: number, alpha: number, columns: number, bounds: Int32Array, part: number): void {
  const base = part * columns;
  out.fill(0, base, base + columns);
  const even = k & ~1;
  for (let u = bounds[part]!; u < bounds[part + 1]!; u++) {
    const o = u * k;
    // Two items at a time, as in columnPass: each element of x_u is loaded once for both dot products.
    let pending = -1;
    for (let q = start[u]!; q < start[u + 1]!; q++) {
      if (active[index[q]!] === 0) continue;
      if (pending < 0) {
        pending = q;
        continue;
      }
      const j = index[pending]! * k;
      const l = index[q]! * k;
      let d1 = 0;
      let d2 = 0;
      let e1 = 0;
      let e2 = 0;
      for (let a = 0; a < even; a += 2) {
        const x0 = other[o + a]!;
        const x1 = other[o + a + 1]!;
        d1 += x0 * v[j + a]!;
        d2 += x1 * v[j + a + 1]!;
        e1 += x0 * v[l + a]!;
        e2 += x1 * v[l + a + 1]!;
      }
      if (even < k) {
        d1 += other[o + even]! * v[j + even]!;
        e1 += other[o + even]! * v[l + even]!;
      }
      const d = d1 + d2;
      const e = e1 + e2;
      out[base + index[pending]!]! += alpha * weights[pending]! * d * d;
      out[base + index[q]!]! += alpha * weights[q]! * e * e;
      pending = -1;
    }
    if (pending >= 0) {
      const d = dot(other, o, v, index[pending]! * k, k);
      out[base + index[pending]!]! += alpha * weights[pending]! * d * d;
    }
  }
}
