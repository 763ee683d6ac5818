import { SiyuError } from '../../core/errors.ts';

/**
 * Per-customer repeat-buying summaries, the input of every CLV model, in one time unit (days or weeks):
 * x = repeat purchases in the calibration period, tx = time of the last purchase since the first ("recency"),
 * T = time from the first purchase to the end of calibration ("age"). `weight` counts identical rows.
 */
export interface RepeatSummary {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
}

/** A row that no model may be fitted on, and why. */
export interface InvalidSummaryRow {
  index: number;
  reason: string;
}

/**
 * Checks rows and collapses identical (x, tx, T) into weighted rows: likelihoods are sums over rows, so a fit on
 * the grouped data is exact and far cheaper (1M customers at day granularity are about 100k distinct rows).
 * Invalid rows (negative or non-integer x, tx > T, x > 0 with tx = 0 allowed only if T ≥ 0, non-finite values) are
 * returned, never fitted.
 */
export function groupSummaries(x: ArrayLike<number>, tx: ArrayLike<number>, T: ArrayLike<number>): { summary: RepeatSummary; invalid: InvalidSummaryRow[] } {
  if (x.length !== tx.length || x.length !== T.length) {
    throw new SiyuError('validation', 'summary_lengths', `x, tx and T must have the same length (${x.length}, ${tx.length}, ${T.length})`);
  }
  const invalid: InvalidSummaryRow[] = [];
  const valid: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const reason = invalidReason(x[i]!, tx[i]!, T[i]!);
    if (reason) invalid.push({ index: i, reason });
    else valid.push(i);
  }
  const { first, groupOf } = groupRows(valid, x, tx, T);
  const weight = new Float64Array(first.length);
  for (const g of groupOf) weight[g]!++;
  return {
    summary: { x: Float64Array.from(first, (i) => x[i]!), tx: Float64Array.from(first, (i) => tx[i]!), T: Float64Array.from(first, (i) => T[i]!), weight },
    invalid,
  };
}

/**
 * Groups the rows `indices` by their exact (x, tx, T) with an open-addressing hash table on the values' bits (a Map
 * keyed by strings took 1.7 s for 1M rows). Returns the first row of each group and each row's group, in order.
 */
export function groupRows(indices: readonly number[], x: ArrayLike<number>, tx: ArrayLike<number>, T: ArrayLike<number>): { first: number[]; groupOf: Int32Array } {
  let size = 1024;
  while (size < indices.length * 2) size *= 2;
  const table = new Int32Array(size).fill(-1);
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  // Each 32-bit word is multiplied in and its high bits folded down, so whole numbers (whose low word is 0) still
  // reach the low bits the slot is taken from; murmur3's finaliser then spreads the result.
  const mix = (h: number, word: number) => {
    h = Math.imul(h ^ word, 0x9e3779b1);
    return h ^ (h >>> 15);
  };
  const hashOf = (v: number, h: number) => {
    bits[0] = v;
    return mix(mix(h, words[0]!), words[1]!);
  };
  const finish = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  const first: number[] = [];
  const groupOf = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    let slot = finish(hashOf(T[i]!, hashOf(tx[i]!, hashOf(x[i]!, 0x811c9dc5)))) & (size - 1);
    for (;;) {
      const g = table[slot]!;
      if (g === -1) {
        table[slot] = first.length;
        groupOf[k] = first.length;
        first.push(i);
        break;
      }
      const j = first[g]!;
      if (x[j] === x[i] && tx[j] === tx[i] && T[j] === T[i]) {
        groupOf[k] = g;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  return { first, groupOf };
}

/** Why no model may be fitted on the row (x, tx, T), or undefined when it is valid. */
export function invalidReason(x: number, tx: number, T: number): string | undefined {
  if (!Number.isFinite(x) || !Number.isFinite(tx) || !Number.isFinite(T)) return 'x, tx and T must be finite numbers';
  if (x < 0 || !Number.isInteger(x)) return `x must be a whole number ≥ 0, not ${x}`;
  if (tx < 0) return `tx must be ≥ 0, not ${tx}`;
  if (T < tx) return `T (${T}) must be ≥ tx (${tx})`;
  if (x === 0 && tx !== 0) return `a customer without repeat purchases must have tx = 0, not ${tx}`;
  if (T <= 0) return `T must be > 0, not ${T} (a first purchase at or after the calibration end)`;
  return undefined;
}

/** Rows grouped by a whole-number count x: rows order[starts[g]] to order[starts[g+1] − 1] have x = values[g], ascending. */
export interface CountGroups {
  values: Int32Array;
  starts: Int32Array;
  order: Int32Array;
}

/**
 * A counting sort of rows by x (whole numbers ≥ 0). Likelihood loops walk the groups so that every term depending
 * on x alone (the Γ and ψ functions) is computed once per distinct x, not once per row.
 */
export function groupByCount(x: ArrayLike<number>): CountGroups {
  const n = x.length;
  let maxX = 0;
  for (let i = 0; i < n; i++) maxX = Math.max(maxX, x[i]!);
  const counts = new Int32Array(maxX + 2);
  for (let i = 0; i < n; i++) counts[x[i]! + 1]!++;
  for (let v = 0; v <= maxX; v++) counts[v + 1]! += counts[v]!;
  const values: number[] = [];
  const starts: number[] = [];
  for (let v = 0; v <= maxX; v++) {
    if (counts[v + 1]! > counts[v]!) {
      values.push(v);
      starts.push(counts[v]!);
    }
  }
  starts.push(n);
  const next = counts.slice(0, maxX + 1);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[next[x[i]!]!++] = i;
  return { values: Int32Array.from(values), starts: Int32Array.from(starts), order };
}

/** Each row's index into the distinct values of `values` (in order of first appearance), and those values. */
export function indexDistinct(values: ArrayLike<number>): { at: Int32Array; values: Float64Array } {
  const seen = new Map<number, number>();
  const at = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let k = seen.get(values[i]!);
    if (k === undefined) seen.set(values[i]!, (k = seen.size));
    at[i] = k;
  }
  return { at, values: Float64Array.from(seen.keys()) };
}

/**
 * Groups rows by (x, T): each row's group and the first row of each group. x is a whole number and T takes few
 * distinct values (days or weeks of age), so (x, index of T) addresses a dense table when it is small enough,
 * about 4× faster than hashing (x, tx, T) (groupRows).
 */
export function groupPairs(x: ArrayLike<number>, T: ArrayLike<number>): { first: number[]; groupOf: Int32Array } {
  const n = x.length;
  const t = indexDistinct(T);
  const width = t.values.length;
  let maxX = 0;
  for (let i = 0; i < n; i++) maxX = Math.max(maxX, x[i]!);
  const first: number[] = [];
  const groupOf = new Int32Array(n);
  const dense = (maxX + 1) * width <= 1 << 22 ? new Int32Array((maxX + 1) * width).fill(-1) : null;
  const sparse = dense ? null : new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = x[i]! * width + t.at[i]!;
    let g = dense ? dense[key]! : (sparse!.get(key) ?? -1);
    if (g < 0) {
      g = first.length;
      first.push(i);
      if (dense) dense[key] = g;
      else sparse!.set(key, g);
    }
    groupOf[i] = g;
  }
  return { first, groupOf };
}
