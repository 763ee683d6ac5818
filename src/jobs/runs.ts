import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isSiyuError, SiyuError } from '../core/errors.ts';
import type { Queryable, Store } from '../store/index.ts';
import type { JobDefinition, JobOutcome, JobStatus, JobTrigger } from './definition.ts';

/** One recorded run of a job, as `job_runs` holds it. */
export interface JobRun {
  runId: string;
  job: string;
  trigger: JobTrigger;
  /** The scheduled time a schedule run is for. */
  slot: Date | null;
  owner: string;
  startedAt: Date;
  finishedAt: Date | null;
  status: JobStatus;
  rowsTouched: number | null;
  summary: string | null;
  error: string | null;
}

/** This process, as the owner of the runs and leases it takes: host and process id. */
export const PROCESS_OWNER = `${hostname()}:${process.pid}`;

/**
 * How long a lease lives without renewal. Runs renew theirs every RENEW_MS; the margin covers a busy event loop (a
 * recommender's training keeps it busy for tens of seconds). A process that dies frees its lease after this long.
 */
export const LEASE_MS = 5 * 60_000;
const RENEW_MS = 30_000;

export interface RunJobOptions {
  trigger: JobTrigger;
  /** For schedule runs: the slot, which runs once whichever process reaches it first. */
  slot?: Date;
  /** The run's clock (default: now). */
  now?: Date;
  owner?: string;
  onProgress?: (line: string) => void;
  /** Called once the run is recorded and holds its lease, before the job's work starts. */
  onStarted?: (runId: string) => void;
}

const RUN_COLUMNS = 'run_id, job, trigger, slot, owner, started_at, finished_at, status, rows_touched, summary, error';

function toRun(row: Record<string, unknown>): JobRun {
  return {
    runId: String(row.run_id),
    job: String(row.job),
    trigger: row.trigger as JobTrigger,
    slot: (row.slot as Date | null) ?? null,
    owner: String(row.owner),
    startedAt: row.started_at as Date,
    finishedAt: (row.finished_at as Date | null) ?? null,
    status: row.status as JobStatus,
    rowsTouched: row.rows_touched === null || row.rows_touched === undefined ? null : Number(row.rows_touched),
    summary: (row.summary as string | null) ?? null,
    error: (row.error as string | null) ?? null,
  };
}

/**
 * Runs `job` once and records it in `job_runs`: running, then succeeded, skipped (a prerequisite is missing) or
 * failed with its error. The run first takes its group's lease, so jobs of one group never run at once, in this
 * process or any other on the same database; the lease is renewed while the run lives and freed when it ends, and
 * a process that dies leaves a lease that expires. A schedule run also claims its slot, so a slot runs once.
 *
 * Returns the finished run, or undefined when a schedule run found its slot taken or its lease held (another
 * process has it). A manual run that finds the lease held is a `conflict` naming the run that holds it. The job's
 * own failure is recorded, not thrown.
 */
export async function runJob(store: Store, job: JobDefinition, options: RunJobOptions): Promise<JobRun | undefined> {
  const owner = options.owner ?? PROCESS_OWNER;
  const runId = randomUUID();
  const lease = job.group ?? job.name;
  const startedAt = new Date();
  // Bookkeeping goes through a connection of its own: on the embedded store the job's work may hold the main one
  // for a long transaction, and the lease must still be renewed meanwhile.
  const books = await store.fork();
  try {
    const claimed = await claim(books, { lease, runId, owner, job: job.name, trigger: options.trigger, slot: options.slot ?? null, startedAt });
    if (!claimed) {
      if (options.slot) return undefined;
      const holder = await leaseHolder(books, lease);
      throw new SiyuError('conflict', 'job_running', `${job.name} cannot start: ${holder ? `${holder.job} (run ${holder.runId}, ${holder.owner}) has been running since ${holder.startedAt.toISOString()}` : 'another job of its group is running'}; try again when it ends (siyu jobs history ${job.name})`);
    }
    options.onStarted?.(runId);
    const renew = setInterval(() => void renewLease(books, lease, runId).catch(() => undefined), RENEW_MS);
    renew.unref();
    let outcome: JobOutcome | undefined;
    let failure: string | undefined;
    try {
      outcome = await job.run({ store, trigger: options.trigger, runId, now: options.now ?? options.slot ?? startedAt, progress: options.onProgress ?? (() => undefined) });
    } catch (error) {
      failure = isSiyuError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
    } finally {
      clearInterval(renew);
    }
    await finish(books, lease, runId, outcome, failure);
    return await getRun(books, runId);
  } finally {
    await books.close();
  }
}

async function claim(db: Store, run: { lease: string; runId: string; owner: string; job: string; trigger: JobTrigger; slot: Date | null; startedAt: Date }): Promise<boolean> {
  await db.execute('INSERT INTO job_leases (lease) VALUES ($1) ON CONFLICT (lease) DO NOTHING', [run.lease]);
  try {
    return await db.transaction(async (tx) => {
      const taken = await tx.execute(
        'UPDATE job_leases SET run_id = $2, owner = $3, expires_at = $4 WHERE lease = $1 AND (run_id IS NULL OR expires_at < $5)',
        [run.lease, run.runId, run.owner, new Date(run.startedAt.getTime() + LEASE_MS), run.startedAt],
      );
      if (taken !== 1) return false;
      if (run.slot && (await tx.query('SELECT 1 FROM job_runs WHERE job = $1 AND slot = $2', [run.job, run.slot])).length > 0) {
        throw new SiyuError('conflict', 'slot_taken', 'slot already run');
      }
      await tx.execute(`INSERT INTO job_runs (run_id, job, trigger, slot, owner, started_at, status) VALUES ($1, $2, $3, $4, $5, $6, 'running')`, [
        run.runId,
        run.job,
        run.trigger,
        run.slot,
        run.owner,
        run.startedAt,
      ]);
      return true;
    });
  } catch (error) {
    // Another process took the slot first (our check or the unique index), or updated the lease concurrently.
    if (isSiyuError(error) && error.kind === 'conflict') return false;
    if (isSiyuError(error) && /conflict/i.test(error.message)) return false;
    throw error;
  }
}

async function renewLease(db: Queryable, lease: string, runId: string): Promise<void> {
  await db.execute('UPDATE job_leases SET expires_at = $3 WHERE lease = $1 AND run_id = $2', [lease, runId, new Date(Date.now() + LEASE_MS)]);
}

async function finish(db: Store, lease: string, runId: string, outcome: JobOutcome | undefined, failure: string | undefined): Promise<void> {
  const [status, rows, summary] = !outcome ? ['failed', null, null] : outcome.kind === 'done' ? ['succeeded', outcome.rowsTouched, outcome.summary] : ['skipped', null, outcome.reason];
  await db.transaction(async (tx) => {
    await tx.execute('UPDATE job_runs SET finished_at = $2, status = $3, rows_touched = $4, summary = $5, error = $6 WHERE run_id = $1', [runId, new Date(), status, rows, summary, failure ?? null]);
    await tx.execute('UPDATE job_leases SET run_id = NULL, owner = NULL, expires_at = NULL WHERE lease = $1 AND run_id = $2', [lease, runId]);
  });
}

async function leaseHolder(db: Queryable, lease: string): Promise<JobRun | undefined> {
  const [row] = await db.query(`SELECT ${RUN_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')} FROM job_leases l JOIN job_runs r ON r.run_id = l.run_id WHERE l.lease = $1`, [lease]);
  return row ? toRun(row) : undefined;
}

/** One run by id, or undefined. */
export async function findRun(db: Queryable, runId: string): Promise<JobRun | undefined> {
  const [row] = await db.query(`SELECT ${RUN_COLUMNS} FROM job_runs WHERE run_id = $1`, [runId]);
  return row ? toRun(row) : undefined;
}

/** One run by id; NotFound when there is none. */
export async function getRun(db: Queryable, runId: string): Promise<JobRun> {
  const run = await findRun(db, runId);
  if (!run) throw new SiyuError('not_found', 'run_not_found', `no job run ${runId}`);
  return run;
}

/** The latest runs, newest first, of one job or of all. */
export async function listRuns(db: Queryable, options: { job?: string; limit?: number } = {}): Promise<JobRun[]> {
  const rows = await db.query(
    `SELECT ${RUN_COLUMNS} FROM job_runs ${options.job ? 'WHERE job = $2' : ''} ORDER BY started_at DESC, run_id LIMIT $1`,
    options.job ? [options.limit ?? 20, options.job] : [options.limit ?? 20],
  );
  return rows.map(toRun);
}

/**
 * Marks as failed the runs left `running` by a process that is gone, and frees their leases. With `exclusive` (the
 * embedded store, which one process opens at a time) every running run is such a run; otherwise those whose lease
 * has expired or was taken by another run. Returns how many runs were marked.
 */
export async function recoverInterruptedRuns(db: Store, options: { exclusive: boolean; now?: Date }): Promise<number> {
  const now = options.now ?? new Date();
  const stale = options.exclusive
    ? `status = 'running'`
    : `status = 'running' AND NOT EXISTS (SELECT 1 FROM job_leases l WHERE l.run_id = job_runs.run_id AND l.expires_at >= $2)`;
  return db.transaction(async (tx) => {
    const marked = await tx.execute(
      `UPDATE job_runs SET status = 'failed', finished_at = $1, error = 'interrupted: the process running it (' || owner || ') stopped before it finished' WHERE ${stale}`,
      options.exclusive ? [now] : [now, now],
    );
    await tx.execute(`UPDATE job_leases SET run_id = NULL, owner = NULL, expires_at = NULL WHERE ${options.exclusive ? 'run_id IS NOT NULL' : 'expires_at < $1'}`, options.exclusive ? [] : [now]);
    return marked;
  });
}
