import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { BUILT_IN_JOBS, JobScheduler, listJobs, listRuns, parseSchedule, runJob, updateJobSettings, type JobDefinition, type JobOutcome } from '../../src/jobs/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { BACKENDS, freshLocation, withStore } from '../helpers/backends.ts';
import { load } from '../segment/fixture.ts';

const done = (rows = 1): JobOutcome => ({ kind: 'done', rowsTouched: rows, summary: 'ok' });

/** A job that records each start and can be held open until released. */
function heldJob(name: string, group?: string) {
  const starts: Date[] = [];
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const job: JobDefinition = {
    name,
    description: 'test',
    defaultSchedule: '0 * * * *',
    enabledByDefault: true,
    group,
    run: async ({ now }) => {
      starts.push(now);
      await gate;
      return done();
    },
  };
  return {
    job,
    starts,
    hold: () => (gate = new Promise<void>((resolve) => (release = resolve))),
    release: () => release(),
  };
}

const at = (iso: string) => new Date(iso);

describe('cron schedules', () => {
  const cases: [title: string, expression: string, zone: string][] = [
    ['a minute out of range', '61 * * * *', 'UTC'],
    ['too few fields', '0 2 *', 'UTC'],
    ['words that are not cron', 'every night', 'UTC'],
    ['an unknown timezone', '0 2 * * *', 'Mars/Olympus'],
  ];
  for (const [title, expression, zone] of cases) {
    test(`refuses ${title}, naming the field`, () => {
      assert.throws(
        () => parseSchedule(expression, zone, 'nightly.schedule'),
        (e: unknown) => isSiyuError(e) && e.kind === 'validation' && e.code === 'invalid_schedule' && e.message.startsWith('nightly.schedule: '),
      );
    });
  }

  test('reads times in the brand timezone: 02:00 in Shanghai is 18:00 UTC the day before', () => {
    const nightly = parseSchedule('0 2 * * *', 'Asia/Shanghai');
    assert.deepEqual(nightly.next(at('2026-12-05T10:00:00Z')), at('2026-12-05T18:00:00Z'));
    assert.deepEqual(nightly.previous(at('2026-12-05T18:00:00Z')), at('2026-12-05T18:00:00Z'), 'a slot exactly now is the latest');
    assert.deepEqual(nightly.previous(at('2026-12-05T17:59:59Z')), at('2026-12-04T18:00:00Z'));
  });
});

for (const backend of BACKENDS) {
  describe(`jobs on ${backend}`, () => {
    test('a run is recorded with its trigger, status, rows and summary; a failure keeps its error and a missing prerequisite skips', () =>
      withStore(backend, async (store) => {
        const ok: JobDefinition = { name: 'ok', description: '', defaultSchedule: '* * * * *', enabledByDefault: true, run: async () => done(42) };
        const broken: JobDefinition = { ...ok, name: 'broken', run: async () => Promise.reject(new Error('disk on fire')) };
        const succeeded = await runJob(store, ok, { trigger: 'cli' });
        assert.deepEqual([succeeded?.status, succeeded?.trigger, succeeded?.rowsTouched, succeeded?.summary, succeeded?.error], ['succeeded', 'cli', 42, 'ok', null]);
        assert.ok(succeeded!.finishedAt! >= succeeded!.startedAt);
        const failed = await runJob(store, broken, { trigger: 'api' });
        assert.equal(failed?.status, 'failed');
        assert.match(failed!.error!, /disk on fire/);
        assert.equal((await runJob(store, ok, { trigger: 'cli' }))?.status, 'succeeded', 'a failure frees the lease');

        const nightly = BUILT_IN_JOBS.find((j) => j.name === 'nightly')!;
        const skipped = await runJob(store, nightly, { trigger: 'cli' });
        assert.equal(skipped?.status, 'skipped');
        assert.match(skipped!.summary!, /no orders/);
        assert.deepEqual((await listRuns(store, { limit: 10 })).map((r) => [r.job, r.status]), [['nightly', 'skipped'], ['ok', 'succeeded'], ['broken', 'failed'], ['ok', 'succeeded']]);
      }));

    test('the built-in layer jobs compute the layers once there are orders', () =>
      withStore(backend, async (store) => {
        await load(store);
        const byName = (name: string) => BUILT_IN_JOBS.find((j) => j.name === name)!;
        assert.equal((await runJob(store, byName('layers-update'), { trigger: 'cli' }))?.status, 'skipped', 'nothing to update before the first full run');
        const nightly = await runJob(store, byName('nightly'), { trigger: 'cli' });
        assert.equal(nightly?.status, 'succeeded', nightly?.error ?? '');
        assert.equal(nightly?.rowsTouched, 7);
        const [rfm] = await store.query<{ n: number }>('SELECT count(*) AS n FROM rfm_scores');
        assert.equal(rfm?.n, 6, 'the six buyers');
        assert.equal((await runJob(store, byName('layers-update'), { trigger: 'cli' }))?.status, 'succeeded');
      }));

    test('jobs of one group never run at once: a manual run is refused naming the running one', () =>
      withStore(backend, async (store) => {
        const a = heldJob('a', 'g');
        const b = heldJob('b', 'g');
        a.hold();
        const running = runJob(store, a.job, { trigger: 'api' });
        while (a.starts.length === 0) await new Promise((r) => setTimeout(r, 5));
        await assert.rejects(runJob(store, b.job, { trigger: 'cli' }), (e: unknown) => isSiyuError(e) && e.kind === 'conflict' && /a \(run .*\) has been running since/.test(e.message));
        assert.equal(await runJob(store, b.job, { trigger: 'schedule', slot: at('2026-01-01T00:00:00Z') }), undefined, 'a schedule run waits for its turn');
        a.release();
        assert.equal((await running)?.status, 'succeeded');
        assert.equal((await runJob(store, b.job, { trigger: 'cli' }))?.status, 'succeeded');
      }));

    test('the scheduler runs each due slot once, catches up a slot missed while stopped, and never one from before it first saw the job', () =>
      withStore(backend, async (store) => {
        const hourly = heldJob('hourly');
        const other = heldJob('other');
        let now = at('2026-03-01T10:30:00Z');
        const scheduler = new JobScheduler(store, { jobs: [hourly.job, other.job], clock: () => now });
        assert.deepEqual(await scheduler.check(), [], 'the 10:00 slot came before the jobs were first seen');
        now = at('2026-03-01T11:00:00Z');
        assert.deepEqual(await scheduler.check(), ['hourly', 'other']);
        await scheduler.idle();
        now = at('2026-03-01T11:20:00Z');
        assert.deepEqual(await scheduler.check(), [], 'the 11:00 slot has run');
        await scheduler.close();

        now = at('2026-03-01T14:10:00Z'); // down from 11:20 to 14:10: the 12:00, 13:00 and 14:00 slots were missed
        const restarted = new JobScheduler(store, { jobs: [hourly.job], clock: () => now });
        assert.deepEqual(await restarted.check(), ['hourly'], 'the latest missed slot runs once');
        await restarted.idle();
        assert.deepEqual(await restarted.check(), []);
        assert.deepEqual(hourly.starts, [at('2026-03-01T11:00:00Z'), at('2026-03-01T14:10:00Z')]);
        const runs = await listRuns(store, { job: 'hourly' });
        assert.deepEqual(runs.map((r) => [r.trigger, r.slot?.toISOString()]), [['schedule', '2026-03-01T14:00:00.000Z'], ['schedule', '2026-03-01T11:00:00.000Z']]);
        await restarted.close();
      }));

    test('a failing job is retried at its next slot and does not hold up the others', () =>
      withStore(backend, async (store) => {
        let attempts = 0;
        const flaky: JobDefinition = { name: 'flaky', description: '', defaultSchedule: '*/10 * * * *', enabledByDefault: true, run: async () => (++attempts === 1 ? Promise.reject(new Error('first try fails')) : done()) };
        const steady = heldJob('steady');
        let now = at('2026-03-01T10:05:00Z');
        const scheduler = new JobScheduler(store, { jobs: [flaky, { ...steady.job, defaultSchedule: '*/10 * * * *' }], clock: () => now });
        await scheduler.check();
        now = at('2026-03-01T10:10:00Z');
        assert.deepEqual(await scheduler.check(), ['flaky', 'steady']);
        await scheduler.idle();
        now = at('2026-03-01T10:15:00Z');
        assert.deepEqual(await scheduler.check(), [], 'not retried before its next slot');
        now = at('2026-03-01T10:20:00Z');
        await scheduler.check();
        await scheduler.close();
        assert.deepEqual((await listRuns(store, { job: 'flaky' })).map((r) => r.status), ['succeeded', 'failed']);
        assert.equal(steady.starts.length, 2);
      }));

    test('a run left running by a process that died is marked failed when the scheduler starts, and its lease is freed', () =>
      withStore(backend, async (store) => {
        const job = heldJob('orphan');
        const long = new Date(Date.now() - 3_600_000);
        await store.execute(`INSERT INTO job_runs (run_id, job, trigger, owner, started_at, status) VALUES ('r1', 'orphan', 'schedule', 'gone:1', $1, 'running')`, [long]);
        await store.execute(`INSERT INTO job_leases (lease, run_id, owner, expires_at) VALUES ('orphan', 'r1', 'gone:1', $1)`, [new Date(long.getTime() + 60_000)]);
        const scheduler = new JobScheduler(store, { jobs: [job.job], maxWaitMs: 3_600_000 });
        await scheduler.start();
        await scheduler.close();
        const [run] = await listRuns(store, { job: 'orphan' });
        assert.equal(run?.status, 'failed');
        assert.match(run!.error!, /interrupted: the process running it \(gone:1\) stopped/);
        assert.equal((await runJob(store, job.job, { trigger: 'cli' }))?.status, 'succeeded');
      }));

    test('operators change a schedule or switch a job off; a bad schedule is refused and nothing changes', () =>
      withStore(backend, async (store) => {
        const job = heldJob('j');
        const now = at('2026-03-01T10:30:00Z');
        const changed = await updateJobSettings(store, [job.job], 'j', { schedule: '15 3 * * *' }, now);
        assert.deepEqual([changed.schedule, changed.isDefaultSchedule, changed.nextRunAt?.toISOString()], ['15 3 * * *', false, '2026-03-01T19:15:00.000Z'], '03:15 in Shanghai');
        await assert.rejects(updateJobSettings(store, [job.job], 'j', { schedule: '99 * * * *' }, now), (e: unknown) => isSiyuError(e) && e.code === 'invalid_schedule');
        await assert.rejects(updateJobSettings(store, [job.job], 'nope', { enabled: false }, now), (e: unknown) => isSiyuError(e) && e.kind === 'not_found' && e.message.includes('the jobs are j'));
        const off = await updateJobSettings(store, [job.job], 'j', { enabled: false }, now);
        assert.deepEqual([off.enabled, off.nextRunAt, off.schedule], [false, null, '15 3 * * *']);
        const scheduler = new JobScheduler(store, { jobs: [job.job], clock: () => at('2026-03-02T00:00:00Z') });
        assert.deepEqual(await scheduler.check(), [], 'off');
        await updateJobSettings(store, [job.job], 'j', { enabled: null, schedule: null }, now);
        const [restored] = await listJobs(store, [job.job], now);
        assert.deepEqual([restored?.enabled, restored?.schedule, restored?.isDefaultSchedule], [true, '0 * * * *', true]);
        await scheduler.close();
      }));

    test('the jobs routes list, run (at once or waiting), refuse a busy group with 409, and change settings', () =>
      withStore(backend, async (store) => {
        const app = await buildServerAs(store);
        try {
          const list = await app.inject({ method: 'GET', url: '/v1/jobs' });
          assert.deepEqual(list.json().jobs.map((j: { name: string }) => j.name), BUILT_IN_JOBS.map((j) => j.name));
          const waited = await app.inject({ method: 'POST', url: '/v1/jobs/nightly/run?wait=true' });
          assert.deepEqual([waited.statusCode, waited.json().status, waited.json().trigger], [200, 'skipped', 'api']);
          const started = await app.inject({ method: 'POST', url: '/v1/jobs/segments/run' });
          assert.equal(started.statusCode, 202);
          let run = (await app.inject({ method: 'GET', url: `/v1/jobs/runs/${started.json().runId}` })).json();
          while (run.status === 'running') run = (await app.inject({ method: 'GET', url: `/v1/jobs/runs/${started.json().runId}` })).json();
          assert.equal(run.status, 'succeeded');
          const history = await app.inject({ method: 'GET', url: '/v1/jobs/nightly/runs' });
          assert.deepEqual(history.json().runs.map((r: { status: string }) => r.status), ['skipped']);
          const patched = await app.inject({ method: 'PATCH', url: '/v1/jobs/nightly', payload: { schedule: '0 1 * * *', enabled: false } });
          assert.deepEqual([patched.statusCode, patched.json().schedule, patched.json().enabled], [200, '0 1 * * *', false]);
          const bad = await app.inject({ method: 'PATCH', url: '/v1/jobs/nightly', payload: { schedule: 'nightly please' } });
          assert.deepEqual([bad.statusCode, bad.json().code], [400, 'invalid_schedule']);
          assert.equal((await app.inject({ method: 'POST', url: '/v1/jobs/nope/run' })).statusCode, 404);

          await store.execute(`INSERT INTO job_runs (run_id, job, trigger, owner, started_at, status) VALUES ('held', 'layers-update', 'cli', 'other:1', now(), 'running')`);
          await store.execute(`INSERT INTO job_leases (lease, run_id, owner, expires_at) VALUES ('layers', 'held', 'other:1', $1) ON CONFLICT (lease) DO UPDATE SET run_id = 'held', owner = 'other:1', expires_at = $1`, [new Date(Date.now() + 60_000)]);
          const busy = await app.inject({ method: 'POST', url: '/v1/jobs/nightly/run' });
          assert.deepEqual([busy.statusCode, busy.json().code], [409, 'job_running']);
        } finally {
          await app.close();
        }
      }));
  });
}

if (BACKENDS.includes('postgres')) {
  describe('jobs across two servers on one PostgreSQL database', () => {
    test('each slot runs once, and never two runs of a kind at once', async () => {
      const { location, cleanup } = freshLocation('postgres');
      const stores: Store[] = [];
      try {
        for (let i = 0; i < 2; i++) stores.push(await openStore(location));
        const { migrate } = await import('../../src/store/index.ts');
        await migrate(stores[0]!);
        let concurrent = 0;
        let maxConcurrent = 0;
        const slots: string[] = [];
        const job: JobDefinition = {
          name: 'shared',
          description: '',
          defaultSchedule: '*/5 * * * *',
          enabledByDefault: true,
          run: async ({ now }) => {
            maxConcurrent = Math.max(maxConcurrent, ++concurrent);
            slots.push(now.toISOString());
            await new Promise((r) => setTimeout(r, 30));
            concurrent--;
            return done();
          },
        };
        let now = at('2026-03-01T10:01:00Z');
        const schedulers = stores.map((s, i) => new JobScheduler(s, { jobs: [job], clock: () => now, onError: (e) => assert.fail(`scheduler ${i}: ${String(e)}`) }));
        await Promise.all(schedulers.map((s) => s.check()));
        for (const minute of ['05', '10', '15', '20', '25']) {
          now = at(`2026-03-01T10:${minute}:00Z`);
          await Promise.all(schedulers.map((s) => s.check()));
          await Promise.all(schedulers.map((s) => s.idle()));
        }
        await Promise.all(schedulers.map((s) => s.close()));
        assert.equal(maxConcurrent, 1);
        const runs = await listRuns(stores[0]!, { job: 'shared', limit: 100 });
        assert.deepEqual(runs.map((r) => r.slot?.toISOString().slice(11, 16)).sort(), ['10:05', '10:10', '10:15', '10:20', '10:25'], 'once per slot');
        assert.equal(slots.length, 5);
      } finally {
        for (const s of stores) await s.close();
        await cleanup();
      }
    });
  });
}
