import type { Store } from '../store/index.ts';

/** What started a run. */
export type JobTrigger = 'schedule' | 'cli' | 'api';
export const JOB_TRIGGERS: readonly JobTrigger[] = ['schedule', 'cli', 'api'];

export type JobStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

/** What a job body is given. */
export interface JobContext {
  store: Store;
  trigger: JobTrigger;
  runId: string;
  /** The run's clock: the scheduled slot for a schedule run, else when it started. */
  now: Date;
  /** A line of progress for whoever watches (the CLI's stderr, the server log). */
  progress: (line: string) => void;
}

/** How a run ended: work done, or nothing to do yet (a prerequisite is missing), said why. */
export type JobOutcome = { kind: 'done'; rowsTouched: number; summary: string } | { kind: 'skipped'; reason: string };

/** One recurring job. Later domains add theirs to the catalogue (catalogue.ts) the same way. */
export interface JobDefinition {
  name: string;
  description: string;
  /** Cron expression in the brand timezone, used until an operator sets another. */
  defaultSchedule: string;
  enabledByDefault: boolean;
  /** Jobs of one group never run at the same time (they write the same tables); default: the job's own name. */
  group?: string;
  run(context: JobContext): Promise<JobOutcome>;
}
