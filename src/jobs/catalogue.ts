import { describeWecomSync, syncWecomChannels, wecomSyncChanges } from '../channels/index.ts';
import { isSiyuError } from '../core/errors.ts';
import { fitClv, scoreChurn, scoreClv, trainChurn } from '../models/index.ts';
import { runJourneys } from '../journey/index.ts';
import { evaluateTiers, expireCoupons, expirePoints } from '../loyalty/index.ts';
import { applyRetention } from '../privacy/index.ts';
import { retrainRecommendations } from '../recommend/index.ts';
import { computeLayers, layerRuns, refreshDueSegments, updateLayers } from '../segment/index.ts';
import type { JobDefinition, JobOutcome } from './definition.ts';

const done = (rowsTouched: number, summary: string): JobOutcome => ({ kind: 'done', rowsTouched, summary });

/**
 * Runs `fn`; a missing prerequisite (a `not_found` error such as "no orders yet" or "no CLV fit yet") makes the run
 * skipped with that reason rather than failed: the next scheduled run tries again once the data is there.
 */
async function unlessMissing(fn: () => Promise<JobOutcome>): Promise<JobOutcome> {
  try {
    return await fn();
  } catch (error) {
    if (isSiyuError(error) && error.kind === 'not_found') return { kind: 'skipped', reason: error.message };
    throw error;
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * The built-in recurring jobs with their default schedules, chosen for a brand of about 1M customers on a 2-core
 * machine (docs/operations.md gives each one's measured time): the layer work at night and in small increments
 * during the day, model refits weekly, scoring daily after the layers, the recommendation refresh last.
 */
export const BUILT_IN_JOBS: readonly JobDefinition[] = [
  {
    name: 'nightly',
    description: 'every layer for every customer who can have changed (attributes, RFM, value tiers, lifecycle stages, clusters) and every saved segment',
    defaultSchedule: '0 2 * * *',
    enabledByDefault: true,
    group: 'layers',
    run: ({ store, progress }) =>
      unlessMissing(async () => {
        const report = await computeLayers(store, { onStep: (step, seconds) => progress(`${step} ${seconds.toFixed(2)} s`) });
        const customers = Math.max(0, ...report.steps.map((s) => s.customers));
        return done(customers, `layers as of ${report.asOf} (${report.mode}): ${report.steps.length} steps${report.skippedSegments.length ? `, skipped ${report.skippedSegments.join(', ')}` : ''}`);
      }),
  },
  {
    name: 'layers-update',
    description: 'the incremental layer update: customers with new orders or events since the last run',
    defaultSchedule: '*/5 * * * *',
    enabledByDefault: true,
    group: 'layers',
    run: ({ store, progress }) =>
      unlessMissing(async () => {
        if ((await layerRuns(store)).size === 0) return { kind: 'skipped', reason: 'no layer computed yet: the nightly job (or siyu layers compute) does the first computation' };
        const report = await updateLayers(store, { onStep: (step, seconds) => progress(`${step} ${seconds.toFixed(2)} s`) });
        return done(report.customers, `${count(report.customers)} changed customers updated as of ${report.asOf}`);
      }),
  },
  {
    name: 'segments',
    description: 'refresh the saved segments whose hourly, daily or weekly schedule is due',
    defaultSchedule: '* * * * *',
    enabledByDefault: true,
    group: 'layers',
    run: async ({ store, now }) => {
      const reports = await refreshDueSegments(store, now);
      const moved = reports.reduce((sum, r) => sum + r.entered + r.exited, 0);
      return done(moved, reports.length ? reports.map((r) => `${r.segment}: ${count(r.members)} (+${count(r.entered)} −${count(r.exited)})`).join('; ') : 'no segment due');
    },
  },
  {
    name: 'clv-fit',
    description: 'refit the CLV models (BG/NBD with Gamma-Gamma) on every buyer\'s history',
    defaultSchedule: '0 3 * * 0',
    enabledByDefault: true,
    group: 'clv',
    run: ({ store }) =>
      unlessMissing(async () => {
        const report = await fitClv(store, { model: 'bgnbd', timeUnit: 'week' });
        return done(report.customers, `${report.frequency?.model ?? 'spend'} fitted on ${count(report.customers)} customers`);
      }),
  },
  {
    name: 'clv-score',
    description: 'score every customer with the latest CLV fit: P(alive), expected orders, CLV',
    defaultSchedule: '30 3 * * *',
    enabledByDefault: true,
    group: 'clv',
    run: ({ store }) =>
      unlessMissing(async () => {
        const report = await scoreClv(store);
        return done(report.customers, `${count(report.customers)} customers scored with ${report.model}`);
      }),
  },
  {
    name: 'churn-train',
    description: 'retrain the churn model on the latest complete horizon',
    defaultSchedule: '0 4 * * 0',
    enabledByDefault: true,
    group: 'churn',
    run: ({ store }) =>
      unlessMissing(async () => {
        const report = await trainChurn(store);
        return done(report.customers, `model ${report.modelId} trained on ${count(report.customers)} customers (churn rate ${(report.churnRate * 100).toFixed(1)}%)`);
      }),
  },
  {
    name: 'churn-score',
    description: 'score every customer\'s churn risk with the deployed model, with reasons',
    defaultSchedule: '30 4 * * *',
    enabledByDefault: true,
    group: 'churn',
    run: ({ store }) =>
      unlessMissing(async () => {
        const report = await scoreChurn(store);
        return done(report.customers, `${count(report.customers)} customers scored, ${count(report.atRisk)} at risk`);
      }),
  },
  {
    name: 'recommend-refresh',
    description: 'retrain recommendations with the last run\'s settings and refresh every precomputed list',
    defaultSchedule: '0 5 * * *',
    enabledByDefault: true,
    group: 'recommend',
    run: ({ store, progress }) =>
      unlessMissing(async () => {
        const report = await retrainRecommendations(store, { onProgress: progress });
        return done(report.customers, `${report.algorithm} retrained; lists for ${count(report.customers)} customers`);
      }),
  },
  {
    name: 'journeys',
    description: 'a pass of the journey engine (the server also runs it every second and after each ingest batch): queued triggers, broadcasts, due steps',
    defaultSchedule: '* * * * *',
    enabledByDefault: true,
    group: 'journeys',
    run: async ({ store, now }) => {
      const run = await runJourneys(store, { now });
      const entered = run.events.entered + run.broadcasts.reduce((sum, b) => sum + b.entered, 0);
      return done(run.advanced.steps + entered, `${count(entered)} entered, ${count(run.advanced.steps)} steps run, ${count(run.events.converted)} converted`);
    },
  },
  {
    name: 'retention',
    description: 'delete rows past each table\'s retention period (events 2 years, inbox and rejects 30 days, audit 3 years; siyu privacy retention list)',
    defaultSchedule: '15 4 * * *',
    enabledByDefault: true,
    group: 'retention',
    run: async ({ store, now }) => {
      const results = await applyRetention(store, now);
      const deleted = results.reduce((sum, r) => sum + r.deleted, 0);
      return done(deleted, results.filter((r) => r.deleted > 0).map((r) => `${r.table}: ${count(r.deleted)}`).join(', ') || 'nothing past its period');
    },
  },
  {
    name: 'loyalty-expiry',
    description: 'expire points buckets and coupons whose time has come (idempotent: a second run finds nothing) and send Points Expiring reminders',
    defaultSchedule: '5 0 * * *',
    enabledByDefault: true,
    group: 'loyalty',
    run: async ({ store, now }) => {
      const points = await expirePoints(store, now);
      const coupons = await expireCoupons(store, now);
      return done(points.buckets + coupons, `${count(points.points)} points expired from ${count(points.buckets)} buckets of ${count(points.customers)} customers; ${count(coupons)} coupons expired; ${count(points.reminders)} reminders`);
    },
  },
  {
    name: 'wecom-sync',
    description: 'sync each WeCom channel\'s contact list (customers, external_userid and unionid identities, who follows whom) and customer group chats; skipped while no WeCom channel is configured',
    defaultSchedule: '20 * * * *',
    enabledByDefault: true,
    group: 'wecom',
    run: async ({ store, now, progress }) => {
      const reports = await syncWecomChannels(store, { groups: true, now, onProgress: progress });
      if (reports.length === 0) return { kind: 'skipped', reason: 'no WeCom channel is configured (siyu channels add NAME --provider wecom)' };
      return done(reports.reduce((sum, r) => sum + wecomSyncChanges(r), 0), reports.flatMap(describeWecomSync).join('; '));
    },
  },
  {
    name: 'tier-evaluation',
    description: 'member tiers: downgrades at evaluation after the grace period unless 保级 holds, and any upgrade missed',
    defaultSchedule: '30 3 1 * *',
    enabledByDefault: true,
    group: 'loyalty',
    run: async ({ store, now }) => {
      const { changed } = await evaluateTiers(store, now);
      return done(changed, `${count(changed)} tier changes`);
    },
  },
];
