import { readBrandSettings, type Store } from '../store/index.ts';
import { BUILT_IN_JOBS } from './catalogue.ts';
import { parseSchedule } from '../core/cron.ts';
import type { JobDefinition, JobTrigger } from './definition.ts';
import { recoverInterruptedRuns, runJob, type JobRun } from './runs.ts';
import { getJobDefinition, jobSettings } from './settings.ts';

export interface JobSchedulerOptions {
  jobs?: readonly JobDefinition[];
  /** The scheduler's clock (tests move it); default the system clock. */
  clock?: () => Date;
  /** The longest wait between two checks, so a schedule changed by another process is seen; default a minute. */
  maxWaitMs?: number;
  onFinished?: (run: JobRun) => void;
  onError?: (error: unknown, job: string) => void;
  onProgress?: (job: string, line: string) => void;
}

/** A run started by `runNow`: its id at once, and the finished run later. */
export interface StartedRun {
  runId: string;
  finished: Promise<JobRun>;
}

/**
 * Runs every enabled job on its cron schedule (in the brand timezone) inside `siyu serve`. At each check a job
 * whose latest slot has not run yet starts, unless a run of it is still going; a slot missed while no server ran
 * runs once when the next one starts. Runs go through `runJob`, so each kind runs once at a time across processes,
 * and a failure is recorded and tried again at the next slot without holding up the other jobs.
 */
export class JobScheduler {
  readonly jobs: readonly JobDefinition[];
  private readonly clock: () => Date;
  private readonly running = new Map<string, Promise<JobRun | undefined>>();
  /** The latest slot each job has run (or seen run by another process). */
  private readonly handled = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<string[]> | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly options: JobSchedulerOptions = {},
  ) {
    this.jobs = options.jobs ?? BUILT_IN_JOBS;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Marks as failed the runs a process that died left `running` (on the embedded store, which one process opens at a
   * time, every such run; on PostgreSQL those whose lease expired). The server does this at start even when it runs
   * no schedules.
   */
  async recover(): Promise<number> {
    return recoverInterruptedRuns(this.store, { exclusive: this.store.kind === 'duckdb', now: this.clock() });
  }

  /** Recovers interrupted runs, then checks now and keeps checking until `close`. */
  async start(): Promise<void> {
    await this.recover();
    const slots = await this.store.query<{ job: string; slot: Date }>('SELECT job, max(slot) AS slot FROM job_runs WHERE slot IS NOT NULL GROUP BY job');
    for (const { job, slot } of slots) this.handled.set(job, slot.getTime());
    await this.loop();
  }

  /** Starts every due job at `now` (they run on in the background); returns the names started. Checks never overlap. */
  check(now: Date = this.clock()): Promise<string[]> {
    this.checking ??= this.startDue(now).finally(() => (this.checking = undefined));
    return this.checking;
  }

  /** Starts a run of `name` now, outside its schedule; a conflict if its group is running. */
  async runNow(name: string, trigger: JobTrigger, onProgress?: (line: string) => void): Promise<StartedRun> {
    const job = getJobDefinition(this.jobs, name);
    let started: (runId: string) => void = () => undefined;
    const runId = new Promise<string>((resolve) => (started = resolve));
    const run = runJob(this.store, job, { trigger, now: this.clock(), onStarted: started, onProgress: (line) => (onProgress ?? ((l) => this.options.onProgress?.(name, l)))(line) });
    this.track(name, run);
    const id = await Promise.race([runId, run.then(() => undefined)]);
    if (id === undefined) await run; // it could not start: rethrow the conflict
    return { runId: id!, finished: run.then((r) => r!) };
  }

  /** Waits for every run in progress. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** The jobs running in this process now. */
  runningJobs(): string[] {
    return [...this.running.keys()];
  }

  /** Stops scheduling and waits for the runs in progress to finish. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.checking;
    await this.idle();
  }

  private async loop(): Promise<void> {
    if (this.closed) return;
    await this.check().catch((error) => this.options.onError?.(error, '(scheduler)'));
    if (this.closed) return;
    this.timer = setTimeout(() => void this.loop(), await this.untilNext());
    this.timer.unref();
  }

  /** Milliseconds to the earliest next slot of any enabled job, between one second and maxWaitMs. */
  private async untilNext(): Promise<number> {
    const now = this.clock();
    const maxWait = this.options.maxWaitMs ?? 60_000;
    try {
      const { timezone } = await readBrandSettings(this.store);
      const settings = await jobSettings(this.store, this.jobs, now);
      const next = this.jobs
        .filter((job) => settings.get(job.name)?.enabled ?? job.enabledByDefault)
        .map((job) => parseSchedule(settings.get(job.name)?.schedule ?? job.defaultSchedule, timezone).next(now)?.getTime() ?? Infinity);
      return Math.max(1000, Math.min(maxWait, Math.min(...next) - now.getTime()));
    } catch {
      return maxWait;
    }
  }

  private async startDue(now: Date): Promise<string[]> {
    const { timezone } = await readBrandSettings(this.store);
    const settings = await jobSettings(this.store, this.jobs, now);
    const started: string[] = [];
    for (const job of this.jobs) {
      const stored = settings.get(job.name);
      if (!(stored?.enabled ?? job.enabledByDefault) || this.running.has(job.name)) continue;
      let slot: Date | undefined;
      try {
        slot = parseSchedule(stored?.schedule ?? job.defaultSchedule, timezone, `${job.name}.schedule`).previous(now);
      } catch (error) {
        this.options.onError?.(error, job.name);
        continue;
      }
      if (!slot || slot < (stored?.firstSeen ?? now) || slot.getTime() <= (this.handled.get(job.name) ?? -Infinity)) continue;
      const at = slot;
      this.track(
        job.name,
        runJob(this.store, job, { trigger: 'schedule', slot: at, now, onProgress: (line) => this.options.onProgress?.(job.name, line) }).then(async (run) => {
          // No run: its group was busy (try again at the next check) or another process took the slot (done).
          if (run || (await this.store.query('SELECT 1 FROM job_runs WHERE job = $1 AND slot = $2', [job.name, at])).length > 0) this.handled.set(job.name, at.getTime());
          return run;
        }),
      );
      started.push(job.name);
    }
    return started;
  }

  private track(name: string, run: Promise<JobRun | undefined>): void {
    const tracked = run.then(
      (finished) => {
        if (finished) this.options.onFinished?.(finished);
        return finished;
      },
      (error: unknown) => {
        this.options.onError?.(error, name);
        return undefined;
      },
    );
    this.running.set(name, tracked);
    void tracked.finally(() => {
      if (this.running.get(name) === tracked) this.running.delete(name);
    });
  }
}

