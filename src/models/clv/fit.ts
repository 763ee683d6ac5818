import { invert, lbfgs, nelderMead, newton, numericGradient, numericHessian, type MinimizeResult } from '../math/optimize.ts';

/**
 * A model's total log-likelihood at positive parameters `p`; writes ∂LL/∂p into `grad` when given, and the Hessian
 * ∂²LL/∂p∂p (row-major) into `hess` when given and the model computes one.
 */
export type LogLikelihood = (p: Float64Array, grad?: Float64Array, hess?: Float64Array) => number;

export interface FitOptions {
  /** L2 penalty on the parameters (as in lifetimes' penalizer_coef): adds penalizer·Σp² to the mean negative LL. */
  penalizer?: number;
  /** Starting parameters; each model has a default. */
  initial?: readonly number[];
  /** Set by models whose log-likelihood computes an exact gradient (used for the Hessian behind standard errors). */
  analyticGradient?: boolean;
  /** Set by models whose log-likelihood also computes an exact Hessian: the fit then runs Newton's method. */
  analyticHessian?: boolean;
}

export interface FitResult<P extends string> {
  params: Record<P, number>;
  /** The log-likelihood at the fitted parameters, summed over customers (without the penalty). */
  logLikelihood: number;
  /** Asymptotic standard errors from the inverse Hessian of −LL; null when the Hessian is not invertible. */
  standardErrors: Record<P, number> | null;
  converged: boolean;
  /** The infinity norm of the objective's gradient (mean −LL per customer, log-parameters) at the end. */
  gradientNorm: number;
  iterations: number;
  method: MinimizeResult['method'] | 'lbfgs+nelder-mead';
  customers: number;
  /**
   * Parameters that ran to the search bound (below 1e−7 or above 1e7) without converging: the likelihood keeps rising
   * towards a limiting case of the model (for BG/NBD, r and α together to infinity: every customer buys at the same
   * rate). A penalizer keeps them finite.
   */
  unbounded: P[];
}

/** Parameters are searched between e^−16.1 and e^16.1, about 1e−7 to 1e7. */
const LOG_BOUND = Math.log(1e7);

/**
 * Maximises a weighted log-likelihood over positive parameters. The search runs on log-parameters (so every step
 * is feasible) and on the mean per customer (so tolerances do not depend on the data size): by damped Newton when
 * the model has an exact Hessian, else by L-BFGS with the model's gradient. If that stops short of convergence,
 * Nelder-Mead restarts from where it stopped and L-BFGS polishes the result.
 */
export function fitPositive<P extends string>(names: readonly P[], initial: readonly number[], logLikelihood: LogLikelihood, totalWeight: number, options: FitOptions = {}): FitResult<P> {
  const penalizer = options.penalizer ?? 0;
  const n = names.length;
  const p = new Float64Array(n);
  const gradP = new Float64Array(n);
  const hessP = new Float64Array(n * n);
  const objective = (theta: Float64Array, grad?: Float64Array, hess?: Float64Array): number => {
    for (let i = 0; i < n; i++) p[i] = Math.exp(theta[i]!);
    const ll = logLikelihood(p, grad ? gradP : undefined, hess ? hessP : undefined);
    let penalty = 0;
    for (let i = 0; i < n; i++) penalty += p[i]! * p[i]!;
    if (grad) for (let i = 0; i < n; i++) grad[i] = (-gradP[i]! / totalWeight) * p[i]! + 2 * penalizer * p[i]! * p[i]!;
    // On θ = ln p: ∂²/∂θi∂θj = Hij·pi·pj + δij·gi·pi, for the negated mean log-likelihood and the penalty.
    if (hess) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) hess[i * n + j] = (-hessP[i * n + j]! / totalWeight) * p[i]! * p[j]!;
        hess[i * n + i] = hess[i * n + i]! + (-gradP[i]! / totalWeight) * p[i]! + 4 * penalizer * p[i]! * p[i]!;
      }
    }
    return -ll / totalWeight + penalizer * penalty;
  };
  // Beyond the bound, Γ-function differences such as ln Γ(r+x) − ln Γ(r) lose their digits and the search would
  // wander in rounding noise; the objective is infinite there, so the solvers step back.
  const bounded = (theta: Float64Array, grad?: Float64Array, hess?: Float64Array): number => (theta.every((t) => Math.abs(t) <= LOG_BOUND) ? objective(theta, grad, hess) : Infinity);
  const start = Float64Array.from(options.initial ?? initial, Math.log);
  let result = options.analyticHessian ? newton(bounded, start, { gradientTolerance: 1e-9 }) : lbfgs(bounded, start, { gradientTolerance: 1e-9 });
  let method: FitResult<P>['method'] = result.method;
  const atBound = () => names.filter((_, i) => Math.abs(result.x[i]!) > LOG_BOUND - 0.5);
  if (!result.converged && atBound().length === 0) {
    const simplex = nelderMead((theta) => bounded(theta), result.x, { initialStep: 0.2, maxEvaluations: 1000 });
    result = lbfgs(bounded, simplex.x, { gradientTolerance: 1e-9 });
    method = 'lbfgs+nelder-mead';
  }
  const unbounded = result.converged ? [] : atBound();
  const fitted = Float64Array.from(result.x, Math.exp);
  const params = Object.fromEntries(names.map((name, i) => [name, fitted[i]!])) as Record<P, number>;
  // The final log-likelihood, and the Hessian of −LL for the standard errors: exact when the model has one (the
  // same evaluation), else central differences of the gradient (2n evaluations) or of the function (2n² + 1).
  let hessian: Float64Array;
  let ll: number;
  if (options.analyticHessian) {
    ll = logLikelihood(fitted, new Float64Array(n), hessP);
    hessian = hessP.map((v) => -v);
  } else {
    ll = logLikelihood(fitted);
    hessian = options.analyticGradient ? gradientHessian(fitted, logLikelihood) : numericHessian((q) => (q.every((v) => v > 0) ? -logLikelihood(q) : Infinity), fitted, 1e-5);
  }
  return {
    params,
    logLikelihood: ll,
    standardErrors: standardErrors(names, hessian),
    converged: result.converged,
    gradientNorm: result.gradientNorm,
    iterations: result.iterations,
    method,
    customers: totalWeight,
    unbounded,
  };
}

/** Above this many rows, fits start from a fit on a sample of the rows (see `warmStart`). */
const WARM_START_ROWS = 100_000;

/**
 * A starting point for a large fit: the parameters fitted on every k-th row (about 20,000 rows), so the full fit
 * starts near its optimum and needs a few Newton steps instead of a dozen. Returns the options unchanged for small
 * data, when a start was given, or when the sample's fit does not converge. `data` holds parallel columns.
 */
export function warmStart<D extends Record<string, Float64Array>, P extends string>(data: D, options: FitOptions, fit: (data: D, options: FitOptions) => FitResult<P>, names: readonly P[]): FitOptions {
  const rows = Object.values(data)[0]?.length ?? 0;
  if (options.initial || rows <= WARM_START_ROWS) return options;
  const every = Math.ceil(rows / 20_000);
  const sample = Object.fromEntries(Object.entries(data).map(([key, column]) => [key, column.filter((_, i) => i % every === 0)])) as D;
  const first = fit(sample, options);
  return first.converged ? { ...options, initial: names.map((name) => first.params[name]) } : options;
}

/**
 * A log-likelihood with its gradient by central differences, for models whose derivatives have no convenient closed
 * form (the parameters of ₂F₁ in Pareto/NBD; BG/BB's sums of Beta functions).
 */
export function withNumericGradient(logLikelihood: (p: Float64Array) => number): LogLikelihood {
  return (p, grad) => {
    if (grad) numericGradient(logLikelihood, p, grad, 1e-7);
    return logLikelihood(p);
  };
}

/** √diag of the inverse of the Hessian of −LL at the estimate: the parameters' asymptotic standard errors. */
function standardErrors<P extends string>(names: readonly P[], hessian: Float64Array): Record<P, number> | null {
  const n = names.length;
  const inverse = invert(hessian, n);
  if (!inverse) return null;
  const errors = names.map((_, i) => Math.sqrt(inverse[i * n + i]!));
  if (errors.some((e) => !Number.isFinite(e))) return null;
  return Object.fromEntries(names.map((name, i) => [name, errors[i]!])) as Record<P, number>;
}

/** The Hessian of −LL by central differences of the analytic gradient. */
function gradientHessian(at: Float64Array, logLikelihood: LogLikelihood): Float64Array {
  const n = at.length;
  const out = new Float64Array(n * n);
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const h = 1e-6 * Math.max(1e-3, Math.abs(at[j]!));
    const p = Float64Array.from(at);
    p[j] = at[j]! + h;
    logLikelihood(p, up);
    p[j] = at[j]! - h;
    logLikelihood(p, down);
    for (let i = 0; i < n; i++) out[i * n + j] = -(up[i]! - down[i]!) / (2 * h);
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[i * n + j] = out[j * n + i] = (out[i * n + j]! + out[j * n + i]!) / 2;
  return out;
}
