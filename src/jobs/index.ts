// The jobs domain's public API: recurring work inside `siyu serve`, its schedules and its recorded runs (docs/operations.md).
export { BUILT_IN_JOBS } from './catalogue.ts';
export { parseSchedule, type Schedule } from '../core/cron.ts';
export { JOB_TRIGGERS, type JobContext, type JobDefinition, type JobOutcome, type JobStatus, type JobTrigger } from './definition.ts';
export { findRun, getRun, LEASE_MS, listRuns, PROCESS_OWNER, recoverInterruptedRuns, runJob, type JobRun, type RunJobOptions } from './runs.ts';
export { JobScheduler, type JobSchedulerOptions, type StartedRun } from './scheduler.ts';
export { getJobDefinition, listJobs, updateJobSettings, type JobInfo, type JobSettingsInput } from './settings.ts';
