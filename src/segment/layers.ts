import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { latestOrderDay, type Store } from '../store/index.ts';
import { attributeDefinitions, computeAttributes, writeAttributes } from './attributes.ts';
import { layerRuns } from './history.ts';
import { computeLifecycle, updateLifecycleStages, type LifecycleOptions } from './lifecycle.ts';
import { computeRfm, updateRfmScores, type RfmOptions } from './rfm.ts';
import { refreshSegments, updateSegmentMembership, type RefreshReport } from './membership.ts';
import { listSegments } from './segments.ts';
import { layerWorkMemory, planNightly, runNightly } from './nightly.ts';
import { analyseRewritten, createScope, dropScope } from './scope.ts';
import { computeTiers, updateTierScores, type TierOptions } from './tiers.ts';

export interface LayerUpdateReport {
  /** Orders and events changed from this time on were looked at. */
  since: Date;
  asOf: string;
  /** Customers with a changed order or a new event since then. */
  customers: number;
  /** Customers whose rows each layer replaced (0 for a layer never computed in full). */
  updated: { attributes: number; rfm: number; tiers: number; lifecycle: number };
  segments: RefreshReport[];
  /** Seconds each step took: finding the changed customers, then each layer. */
  steps: { step: string; seconds: number }[];
}

/** The temporary table of the customers an update covers. */
const SCOPE = 'layer_scope';

/**
 * The incremental update: brings attributes, RFM, value tiers, lifecycle stages and saved segments up to date for
 * the customers whose orders changed or who sent events (other than Siyu's own) since the oldest layer's last
 * computation, full or incremental, as of the latest order day. Each layer recomputes those customers with the
 * settings of its last full run and places them against the standing population (see each update function);
 * everyone else keeps their values until the next full run, which moves the population's cut points. Clusters
 * are left to the full run. One transaction: on failure nothing changes.
 */
export async function updateLayers(store: Store, options: { asOf?: string; since?: Date; onStep?: (step: string, seconds: number) => void } = {}): Promise<LayerUpdateReport> {
  const runs = await layerRuns(store);
  if (runs.size === 0) {
    throw new SiyuError('validation', 'no_full_run', 'no layer has been computed yet; run the full computation first (siyu layers compute)');
  }
  const since = options.since ?? new Date(Math.min(...[...runs.values()].map((r) => r.startedAt.getTime())));
  const latest = options.asOf ?? (await latestOrderDay(store));
  if (!latest) throw new SiyuError('not_found', 'no_orders', 'the store has no orders; import orders first');
  const asOf = parseDay(latest, '--as-of');
  const definitions = await attributeDefinitions(store);
  const started = new Date();
  return store.transaction(async (tx) => {
    await layerWorkMemory(tx);
    const steps: { step: string; seconds: number }[] = [];
    let clock = performance.now();
    const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
      const result = await fn();
      const now = performance.now();
      steps.push({ step, seconds: (now - clock) / 1000 });
      options.onStep?.(step, (now - clock) / 1000);
      clock = now;
      return result;
    };
    const customers = await timed('changed customers', () => createScope(tx, SCOPE, since));
    const run = (layer: 'attributes' | 'rfm' | 'tiers' | 'lifecycle') => runs.get(layer);
    // Each layer step leaves the scope's new rows in a copy of its table (scope.ts): the later steps read the fresh
    // attributes from there, and the segments every copy, instead of finding the scope's rows among everyone's.
    const attributes = Boolean(run('attributes'));
    const updated = {
      attributes: attributes ? await timed('attributes', () => writeAttributes(tx, definitions, asOf, SCOPE)) : 0,
      rfm: run('rfm') ? await timed('rfm', () => updateRfmScores(tx, SCOPE, asOf, attributes)) : 0,
      tiers: run('tiers') ? await timed('tiers', () => updateTierScores(tx, SCOPE, asOf, Number(run('tiers')!.options.windowDays ?? 365), attributes)) : 0,
      lifecycle: run('lifecycle') ? await timed('lifecycle', () => updateLifecycleStages(tx, store.kind, SCOPE, asOf, run('lifecycle')!.options as LifecycleOptions, attributes)) : 0,
    };
    const copied = new Set(Object.entries({ customer_attributes: attributes, rfm_scores: run('rfm'), tier_scores: run('tiers'), lifecycle_stages: run('lifecycle') }).filter(([, made]) => made).map(([table]) => table));
    const segments = await timed('segments', () => updateSegmentMembership(tx, store.kind, SCOPE, asOf, copied));
    await dropScope(tx, SCOPE, [...copied]);
    await tx.execute('UPDATE layer_runs SET started_at = CAST($1 AS TIMESTAMPTZ)', [started]);
    return { since, asOf, customers, updated, segments, steps };
  });
}

export interface LayerComputeReport {
  asOf: string;
  /** incremental: only the customers who can have changed were computed (the nightly job); full: everyone. */
  mode: 'incremental' | 'full';
  /** Seconds each step took, in order, and the customers it computed or wrote. */
  steps: { step: string; seconds: number; customers: number }[];
  /** Saved segments left alone because they were refreshed as of a later day than asOf. */
  skippedSegments: string[];
}

/**
 * The nightly job: attributes, RFM, value tiers and lifecycle stages, each with the settings of its last run
 * (defaults the first time), then every saved segment refreshed, all as of one day (default: the latest order day);
 * segments already refreshed as of a later day are left alone (a refresh never rewrites the days after it) and
 * listed as skipped. After a first full run it computes only the customers who can have changed since (nightly.ts;
 * docs/segmentation.md, "The nightly job"), and gives what the full computation would; `full` computes everyone,
 * as it also does when the last run cannot be moved on from (first run, settings or attributes changed, an earlier
 * day). `onStep` hears each step as it finishes.
 */
export async function computeLayers(store: Store, options: { asOf?: string; full?: boolean; onStep?: (step: string, seconds: number) => void } = {}): Promise<LayerComputeReport> {
  const latest = options.asOf ?? (await latestOrderDay(store));
  if (!latest) throw new SiyuError('not_found', 'no_orders', 'the store has no orders to compute layers from; import orders first');
  const asOf = parseDay(latest, '--as-of');
  const steps: LayerComputeReport['steps'] = [];
  let clock = performance.now();
  const heard = (name: string, customers: number) => {
    const now = performance.now();
    steps.push({ step: name, seconds: (now - clock) / 1000, customers });
    options.onStep?.(name, (now - clock) / 1000);
    clock = now;
  };
  const plan = options.full ? null : await planNightly(store, asOf);
  const night = plan ? await runNightly(store, asOf, plan, heard) : null;
  let mode: LayerComputeReport['mode'] = 'incremental';
  let refreshed: string[];
  if (night) {
    steps.at(-1)!.seconds += (performance.now() - clock) / 1000; // the commit
    refreshed = night.fullSegments;
  } else {
    mode = 'full';
    steps.length = 0;
    const runs = await layerRuns(store);
    const step = async (name: string, fn: () => Promise<number>) => {
      clock = performance.now();
      heard(name, await fn());
    };
    await step('attributes', async () => (await computeAttributes(store, { asOf })).customers);
    await step('rfm', async () => (await computeRfm(store, { ...(runs.get('rfm')?.options as RfmOptions | undefined), asOf })).customers);
    const tiers = runs.get('tiers')?.options as TierOptions | undefined;
    // Tiers by CLV keep their basis; their day is the CLV run's.
    await step('tiers', async () => (await computeTiers(store, tiers?.basis === 'clv' ? tiers : { ...tiers, asOf })).customers);
    await step('lifecycle', async () => (await computeLifecycle(store, { ...(runs.get('lifecycle')?.options as LifecycleOptions | undefined), asOf })).customers);
    refreshed = (await listSegments(store)).map((s) => s.name);
  }
  // The segments refreshed whole, in one transaction: each one's step is its own queries, heard as it is written;
  // the report adds the one commit to the last.
  const segments = await listSegments(store);
  const later = (s: { asOf: string | null }) => s.asOf !== null && s.asOf > asOf;
  const whole = new Set(refreshed);
  clock = performance.now();
  await refreshSegments(store, segments.filter((s) => whole.has(s.name) && !later(s)).map((s) => s.name), {
    asOf,
    onSegment: (report) => heard(`segment ${report.segment}`, report.members),
  });
  const last = steps.at(-1);
  if (last?.step.startsWith('segment ')) last.seconds += (performance.now() - clock) / 1000;
  // A full run writes a row per customer to the history tables and events (on the first run, every customer and
  // member is new): on PostgreSQL their statistics are brought up to date now, not when autovacuum gets to them,
  // or the next night's plans take those tables for empty (docs/operations.md).
  if (mode === 'full') for (const table of ['events', 'segment_membership', 'lifecycle_history', 'layer_history']) await analyseRewritten(store, table);
  return { asOf, mode, steps, skippedSegments: segments.filter(later).map((s) => s.name) };
}
