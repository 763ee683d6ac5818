import { SiyuError } from '../core/errors.ts';
import { readBrandSettings, type Queryable } from '../store/index.ts';
import { parseSchedule } from '../core/cron.ts';
import type { JobDefinition } from './definition.ts';
import { listRuns, type JobRun } from './runs.ts';

/** A job as operators see it: its schedule and switch (their own or the defaults), and its last and next runs. */
export interface JobInfo {
  name: string;
  description: string;
  schedule: string;
  isDefaultSchedule: boolean;
  enabled: boolean;
  timezone: string;
  /** The next scheduled time, when enabled. */
  nextRunAt: Date | null;
  lastRun: JobRun | null;
}

/** What an operator may change about a job: null puts a setting back to the job's default. */
export interface JobSettingsInput {
  schedule?: string | null;
  enabled?: boolean | null;
}

interface StoredSettings {
  schedule: string | null;
  enabled: boolean | null;
  firstSeen: Date;
}

/** The job named `name` in `jobs`; NotFound lists the known names. */
export function getJobDefinition(jobs: readonly JobDefinition[], name: string): JobDefinition {
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new SiyuError('not_found', 'job_not_found', `no job ${JSON.stringify(name)}; the jobs are ${jobs.map((j) => j.name).join(', ')}`);
  return job;
}

/**
 * Each job's stored settings, first recording the jobs not seen before (with `now` as when they were first seen:
 * slots before that are never caught up, so a new server does not run last night's job on its first start).
 */
export async function jobSettings(db: Queryable, jobs: readonly JobDefinition[], now: Date): Promise<Map<string, StoredSettings>> {
  const rows = await db.query<{ job: string; schedule: string | null; enabled: boolean | null; first_seen: Date }>('SELECT job, schedule, enabled, first_seen FROM job_settings');
  const known = new Map(rows.map((r) => [r.job, { schedule: r.schedule, enabled: r.enabled, firstSeen: r.first_seen }]));
  const unseen = jobs.filter((j) => !known.has(j.name));
  if (unseen.length > 0) {
    await db.insertRows('job_settings', ['job', 'first_seen', 'updated_at'], unseen.map((j) => [j.name, now, now]), '(job) DO NOTHING');
    for (const job of unseen) known.set(job.name, { schedule: null, enabled: null, firstSeen: now });
  }
  return known;
}

/** Every job with its effective schedule, switch, last run and next scheduled time. */
export async function listJobs(db: Queryable, jobs: readonly JobDefinition[], now: Date = new Date()): Promise<JobInfo[]> {
  const { timezone } = await readBrandSettings(db);
  const settings = await jobSettings(db, jobs, now);
  const out: JobInfo[] = [];
  for (const job of jobs) {
    const stored = settings.get(job.name);
    const schedule = stored?.schedule ?? job.defaultSchedule;
    const enabled = stored?.enabled ?? job.enabledByDefault;
    const [lastRun] = await listRuns(db, { job: job.name, limit: 1 });
    out.push({
      name: job.name,
      description: job.description,
      schedule,
      isDefaultSchedule: !stored?.schedule,
      enabled,
      timezone,
      nextRunAt: enabled ? (parseSchedule(schedule, timezone).next(now) ?? null) : null,
      lastRun: lastRun ?? null,
    });
  }
  return out;
}

/** Changes a job's schedule or switch; a schedule is checked as cron in the brand timezone before it is stored. */
export async function updateJobSettings(db: Queryable, jobs: readonly JobDefinition[], name: string, input: JobSettingsInput, now: Date = new Date()): Promise<JobInfo> {
  const job = getJobDefinition(jobs, name);
  if (input.schedule) parseSchedule(input.schedule, (await readBrandSettings(db)).timezone);
  await jobSettings(db, jobs, now);
  if (input.schedule !== undefined) await db.execute('UPDATE job_settings SET schedule = $2, updated_at = $3 WHERE job = $1', [job.name, input.schedule, now]);
  if (input.enabled !== undefined) await db.execute('UPDATE job_settings SET enabled = $2, updated_at = $3 WHERE job = $1', [job.name, input.enabled, now]);
  return (await listJobs(db, [job], now))[0]!;
}
