import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { blindIndex } from './blind-index.ts';
import { sealPii } from './fields.ts';
import { KeyRing } from '../store/index.ts';

// Encrypting a large import is CPU work on every row, about 1–2 µs per field; these helpers spread it over the
// machine's cores. Values arrive as columns (as Queryable.queryColumns returns them) and leave as columns.

/** Columns of one table to encrypt, keyed by the row key of each row. */
export interface ColumnBatch {
  table: string;
  /** Each row's key (its place binds the values to the row). */
  rows: readonly string[];
  /** column name → values, row by row; null stays null. */
  columns: Readonly<Record<string, readonly (string | null)[]>>;
  /** column name → identifier type, for columns that also get a blind index (values already in normal form). */
  blind?: Readonly<Record<string, string>>;
  /** Seal the values as personal-value tokens (fields.ts sealPii: not bound to a row), which merges may copy. */
  piiValue?: boolean;
  /**
   * When set, each row's values are sealed together, as one JSON array in this column, instead of one token per
   * field: one cipher call per row, about a quarter of the cost for four fields (measured before the import sealed
   * anything; docs/privacy.md, "Cost").
   */
  envelope?: string;
}

export interface EncryptedBatch {
  columns: Record<string, (string | null)[]>;
  blind: Record<string, (string | null)[]>;
}

/** Encrypts every value of a batch on this thread, and computes the blind indexes asked for. */
export function encryptBatch(ring: KeyRing, batch: ColumnBatch, from = 0, to = batch.rows.length): EncryptedBatch {
  const out: EncryptedBatch = { columns: {}, blind: {} };
  const entries = Object.entries(batch.columns);
  if (batch.envelope) {
    const sealed: string[] = new Array(to - from);
    for (let i = from; i < to; i++) sealed[i - from] = ring.encrypt(JSON.stringify(entries.map(([, values]) => values[i] ?? null)), { table: batch.table, column: batch.envelope, row: batch.rows[i]! });
    out.columns[batch.envelope] = sealed;
  }
  for (const [column, values] of entries) {
    const sealed: (string | null)[] = new Array(to - from);
    for (let i = from; i < to && !batch.envelope; i++) {
      const v = values[i];
      sealed[i - from] = v === null || v === undefined ? null : batch.piiValue ? sealPii(ring, v) : ring.encrypt(v, { table: batch.table, column, row: batch.rows[i]! });
    }
    if (!batch.envelope) out.columns[column] = sealed;
    const type = batch.blind?.[column];
    if (type) {
      const keys: (string | null)[] = new Array(to - from);
      for (let i = from; i < to; i++) keys[i - from] = values[i] == null ? null : blindIndex(ring.indexKey, type, values[i]!);
      out.blind[column] = keys;
    }
  }
  return out;
}

interface Job {
  material: ReturnType<KeyRing['material']>;
  batch: ColumnBatch;
  from: number;
  to: number;
}

declare const SIYU_BUNDLE: boolean | undefined;

let pool: Worker[] | undefined;

function startPool(size: number): Worker[] {
  const self = new URL(import.meta.url);
  // From the TypeScript sources the threads start through a plain module that registers tsx first; from the CLI's
  // bundle through a bundle of this module alone (scripts/bundle-cli.mjs), since the CLI's would run the CLI again.
  const entry = typeof SIYU_BUNDLE !== 'undefined' ? new URL('./pii-worker.mjs', self) : self.pathname.endsWith('.ts') ? new URL('./bulk-worker.mjs', self) : self;
  return Array.from({ length: size }, () => {
    const worker = new Worker(entry, { workerData: { role: 'siyu-pii', module: self.href } });
    worker.unref();
    return worker;
  });
}

function run(worker: Worker, job: Job): Promise<EncryptedBatch> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.postMessage(job);
  });
}

/**
 * encryptBatch split over `threads` helper threads (default: one per core), while this thread waits. Worth it for
 * tens of thousands of rows and more; below that, the copies to and from the threads cost more than they save.
 */
export async function encryptBatchParallel(ring: KeyRing, batch: ColumnBatch, threads = availableParallelism()): Promise<EncryptedBatch> {
  const n = batch.rows.length;
  if (threads <= 1 || n < 20_000) return encryptBatch(ring, batch);
  pool ??= startPool(threads);
  const size = Math.min(threads, pool.length);
  const material = ring.material();
  // Each thread gets only its slice: the rows are copied to it, so sending all of them to each would double the cost.
  const slice = (from: number, to: number): ColumnBatch => ({ ...batch, rows: batch.rows.slice(from, to), columns: Object.fromEntries(Object.entries(batch.columns).map(([c, v]) => [c, v.slice(from, to)])) });
  const parts = await Promise.all(
    pool.slice(0, size).map((w, k) => {
      const part = slice(Math.floor((k * n) / size), Math.floor(((k + 1) * n) / size));
      return run(w, { material, batch: part, from: 0, to: part.rows.length });
    }),
  );
  const out: EncryptedBatch = { columns: {}, blind: {} };
  for (const key of ['columns', 'blind'] as const) for (const column of Object.keys(parts[0]![key])) out[key][column] = parts.flatMap((p) => p[key][column]!);
  return out;
}

/** Stops the helper threads (tests and benchmarks; a server keeps them). */
export async function stopEncryptionThreads(): Promise<void> {
  const workers = pool ?? [];
  pool = undefined;
  await Promise.all(workers.map((w) => w.terminate()));
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'siyu-pii') {
  parentPort!.on('message', (job: Job) => parentPort!.postMessage(encryptBatch(KeyRing.fromMaterial(job.material), job.batch, job.from, job.to)));
}
