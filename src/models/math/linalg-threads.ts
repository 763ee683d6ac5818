import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { gramRows, inverseRows } from './linalg.ts';

/**
 * A helper thread for invertSpd (linalg.ts): its triangular inverse and its Gram product split into independent pairs
 * of rows, which this thread and one helper claim one at a time from a shared counter until none is left. Claiming
 * makes it safe whatever the helper does: if it starts late, or never (no second core, or TypeScript sources run
 * without the tsx loader in the worker), the calling thread simply claims every pair, and a late helper finds none.
 * The caller blocks until every claimed pair is finished, so invertSpd stays synchronous.
 */
export interface RowPairRunner {
  /** Runs `kernel` on row pairs 0 … pairs − 1 of `a` and `t` (backed by SharedArrayBuffers) and returns when all are done. */
  run(kernel: Kernel, a: Float64Array, t: Float64Array, n: number, pairs: number): void;
}

type Kernel = 'inverse' | 'gram';
const KERNELS: Record<Kernel, (a: Float64Array, t: Float64Array, n: number, p: number) => void> = { inverse: inverseRows, gram: gramRows };

/** Slots of the per-run control array: the next pair to claim and the pairs finished. */
const NEXT = 0;
const DONE = 1;

interface Job {
  kernel: Kernel;
  a: SharedArrayBuffer;
  t: SharedArrayBuffer;
  n: number;
  pairs: number;
  control: SharedArrayBuffer;
}

/** Claims and runs pairs until none is left; returns how many this thread ran. */
function work(job: Job): number {
  const control = new Int32Array(job.control);
  const a = new Float64Array(job.a);
  const t = new Float64Array(job.t);
  const kernel = KERNELS[job.kernel];
  let ran = 0;
  for (let p = Atomics.add(control, NEXT, 1); p < job.pairs; p = Atomics.add(control, NEXT, 1)) {
    kernel(a, t, job.n, p);
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
    ran++;
  }
  return ran;
}

let helper: Worker | null | undefined;
let ready: Promise<boolean> = Promise.resolve(false);
/** Pairs the helper has run, over the process's life (for tests and benchmarks). */
let helperPairs = 0;

/** Resolves true once the helper listens (starting it if need be), false when there is none. */
export function helperReady(): Promise<boolean> {
  rowPairRunner();
  return ready;
}

/** How many row pairs the helper thread has run so far. */
export const helperPairsRun = (): number => helperPairs;

/** The runner, with its helper started on first use; null on a single core or when the helper cannot start. */
export function rowPairRunner(): RowPairRunner | null {
  if (helper === undefined) helper = startHelper();
  if (!helper) return null;
  const worker = helper;
  return {
    run(kernel, a, t, n, pairs) {
      const control = new SharedArrayBuffer(8);
      const job: Job = { kernel, a: a.buffer as SharedArrayBuffer, t: t.buffer as SharedArrayBuffer, n, pairs, control };
      worker.postMessage(job);
      const ran = work(job);
      const counts = new Int32Array(control);
      for (let done = Atomics.load(counts, DONE); done < pairs; done = Atomics.load(counts, DONE)) Atomics.wait(counts, DONE, done, 100);
      helperPairs += pairs - ran;
    },
  };
}

function startHelper(): Worker | null {
  if (availableParallelism() < 2 || process.env.SIYU_THREADS === '1') return null;
  const self = new URL(import.meta.url);
  // From the TypeScript sources the worker starts through a plain module that registers tsx first.
  const entry = self.pathname.endsWith('.ts') ? new URL('./linalg-worker.mjs', self) : self;
  try {
    const worker = new Worker(entry, { workerData: { role: 'siyu-linalg', module: self.href } });
    worker.unref();
    ready = new Promise((resolve) => {
      worker.once('message', () => resolve(true));
      // A helper that fails is not used again; the calling thread claims every pair meanwhile.
      worker.once('error', () => {
        helper = null;
        resolve(false);
      });
    });
    return worker;
  } catch {
    return null;
  }
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'siyu-linalg') {
  parentPort!.on('message', (job: Job) => work(job));
  parentPort!.postMessage('ready');
}
