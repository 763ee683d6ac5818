import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { BUILT_IN_JOBS, getJobDefinition, listJobs, listRuns, runJob, updateJobSettings, type JobInfo, type JobRun } from '../jobs/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';
import { io } from './io.ts';

const when = (date: Date | null | undefined) => (date ? date.toISOString().replace('T', ' ').slice(0, 19) : '—');
const took = (run: JobRun) => (run.finishedAt ? `${((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1)} s` : 'running');

function formatJobs(jobs: JobInfo[]): string {
  const rows = jobs.map((j) => [j.name, j.enabled ? 'on' : 'off', j.schedule + (j.isDefaultSchedule ? '' : ' *'), when(j.nextRunAt), j.lastRun ? `${j.lastRun.status} ${when(j.lastRun.startedAt)}` : 'never']);
  const header = ['JOB', 'ON', 'SCHEDULE', 'NEXT RUN (UTC)', 'LAST RUN (UTC)'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line), '', `schedules are cron in the brand timezone (${jobs[0]?.timezone ?? 'Asia/Shanghai'}); * marks one changed from the default`].join('\n');
}

function formatRun(run: JobRun): string {
  const head = `${run.job} ${run.status} (${run.trigger}, run ${run.runId}, ${took(run)})`;
  return [head, run.summary ? `  ${run.summary}` : '', run.rowsTouched !== null ? `  rows touched: ${run.rowsTouched.toLocaleString('en-US')}` : '', run.error ? `  error: ${run.error.split('\n')[0]}` : ''].filter(Boolean).join('\n');
}

function formatHistory(runs: JobRun[]): string {
  if (runs.length === 0) return 'no runs yet';
  return runs.map((r) => `${when(r.startedAt)}  ${r.job.padEnd(17)} ${r.status.padEnd(9)} ${r.trigger.padEnd(8)} ${took(r).padStart(8)}  ${r.error ? r.error.split('\n')[0] : (r.summary ?? '')}`).join('\n');
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('the recurring jobs `siyu serve` runs on schedules: list them, see their runs, run one now, change a schedule (docs/operations.md)');

  withDb(jobs.command('list').description('every job with its schedule, switch, next and last run'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listJobs(store, BUILT_IN_JOBS);
          emit(opts.json, list, () => formatJobs(list));
        }),
      ),
    );

  withDb(jobs.command('history').description('the latest runs, newest first').argument('[name]', 'one job (default: all)'))
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string | undefined, opts: { db?: string; limit: string; json?: boolean }) => {
        const limit = parseCount(opts.limit, '--limit');
        const job = name ? getJobDefinition(BUILT_IN_JOBS, name).name : undefined;
        await withOpenStore(opts.db, async (store) => {
          const runs = await listRuns(store, { job, limit });
          emit(opts.json, runs, () => formatHistory(runs));
        });
      }),
    );

  withDb(jobs.command('run').description('run a job now and wait for it (through the running server when it holds the store); exit code 1 if the run fails').argument('<name>', BUILT_IN_JOBS.map((j) => j.name).join(' | ')))
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, opts: { db?: string; json?: boolean }) => {
        const job = getJobDefinition(BUILT_IN_JOBS, name);
        const progress = opts.json ? undefined : (line: string) => io().stderr.write(`  ${line}\n`);
        await withOpenStore(opts.db, async (store) => {
          // Inside the server, the run goes through its scheduler, which then knows the job is running.
          const scheduler = io().scheduler;
          const run = scheduler ? await (await scheduler.runNow(job.name, 'cli', progress)).finished : await runJob(store, job, { trigger: 'cli', onProgress: progress });
          if (!run) throw new SiyuError('internal', 'run_missing', `${job.name} left no run record`);
          emit(opts.json, run, () => formatRun(run));
          if (run.status === 'failed') io().exitCode = 1;
        });
      }),
    );

  const toggle = (verb: 'enable' | 'disable') =>
    withDb(jobs.command(verb).description(`${verb === 'enable' ? 'switch a job on' : 'switch a job off'}: running servers see it within a minute`).argument('<name>')).action(
      action(async (name: string, opts: { db?: string }) =>
        withOpenStore(opts.db, async (store) => {
          const job = await updateJobSettings(store, BUILT_IN_JOBS, name, { enabled: verb === 'enable' });
          io().stdout.write(`${job.name} ${job.enabled ? 'on' : 'off'}${job.nextRunAt ? `; next run ${when(job.nextRunAt)} UTC` : ''}\n`);
        }),
      ),
    );
  toggle('enable');
  toggle('disable');

  withDb(jobs.command('schedule').description('set a job\'s cron schedule in the brand timezone, e.g. "0 2 * * *" (02:00 daily); "default" restores its own').argument('<name>').argument('<cron>'))
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, cron: string, opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const job = await updateJobSettings(store, BUILT_IN_JOBS, name, { schedule: cron === 'default' ? null : cron });
          emit(opts.json, job, () => `${job.name}: ${job.schedule} (${job.timezone})${job.nextRunAt ? `; next run ${when(job.nextRunAt)} UTC` : ''}`);
        }),
      ),
    );
}
