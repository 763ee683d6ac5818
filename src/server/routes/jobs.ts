import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getJobDefinition, getRun, JOB_TRIGGERS, listJobs, listRuns, updateJobSettings, type JobScheduler } from '../../jobs/index.ts';
import type { Store } from '../../store/index.ts';

const Run = z.object({
  runId: z.string(),
  job: z.string(),
  trigger: z.enum(JOB_TRIGGERS as [string, ...string[]]),
  slot: z.date().nullable().describe('the scheduled time a schedule run is for'),
  owner: z.string().describe('host:pid of the process that ran it'),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
  status: z.enum(['running', 'succeeded', 'failed', 'skipped']),
  rowsTouched: z.number().int().nullable().describe('customers or rows the run rewrote'),
  summary: z.string().nullable().describe('what it did, or why it was skipped'),
  error: z.string().nullable(),
});
const Job = z.object({
  name: z.string(),
  description: z.string(),
  schedule: z.string().describe('cron expression in the brand timezone'),
  isDefaultSchedule: z.boolean(),
  enabled: z.boolean(),
  timezone: z.string(),
  nextRunAt: z.date().nullable(),
  lastRun: Run.nullable(),
});
const Name = z.object({ name: z.string() });

/** Recurring jobs: list, history, run now, change schedule or switch (docs/operations.md). */
export function registerJobRoutes(app: FastifyInstance, store: Store, scheduler: JobScheduler): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/v1/jobs', { config: { permission: 'jobs:read' }, schema: { tags: ['ops'], summary: 'Every recurring job: schedule, switch, last run, next run', response: { 200: z.object({ jobs: z.array(Job) }) } } }, async () => ({
    jobs: await listJobs(store, scheduler.jobs),
  }));
  api.get(
    '/v1/jobs/:name/runs',
    { config: { permission: 'jobs:read' }, schema: { tags: ['ops'], summary: 'The latest runs of a job, newest first', params: Name, querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(20) }), response: { 200: z.object({ runs: z.array(Run) }) } } },
    async (request) => {
      const job = getJobDefinition(scheduler.jobs, request.params.name);
      return { runs: await listRuns(store, { job: job.name, limit: request.query.limit }) };
    },
  );
  api.get('/v1/jobs/runs/:runId', { config: { permission: 'jobs:read' }, schema: { tags: ['ops'], summary: 'One run', params: z.object({ runId: z.string() }), response: { 200: Run } } }, async (request) => getRun(store, request.params.runId));
  api.post(
    '/v1/jobs/:name/run',
    { config: { permission: 'jobs:run', expensive: true },
      schema: {
        tags: ['ops'],
        summary: 'Run a job now. Answers 202 with the run id at once, or with ?wait=true the finished run; 409 while a job of its group runs',
        params: Name,
        querystring: z.object({ wait: z.enum(['true', 'false']).default('false') }),
        response: { 200: Run, 202: z.object({ runId: z.string(), status: z.literal('running') }) },
      },
    },
    async (request, reply) => {
      const started = await scheduler.runNow(request.params.name, 'api');
      if (request.query.wait === 'true') return reply.code(200).send(await started.finished);
      void started.finished.catch(() => undefined);
      return reply.code(202).send({ runId: started.runId, status: 'running' as const });
    },
  );
  api.patch(
    '/v1/jobs/:name',
    { config: { permission: 'jobs:write' },
      schema: {
        tags: ['ops'],
        summary: 'Change a job\'s schedule (cron, brand timezone) or switch it on or off; null restores the default',
        params: Name,
        body: z.object({ schedule: z.string().min(1).nullable().optional(), enabled: z.boolean().nullable().optional() }).strict(),
        response: { 200: Job },
      },
    },
    async (request) => updateJobSettings(store, scheduler.jobs, request.params.name, request.body),
  );
}
