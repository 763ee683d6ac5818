import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { columnPass, columnQuadratic, solveRows } from './cg.ts';
import { blockGram, gramRows, inverseRows, topProductRows } from './linalg.ts';

/**
 * A helper thread for the numeric kernels that split into independent tasks: invertSpd's triangular inverse and
 * Gram product (linalg.ts, a task per pair of rows); ALS's Gram matrices and row solves (cg.ts), and the top
 * products its precompute ranks (linalg.ts), each a task per block of rows. This
 * thread and one helper claim tasks one at a time from a shared counter until none is left. Claiming makes it safe
 * whatever the helper does: if it starts late, or never (one core, or a failed start), the calling thread simply
 * claims every task, and a late helper finds none. The caller blocks until every claimed task is finished, so the
 * kernels stay synchronous. Each task computes the same numbers on either thread.
 */
export interface TaskRunner {
  /**
   * Runs tasks 0 … tasks − 1 of `kernel` over `arrays` (each backed by a SharedArrayBuffer) and `numbers`, this
   * thread taking part, and returns when all are done.
   */
  run(kernel: Kernel, arrays: Record<string, Float64Array | Int32Array>, numbers: Record<string, number>, tasks: number): void;
}

/** Rows per ALS task: at least 32, and few enough tasks (2,048) that claiming them and the buffers each allocates cost nothing next to the rows. */
export const rowsPerTask = (count: number): number => Math.max(32, Math.ceil(count / 2048));

type Arrays = Record<string, Float64Array | Int32Array>;
const KERNELS = {
  inverse: (v: Arrays, x: Record<string, number>, task: number) => inverseRows(v.a as Float64Array, v.t as Float64Array, x.n!, task),
  gram: (v: Arrays, x: Record<string, number>, task: number) => gramRows(v.a as Float64Array, v.t as Float64Array, x.n!, task),
  blockGram: (v: Arrays, x: Record<string, number>, task: number) => blockGram(v.f as Float64Array, v.out as Float64Array, x.k!, x.count!, task),
  topProducts: (v: Arrays, x: Record<string, number>, task: number) =>
    topProductRows(v.x as Float64Array, v.y as Float64Array, { order: v.order as Int32Array, norms: v.norms as Float64Array, rows: v.rows as Float64Array }, x.k!, x.columns!, v.skipStart as Int32Array, v.skipIndex as Int32Array, x.n!, v.outItems as Int32Array, v.outScores as Float64Array, v.outNearest as Int32Array, x.from!, x.to!, task),
  columnPass: (v: Arrays, x: Record<string, number>, task: number) =>
    columnPass(v.other as Float64Array, v.start as Int32Array, v.index as Int32Array, v.weights as Float64Array, v.v as Float64Array, v.active as Int32Array, v.out as Float64Array, x.k!, x.alpha!, x.columns!, x.initial === 1, v.bounds as Int32Array, task),
  columnQuadratic: (v: Arrays, x: Record<string, number>, task: number) =>
    columnQuadratic(v.other as Float64Array, v.start as Int32Array, v.index as Int32Array, v.weights as Float64Array, v.v as Float64Array, v.active as Int32Array, v.out as Float64Array, x.k!, x.alpha!, x.columns!, v.bounds as Int32Array, task),
  solveRows: (v: Arrays, x: Record<string, number>, task: number) => {
    const rows = rowsPerTask(x.count!);
    solveRows(
      { target: v.target as Float64Array, other: v.other as Float64Array, start: v.start as Int32Array, index: v.index as Int32Array, weights: v.weights as Float64Array, g: v.g as Float64Array, k: x.k!, lambda: x.lambda!, alpha: x.alpha!, steps: x.steps!, exactUpTo: x.exactUpTo, ...(v.z ? { exact: { z: v.z as Float64Array, whitened: v.whitened as Float64Array, squares: v.squares as Float64Array } } : {}) },
      task * rows,
      Math.min(x.count!, (task + 1) * rows),
    );
  },
};
type Kernel = keyof typeof KERNELS;

/** Slots of the per-run control array: the next task to claim and the tasks finished. */
const NEXT = 0;
const DONE = 1;

interface Job {
  kernel: Kernel;
  /** Each array as its shared buffer and whether it holds 32-bit integers. */
  arrays: Record<string, [SharedArrayBuffer, boolean]>;
  numbers: Record<string, number>;
  tasks: number;
  control: SharedArrayBuffer;
}

/** Claims and runs tasks until none is left; returns how many this thread ran. */
function work(job: Job): number {
  const control = new Int32Array(job.control);
  const views: Arrays = {};
  for (const [name, [buffer, ints]] of Object.entries(job.arrays)) views[name] = ints ? new Int32Array(buffer) : new Float64Array(buffer);
  const kernel = KERNELS[job.kernel];
  let ran = 0;
  for (let task = Atomics.add(control, NEXT, 1); task < job.tasks; task = Atomics.add(control, NEXT, 1)) {
    kernel(views, job.numbers, task);
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
    ran++;
  }
  return ran;
}

let helper: Worker | null | undefined;
let ready: Promise<boolean> = Promise.resolve(false);
/** Tasks the helper has run, over the process's life (for tests and benchmarks). */
let helperTasks = 0;

/** Resolves true once the helper listens (starting it if need be), false when there is none. */
export function helperReady(): Promise<boolean> {
  taskRunner();
  return ready;
}

/** How many tasks the helper thread has run so far. */
export const helperTasksRun = (): number => helperTasks;

/** The runner, with its helper started on first use; null on a single core or when the helper cannot start. */
export function taskRunner(): TaskRunner | null {
  if (helper === undefined) helper = startHelper();
  if (!helper) return null;
  const worker = helper;
  return {
    run(kernel, arrays, numbers, tasks) {
      const control = new SharedArrayBuffer(8);
      const shared: Job['arrays'] = {};
      for (const [name, array] of Object.entries(arrays)) shared[name] = [array.buffer as SharedArrayBuffer, array instanceof Int32Array];
      const job: Job = { kernel, arrays: shared, numbers, tasks, control };
      worker.postMessage(job);
      const ran = work(job);
      const counts = new Int32Array(control);
      for (let done = Atomics.load(counts, DONE); done < tasks; done = Atomics.load(counts, DONE)) Atomics.wait(counts, DONE, done, 100);
      helperTasks += tasks - ran;
    },
  };
}

/** A copy of `array` in a SharedArrayBuffer, for a kernel the helper takes part in. */
export function sharedCopy<T extends Float64Array | Int32Array>(array: T): T {
  const copy = (array instanceof Int32Array ? new Int32Array(new SharedArrayBuffer(array.byteLength)) : new Float64Array(new SharedArrayBuffer(array.byteLength))) as T;
  copy.set(array);
  return copy;
}

/** Defined (true) by scripts/bundle-cli.mjs in the bundles it builds. */
declare const SIYU_BUNDLE: boolean | undefined;

function startHelper(): Worker | null {
  if (availableParallelism() < 2 || process.env.SIYU_THREADS === '1') return null;
  const self = new URL(import.meta.url);
  // From the TypeScript sources the worker starts through a plain module that registers tsx first; from the CLI's
  // bundle through a bundle of this module alone (scripts/bundle-cli.mjs), since the CLI's would run the CLI again.
  const entry = typeof SIYU_BUNDLE !== 'undefined' || self.pathname.endsWith('.ts') ? new URL('./linalg-worker.mjs', self) : self;
  try {
    const worker = new Worker(entry, { workerData: { role: 'siyu-linalg', module: self.href } });
    worker.unref();
    ready = new Promise((resolve) => {
      worker.once('message', () => resolve(true));
      // A helper that fails is not used again; the calling thread claims every task meanwhile.
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
