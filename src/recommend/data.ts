import { readFileSync } from 'node:fs';
import { SiyuError, type ErrorDetail } from '../core/errors.ts';

/** One user–item interaction: a rating, a purchase (weight = quantity or 1) or a view. Time is in seconds. */
export interface Interaction {
  user: string;
  item: string;
  weight: number;
  timestamp: number;
}

/**
 * Interactions indexed for the algorithms: dense user and item numbers, and per-user rows in CSR form
 * (`rowStart[u]..rowStart[u+1]` index `items`, `weights` and `times`, sorted by item within a row).
 * Items are numbered in id order (numeric ids numerically), so "lower index" means "lower id" wherever
 * an algorithm breaks ties.
 */
export interface InteractionMatrix {
  users: string[];
  items: string[];
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
  rowStart: Int32Array;
  itemOf: Int32Array;
  weights: Float64Array;
  times: Float64Array;
  /** Present when built with a half-life: per pair Σ weight·2^(−age/halfLife) and Σ 2^(−age/halfLife), age from `now`. */
  decay?: { halfLifeSeconds: number; now: number; weights: Float64Array; counts: Float64Array };
}

/** Orders ids numerically when both are whole numbers, else by code point. */
export function compareIds(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isInteger(x) && Number.isInteger(y) && a !== '' && b !== '') return x - y || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds the matrix. Repeated (user, item) pairs are merged: weights add up and the latest time is kept,
 * which is how purchases of the same SKU on several orders become one affinity.
 */
export function buildMatrix(rows: readonly Interaction[], options: { itemUniverse?: readonly string[]; halfLifeSeconds?: number } = {}): InteractionMatrix {
  const itemUniverse = options.itemUniverse ?? [];
  const items = [...new Set([...rows.map((r) => r.item), ...itemUniverse])].sort(compareIds);
  const itemIndex = new Map(items.map((id, i) => [id, i]));
  const users = [...new Set(rows.map((r) => r.user))].sort(compareIds);
  const userIndex = new Map(users.map((id, i) => [id, i]));
  const order = rows.map((_, i) => i);
  const u = Int32Array.from(rows, (r) => userIndex.get(r.user)!);
  const it = Int32Array.from(rows, (r) => itemIndex.get(r.item)!);
  order.sort((a, b) => u[a]! - u[b]! || it[a]! - it[b]!);

  const rowStart = new Int32Array(users.length + 1);
  const itemOf: number[] = [];
  const weights: number[] = [];
  const times: number[] = [];
  const halfLife = options.halfLifeSeconds;
  let now = -Infinity;
  for (const r of rows) now = Math.max(now, r.timestamp);
  const decayed: number[] = [];
  const decayCounts: number[] = [];
  let last = -1;
  for (const i of order) {
    const key = u[i]! * items.length + it[i]!;
    const r = rows[i]!;
    const factor = halfLife === undefined ? 1 : Math.pow(0.5, (now - r.timestamp) / halfLife);
    if (key === last) {
      const p = weights.length - 1;
      weights[p]! += r.weight;
      times[p] = Math.max(times[p]!, r.timestamp);
      decayed[p]! += r.weight * factor;
      decayCounts[p]! += factor;
      continue;
    }
    last = key;
    itemOf.push(it[i]!);
    weights.push(r.weight);
    times.push(r.timestamp);
    decayed.push(r.weight * factor);
    decayCounts.push(factor);
    rowStart[u[i]! + 1]!++;
  }
  for (let k = 0; k < users.length; k++) rowStart[k + 1]! += rowStart[k]!;
  return {
    users,
    items,
    userIndex,
    itemIndex,
    rowStart,
    itemOf: Int32Array.from(itemOf),
    weights: Float64Array.from(weights),
    times: Float64Array.from(times),
    ...(halfLife === undefined ? {} : { decay: { halfLifeSeconds: halfLife, now, weights: Float64Array.from(decayed), counts: Float64Array.from(decayCounts) } }),
  };
}

/**
 * Reads interactions from a TSV in the MovieLens split format: `user_id item_id rating timestamp`, one per line,
 * with an optional header line. A bad line is reported as `file:line` with what is wrong; nothing is returned then.
 */
export function readInteractionsTsv(path: string): Interaction[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SiyuError('not_found', 'file_not_found', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const lines = text.split('\n');
  const rows: Interaction[] = [];
  const problems: ErrorDetail[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    if (line === '') continue;
    const fields = line.split('\t');
    if (n === 0 && fields.length >= 3 && !Number.isFinite(Number(fields[2]))) continue;
    const problem =
      fields.length < 3 ? `expected at least 3 TAB-separated fields (user_id, item_id, rating[, timestamp]), found ${fields.length}`
      : fields[0] === '' || fields[1] === '' ? 'user_id and item_id must not be empty'
      : !Number.isFinite(Number(fields[2])) || fields[2] === '' ? `rating must be a number, not ${JSON.stringify(fields[2])}`
      : fields.length > 3 && !Number.isFinite(Number(fields[3])) ? `timestamp must be unix seconds, not ${JSON.stringify(fields[3])}`
      : undefined;
    if (problem) {
      problems.push({ file: path, line: n + 1, message: problem });
      continue;
    }
    rows.push({ user: fields[0]!, item: fields[1]!, weight: Number(fields[2]), timestamp: fields.length > 3 ? Number(fields[3]) : 0 });
  }
  if (problems.length) throw new SiyuError('validation', 'invalid_interactions', `${path}: ${problems.length} bad line${problems.length > 1 ? 's' : ''}`, { details: problems });
  return rows;
}

/** C = HᵀH over the binary user × item matrix H, n×n row-major: C[i][j] counts the users who had both i and j. */
export function cooccurrence(matrix: InteractionMatrix): Float64Array {
  const n = matrix.items.length;
  const counts = new Float64Array(n * n);
  for (let u = 0; u < matrix.users.length; u++) {
    const start = matrix.rowStart[u]!;
    const end = matrix.rowStart[u + 1]!;
    for (let p = start; p < end; p++) {
      const row = matrix.itemOf[p]! * n;
      for (let q = start; q < end; q++) counts[row + matrix.itemOf[q]!]!++;
    }
  }
  return counts;
}

/** Numbers strings densely in order of first sight: `code(id)` gives its number, `ids[number]` the string back. */
export function createCoder(): { ids: string[]; index: Map<string, number>; code: (id: string) => number } {
  const ids: string[] = [];
  const index = new Map<string, number>();
  return {
    ids,
    index,
    code(id) {
      let i = index.get(id);
      if (i === undefined) {
        index.set(id, (i = ids.length));
        ids.push(id);
      }
      return i;
    },
  };
}
