import assert from 'node:assert/strict';

/** Asserts |actual − expected| ≤ tolerance, naming the quantity. */
export const close = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

/**
 * Checks an analytic gradient against central differences: `f(params, grad?)` returns the log-likelihood and adds
 * its gradient, in the order of `names`, into `grad`.
 */
export function assertGradient<P extends Record<string, number>>(f: (params: P, grad?: Float64Array) => number, params: P, names: readonly (keyof P & string)[], relative: number, where = ''): void {
  const grad = new Float64Array(names.length);
  f(params, grad);
  names.forEach((name, i) => {
    const value = params[name] as number;
    const h = 1e-6 * value;
    const numeric = (f({ ...params, [name]: value + h }) - f({ ...params, [name]: value - h })) / (2 * h);
    close(grad[i]!, numeric, relative * Math.max(1, Math.abs(numeric)), `∂/∂${name}${where}`);
  });
}

/**
 * Checks an analytic Hessian against central differences of the analytic gradient: `f(params, grad, hess?)` returns
 * the log-likelihood, writes its gradient into `grad` and, when given, its Hessian (row-major) into `hess`.
 */
export function assertHessian<P extends Record<string, number>>(f: (params: P, grad: Float64Array, hess?: Float64Array) => number, params: P, names: readonly (keyof P & string)[], relative: number, where = ''): void {
  const n = names.length;
  const hess = new Float64Array(n * n);
  f(params, new Float64Array(n), hess);
  names.forEach((name, j) => {
    const value = params[name] as number;
    const h = 1e-6 * value;
    const up = new Float64Array(n);
    const down = new Float64Array(n);
    f({ ...params, [name]: value + h }, up);
    f({ ...params, [name]: value - h }, down);
    names.forEach((row, i) => {
      const numeric = (up[i]! - down[i]!) / (2 * h);
      close(hess[i * n + j]!, numeric, relative * Math.max(1, Math.abs(numeric)), `∂²/∂${row}∂${name}${where}`);
    });
  });
}
