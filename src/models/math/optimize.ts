// Unconstrained minimisers for model fitting. Positive parameters are fitted on the log scale by the callers, which
// keeps every step feasible without bounds. Pure functions over Float64Arrays; no dependencies.

/** f(x), and its gradient written into `grad` when given. */
export type Objective = (x: Float64Array, grad?: Float64Array) => number;

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  /** The infinity norm of the gradient at `x` (NaN for Nelder-Mead). */
  gradientNorm: number;
  converged: boolean;
  method: 'lbfgs' | 'newton' | 'nelder-mead';
}

export interface LbfgsOptions {
  maxIterations?: number;
  /** Converged when the gradient's infinity norm is below this. */
  gradientTolerance?: number;
  /** Or when an iteration improves f by less than this, relative to |f|. */
  relativeTolerance?: number;
  /** Pairs of (step, gradient change) kept for the inverse-Hessian estimate. */
  memory?: number;
}

const infNorm = (v: Float64Array): number => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * L-BFGS (Nocedal & Wright 2006, Algorithm 7.4 and 7.5) with a backtracking line search on the Armijo condition;
 * a pair is kept only when its curvature s·y is positive, so the direction stays a descent direction.
 */
export function lbfgs(f: Objective, x0: Float64Array, options: LbfgsOptions = {}): MinimizeResult {
  const { maxIterations = 500, gradientTolerance = 1e-8, relativeTolerance = 1e-15, memory = 10 } = options;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  let evaluations = 1;
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rhos: number[] = [];
  let iteration = 0;
  let converged = infNorm(g) < gradientTolerance;
  while (!converged && iteration < maxIterations && Number.isFinite(fx)) {
    iteration++;
    const d = twoLoop(g, steps, changes, rhos);
    let slope = dot(d, g);
    if (!(slope < 0)) {
      // Not a descent direction (a bad curvature estimate): restart from steepest descent.
      steps.length = changes.length = rhos.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = dot(d, g);
    }
    let step = steps.length === 0 ? Math.min(1, 1 / Math.max(infNorm(g), 1e-12)) : 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let fNew = Infinity;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = f(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!Number.isFinite(fNew) || fNew > fx) break; // no progress is possible along d
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      steps.push(s);
      changes.push(y);
      rhos.push(1 / sy);
      if (steps.length > memory) {
        steps.shift();
        changes.shift();
        rhos.shift();
      }
    }
    const improvement = fx - fNew;
    x = xNew;
    g = gNew;
    fx = fNew;
    converged = infNorm(g) < gradientTolerance || improvement <= relativeTolerance * Math.max(1, Math.abs(fx));
  }
  return { x, value: fx, iterations: iteration, evaluations, gradientNorm: infNorm(g), converged: infNorm(g) < Math.max(gradientTolerance, 1e-4) && converged, method: 'lbfgs' };
}

/** −H⁻¹g from the stored pairs (the two-loop recursion). */
function twoLoop(g: Float64Array, steps: readonly Float64Array[], changes: readonly Float64Array[], rhos: readonly number[]): Float64Array {
  const q = Float64Array.from(g);
  const alphas = new Array<number>(steps.length);
  for (let k = steps.length - 1; k >= 0; k--) {
    const a = rhos[k]! * dot(steps[k]!, q);
    alphas[k] = a;
    for (let i = 0; i < q.length; i++) q[i] = q[i]! - a * changes[k]![i]!;
  }
  if (steps.length > 0) {
    const last = steps.length - 1;
    const gamma = dot(steps[last]!, changes[last]!) / dot(changes[last]!, changes[last]!);
    for (let i = 0; i < q.length; i++) q[i] = q[i]! * gamma;
  }
  for (let k = 0; k < steps.length; k++) {
    const b = rhos[k]! * dot(changes[k]!, q);
    for (let i = 0; i < q.length; i++) q[i] = q[i]! + steps[k]![i]! * (alphas[k]! - b);
  }
  for (let i = 0; i < q.length; i++) q[i] = -q[i]!;
  return q;
}

/** f(x) with its gradient and Hessian (n × n, row-major) written into `grad` and `hess`. */
export type HessianObjective = (x: Float64Array, grad: Float64Array, hess: Float64Array) => number;

/**
 * Newton's method with Levenberg-Marquardt damping (Nocedal & Wright 2006, §10.3 and §3.4): each step solves
 * (H + μI)d = −g by Cholesky, raising μ until H + μI is positive definite and the step decreases f (Armijo), and
 * lowering it after each success so the last steps are pure Newton steps and converge quadratically. For small
 * problems (a handful of parameters) whose exact Hessian costs about as much as the gradient: fewer evaluations
 * than L-BFGS, and the Hessian at the optimum gives standard errors for free.
 */
export function newton(f: HessianObjective, x0: Float64Array, options: LbfgsOptions = {}): MinimizeResult {
  const { maxIterations = 100, gradientTolerance = 1e-8 } = options;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let h = new Float64Array(n * n);
  let fx = f(x, g, h);
  let evaluations = 1;
  let iteration = 0;
  let mu = 0;
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let hNew = new Float64Array(n * n);
  const damped = new Float64Array(n * n);
  const minus = new Float64Array(n);
  let stalled = false;
  while (!stalled && infNorm(g) >= gradientTolerance && iteration < maxIterations && Number.isFinite(fx)) {
    iteration++;
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(h[i * n + i]!));
    const floor = 1e-8 * Math.max(scale, 1e-8);
    let accepted = false;
    for (let tries = 0; tries < 60 && !accepted; tries++) {
      damped.set(h);
      for (let i = 0; i < n; i++) {
        damped[i * n + i] = damped[i * n + i]! + mu;
        minus[i] = -g[i]!;
      }
      const d = solveSpd(damped, minus, n);
      if (!d) {
        mu = Math.max(10 * mu, floor);
        continue;
      }
      // The Newton decrement −g·d is the improvement a full step predicts (nearly, while μ is small against H).
      // Once it is within rounding of f, the optimum is found as closely as f can be computed.
      if (mu <= 1e-3 * scale && -dot(g, d) < 1e-14 * Math.max(1, Math.abs(fx))) {
        stalled = true;
        break;
      }
      // At most a step of 4 in any coordinate: on log-parameters, a factor of e⁴ per iteration.
      const longest = infNorm(d);
      if (longest > 4) for (let i = 0; i < n; i++) d[i] = (d[i]! * 4) / longest;
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + d[i]!;
      const fNew = f(xNew, gNew, hNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * dot(g, d)) {
        [x, xNew] = [xNew, x];
        [g, gNew] = [gNew, g];
        [h, hNew] = [hNew, h];
        fx = fNew;
        mu = mu / 10 < floor ? 0 : mu / 10;
        accepted = true;
      } else {
        mu = Math.max(10 * mu, floor);
      }
    }
    if (!accepted) break;
  }
  const gradientNorm = infNorm(g);
  return { x, value: fx, iterations: iteration, evaluations, gradientNorm, converged: gradientNorm < gradientTolerance || (stalled && gradientNorm < 1e-6), method: 'newton' };
}

/**
 * Solves Ax = b for a small symmetric positive-definite A (only its lower triangle is read) by Cholesky; null when A
 * is not positive definite. `scratch` (n² and n long at least) saves the allocations in a hot loop; x is then its `y`.
 */
export function solveSpd(a: Float64Array, b: Float64Array, n: number, scratch?: { l: Float64Array; y: Float64Array }): Float64Array | null {
  const l = scratch?.l ?? new Float64Array(n * n);
  // The reciprocals of the pivots sit on l's diagonal, so each entry below it costs a multiply, not a divide.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let sum = a[ri + j]!;
      for (let k = 0; k < j; k++) sum -= l[ri + k]! * l[rj + k]!;
      l[ri + j] = sum * l[rj + j]!;
    }
    let sum = a[ri + i]!;
    for (let k = 0; k < i; k++) sum -= l[ri + k]! * l[ri + k]!;
    if (!(sum > 0)) return null;
    l[ri + i] = 1 / Math.sqrt(sum);
  }
  const y = scratch?.y ?? new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * y[k]!;
    y[i] = sum * l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * y[k]!;
    y[i] = sum * l[i * n + i]!;
  }
  return y;
}

export interface NelderMeadOptions {
  maxEvaluations?: number;
  /** Converged when the simplex's values span less than this. */
  tolerance?: number;
  /** The initial simplex's edge, in the units of x. */
  initialStep?: number;
}

/** Nelder-Mead (Lagarias et al. 1998 coefficients): the fallback when a gradient cannot be trusted. */
export function nelderMead(f: (x: Float64Array) => number, x0: Float64Array, options: NelderMeadOptions = {}): MinimizeResult {
  const { maxEvaluations = 20_000, tolerance = 1e-12, initialStep = 0.1 } = options;
  const n = x0.length;
  const simplex: { x: Float64Array; v: number }[] = [];
  let evaluations = 0;
  const value = (x: Float64Array) => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  simplex.push({ x: Float64Array.from(x0), v: value(x0) });
  for (let i = 0; i < n; i++) {
    const x = Float64Array.from(x0);
    x[i] = x[i]! + initialStep;
    simplex.push({ x, v: value(x) });
  }
  let iterations = 0;
  const blend = (a: Float64Array, b: Float64Array, t: number) => a.map((ai, i) => ai + t * (b[i]! - ai));
  while (evaluations < maxEvaluations) {
    iterations++;
    simplex.sort((p, q) => p.v - q.v);
    if (Math.abs(simplex[n]!.v - simplex[0]!.v) <= tolerance * Math.max(1, Math.abs(simplex[0]!.v))) break;
    const centroid = new Float64Array(n);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) centroid[i] = centroid[i]! + simplex[k]!.x[i]! / n;
    const worst = simplex[n]!;
    const reflected = blend(centroid, worst.x, -1);
    const vr = value(reflected);
    if (vr < simplex[0]!.v) {
      const expanded = blend(centroid, worst.x, -2);
      const ve = value(expanded);
      simplex[n] = ve < vr ? { x: expanded, v: ve } : { x: reflected, v: vr };
    } else if (vr < simplex[n - 1]!.v) {
      simplex[n] = { x: reflected, v: vr };
    } else {
      const contracted = vr < worst.v ? blend(centroid, worst.x, -0.5) : blend(centroid, worst.x, 0.5);
      const vc = value(contracted);
      if (vc < Math.min(vr, worst.v)) simplex[n] = { x: contracted, v: vc };
      else {
        for (let k = 1; k <= n; k++) {
          const x = blend(simplex[0]!.x, simplex[k]!.x, 0.5);
          simplex[k] = { x, v: value(x) };
        }
      }
    }
  }
  simplex.sort((p, q) => p.v - q.v);
  const best = simplex[0]!;
  return { x: best.x, value: best.v, iterations, evaluations, gradientNorm: NaN, converged: evaluations < maxEvaluations, method: 'nelder-mead' };
}

/** Central-difference gradient, for objectives without an analytic one. */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, grad: Float64Array, relativeStep = 1e-6): void {
  const probe = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const h = relativeStep * Math.max(1, Math.abs(x[i]!));
    probe[i] = x[i]! + h;
    const up = f(probe);
    probe[i] = x[i]! - h;
    const down = f(probe);
    probe[i] = x[i]!;
    grad[i] = (up - down) / (2 * h);
  }
}

/** The Hessian of f at x by central differences of f (symmetric, n × n row-major). */
export function numericHessian(f: (x: Float64Array) => number, x: Float64Array, relativeStep = 1e-4): Float64Array {
  const n = x.length;
  const h = Array.from(x, (xi) => relativeStep * Math.max(1, Math.abs(xi)));
  const out = new Float64Array(n * n);
  const at = (di: number, si: number, dj: number, sj: number) => {
    const p = Float64Array.from(x);
    p[di] = p[di]! + si * h[di]!;
    p[dj] = p[dj]! + sj * h[dj]!;
    return f(p);
  };
  const f0 = f(x);
  for (let i = 0; i < n; i++) {
    out[i * n + i] = (at(i, 1, i, 1) - 2 * f0 + at(i, -1, i, -1)) / (4 * h[i]! * h[i]!);
    for (let j = i + 1; j < n; j++) {
      const v = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (4 * h[i]! * h[j]!);
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

/** The inverse of a symmetric positive-definite matrix by Gauss-Jordan elimination with partial pivoting; null if singular. */
export function invert(matrix: Float64Array, n: number): Float64Array | null {
  const a = Float64Array.from(matrix);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (Math.abs(a[pivot * n + col]!) < 1e-300) return null;
    for (let c = 0; c < n; c++) {
      [a[col * n + c], a[pivot * n + c]] = [a[pivot * n + c]!, a[col * n + c]!];
      [inv[col * n + c], inv[pivot * n + c]] = [inv[pivot * n + c]!, inv[col * n + c]!];
    }
    const p = a[col * n + col]!;
    for (let c = 0; c < n; c++) {
      a[col * n + c] = a[col * n + c]! / p;
      inv[col * n + c] = inv[col * n + c]! / p;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = a[r * n + col]!;
      if (factor === 0) continue;
      for (let c = 0; c < n; c++) {
        a[r * n + c] = a[r * n + c]! - factor * a[col * n + c]!;
        inv[r * n + c] = inv[r * n + c]! - factor * inv[col * n + c]!;
      }
    }
  }
  return inv;
}
