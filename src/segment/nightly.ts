import { SiyuError } from '../core/errors.ts';
import { readBrandSettings, type Queryable, type Store } from '../store/index.ts';
import { attributeDefinitions, BUILT_IN_ATTRIBUTES, definitionsFingerprint, writeAttributes } from './attributes.ts';
import { parseSegmentDefinition, type SegmentNode } from './builder.ts';
import { layerRuns, recordLayerRun, type RunLayer } from './history.ts';
import { restageLifecycle, type LifecycleOptions } from './lifecycle.ts';
import { refreshDays, updateSegmentMembership, type RefreshReport } from './membership.ts';
import { rescoreRfm } from './rfm.ts';
import { copyToScope, createScope, dropScope } from './scope.ts';
import { storedDefinition } from './segments.ts';
import { rerankTiers, type TierOptions } from './tiers.ts';

/** The scope of customers whose data changed or whose windows moved; then the union of everyone the night rewrote. */
const SCOPE = 'nightly_scope';
const TOUCHED = 'nightly_touched';
const MOVED = { rfm: 'nightly_rfm', tiers: 'nightly_tiers', lifecycle: 'nightly_stages' } as const;

/**
 * On PostgreSQL, the work memory of the night's (or an update's) transaction: ranking a million customers sorts
 * each measure, and with the server's default 4 MB the sorts spill to disk (three times slower at 100,000
 * customers). SIYU_PG_WORK_MEM overrides the 256 MB default (docs/operations.md, "Running on PostgreSQL").
 */
export async function layerWorkMemory(tx: Queryable): Promise<void> {
  if (tx.kind !== 'postgres') return;
  const setting = process.env.SIYU_PG_WORK_MEM ?? '256MB';
  if (!/^\d+\s*(kB|MB|GB)$/.test(setting)) throw new SiyuError('validation', 'invalid_work_mem', `SIYU_PG_WORK_MEM=${JSON.stringify(setting)} is not a PostgreSQL memory size such as 256MB`);
  await tx.execute(`SET LOCAL work_mem = '${setting}'`);
}

/** Thrown inside the night's transaction when a layer cannot be computed incrementally: it rolls back, and the full run follows. */
class NeedsFullRun extends Error {}

const BUILT_IN_NAMES = new Set(BUILT_IN_ATTRIBUTES.map((a) => a.name));

/** The fields a segment may read and still be re-evaluated for the night's customers only: the night's layers and the profile. */
const NIGHT_FIELDS = new Set(['rfm_class', 'r_score', 'f_score', 'm_score', 'stage', 'tier', 'city', 'gender', 'channel', 'birth_month']);

/**
 * Whether every condition of a segment reads only what the night brings up to date for exactly the customers it
 * writes: stored attributes, the profile's traits and fields, RFM, stages and tiers. Any other condition (an event
 * within N days, a tag, consent, a day count derived from the calendar, scores other jobs write, and kinds added
 * later) makes the segment refreshed whole.
 */
function readsOnlyNightLayers(node: SegmentNode, derived: ReadonlySet<string>): boolean {
  if ('all' in node) return node.all.every((n) => readsOnlyNightLayers(n, derived));
  if ('any' in node) return node.any.every((n) => readsOnlyNightLayers(n, derived));
  if ('not' in node) return readsOnlyNightLayers(node.not, derived);
  if ('attribute' in node) return !derived.has(node.attribute);
  if ('trait' in node) return true;
  if ('field' in node) return NIGHT_FIELDS.has(node.field);
  return false;
}

export interface NightlyPlan {
  /** The as-of day of the last computation: what the night moves on from. */
  previous: string;
  since: Date;
  runs: Awaited<ReturnType<typeof layerRuns>>;
}

/**
 * Whether the nightly job can compute only the customers who can have changed, as of `asOf`: every layer has been
 * computed, RFM, tiers (by money paid) and stages last as of the same day as the attributes, no later than asOf; the attributes with the
 * same definitions and timezone; no brand attribute reads the as-of day ($1), since such an attribute can move for
 * anyone by the calendar alone; and no customer's attributes were written by an update as of a later day.
 */
export async function planNightly(store: Store, asOf: string): Promise<NightlyPlan | null> {
  const runs = await layerRuns(store);
  const [attributes, rfm, tiers, lifecycle] = (['attributes', 'rfm', 'tiers', 'lifecycle'] as RunLayer[]).map((l) => runs.get(l));
  if (!attributes || !rfm || !tiers || !lifecycle) return null;
  const previous = attributes.asOf;
  if (rfm.asOf !== previous || lifecycle.asOf !== previous || tiers.asOf !== previous || previous > asOf) return null;
  // Tiers by CLV follow the CLV scores' day, and the full run ranks them again.
  if (tiers.options.basis === 'clv') return null;
  const definitions = await attributeDefinitions(store);
  const { timezone } = await readBrandSettings(store);
  if (attributes.options.timezone !== timezone || attributes.options.definitions !== definitionsFingerprint(definitions)) return null;
  if (definitions.some((d) => !d.read && /\$1\b/.test(d.sql) && !BUILT_IN_NAMES.has(d.name))) return null;
  const [later] = await store.query('SELECT 1 AS found FROM customer_attribute_values WHERE as_of > CAST($1 AS DATE) LIMIT 1', [asOf]);
  if (later) return null;
  const since = new Date(Math.min(...[attributes, rfm, tiers, lifecycle].map((r) => r!.startedAt.getTime())));
  return { previous, since, runs };
}

export interface NightlyReport {
  /** Customers whose orders, events or profile changed, or whose windows moved, since the last run. */
  customers: number;
  /** Customers whose row each layer rewrote. */
  rewritten: { attributes: number; rfm: number; tiers: number; lifecycle: number };
  /** Segments re-evaluated for the night's customers only, and those refreshed whole (they read the calendar). */
  incrementalSegments: RefreshReport[];
  fullSegments: string[];
}

/**
 * The incremental nightly job (docs/segmentation.md, "The nightly job"), as of `asOf` after planNightly said yes:
 * 1. the scope: customers with new or changed orders, events or profiles since the last run, and those whose
 *    windows move from the previous as-of day to this one (scope.ts, crossingCustomers);
 * 2. their attributes, computed again (everyone else's stored values hold: the day counts are derived when read);
 * 3. RFM, value tiers and stages for everyone from the stored per-customer values (population cut points moved),
 *    with only the rows that change written;
 * 4. the saved segments that read only these layers, for everyone written; the rest (event conditions, tags,
 *    day counts, scores of other jobs, never refreshed, changed since) come back in `fullSegments`, for a refresh.
 * One transaction; returns null (nothing written) when a layer needs its full run after all.
 */
export async function runNightly(store: Store, asOf: string, plan: NightlyPlan, step: (name: string, customers: number) => void): Promise<NightlyReport | null> {
  const { previous, since, runs } = plan;
  const definitions = await attributeDefinitions(store);
  const { timezone } = await readBrandSettings(store);
  const options = (layer: RunLayer) => runs.get(layer)!.options;
  const plannedSegments = await segmentPlan(store, asOf, previous);
  const started = new Date();
  try {
    return await store.transaction(async (tx) => {
      await layerWorkMemory(tx);
      const customers = await createScope(tx, SCOPE, since, { previous, asOf, timezone });
      step('changed customers', customers);
      const attributes = await writeAttributes(tx, definitions, asOf, SCOPE);
      await recordLayerRun(tx, 'attributes', asOf, { timezone, definitions: definitionsFingerprint(definitions) }, started);
      step('attributes', attributes);
      const rfm = await rescoreRfm(tx, SCOPE, asOf, MOVED.rfm);
      if (rfm === null) throw new NeedsFullRun('rfm');
      await recordLayerRun(tx, 'rfm', asOf, options('rfm'), started);
      step('rfm', rfm);
      const tierOptions = options('tiers') as TierOptions;
      const tiers = await rerankTiers(tx, SCOPE, asOf, tierOptions, MOVED.tiers);
      if (tiers === null) throw new NeedsFullRun('tiers');
      await recordLayerRun(tx, 'tiers', asOf, tierOptions, started);
      step('tiers', tiers);
      const lifecycle = await restageLifecycle(tx, store.kind, asOf, options('lifecycle') as LifecycleOptions, MOVED.lifecycle);
      if (lifecycle === null) throw new NeedsFullRun('lifecycle');
      await recordLayerRun(tx, 'lifecycle', asOf, options('lifecycle'), started);
      step('lifecycle', lifecycle);

      let incrementalSegments: RefreshReport[] = [];
      if (plannedSegments.incremental.size) {
        // Everyone whose attributes or a layer were written this night, with copies of what the segments read.
        await tx.execute(`DROP TABLE IF EXISTS ${TOUCHED}`);
        await tx.execute(
          `CREATE TEMP TABLE ${TOUCHED} AS SELECT customer_id FROM ${SCOPE} UNION SELECT customer_id FROM ${MOVED.rfm}
           UNION SELECT customer_id FROM ${MOVED.tiers} UNION SELECT customer_id FROM ${MOVED.lifecycle}`,
        );
        await tx.execute(`ANALYZE ${TOUCHED}`);
        await copyToScope(tx, TOUCHED, 'customers');
        // Undoing a rerun day's segment changes finds their events here.
        await copyToScope(tx, TOUCHED, 'events', ['message_id', 'name', 'source'], "source = 'siyu segment'");
        incrementalSegments = await updateSegmentMembership(tx, store.kind, TOUCHED, asOf, new Set(['customers', 'events']), plannedSegments.incremental);
        await tx.execute(`UPDATE segments SET refreshed_at = CAST($1 AS TIMESTAMPTZ) WHERE name IN (${[...plannedSegments.incremental].map((n) => `'${n.replaceAll("'", "''")}'`).join(', ')})`, [new Date()]);
        step('segments (incremental)', incrementalSegments.reduce((sum, s) => sum + s.entered + s.exited, 0));
        await dropScope(tx, TOUCHED, ['customer_attributes', 'rfm_scores', 'lifecycle_stages', 'tier_scores', 'customer_clusters', 'clv_scores', 'churn_scores']);
      }
      for (const table of [...Object.values(MOVED)]) await tx.execute(`DROP TABLE IF EXISTS ${table}`);
      await dropScope(tx, SCOPE, ['customer_attributes']);
      return { customers, rewritten: { attributes, rfm, tiers, lifecycle }, incrementalSegments, fullSegments: plannedSegments.full };
    });
  } catch (error) {
    if (error instanceof NeedsFullRun) return null;
    throw error;
  }
}

/**
 * Which saved segments the night can re-evaluate for its customers only: those last refreshed as of the previous
 * as-of day or this one, not changed since, whose conditions read only the layers the night keeps current and no
 * day count derived from the calendar (events within N days, tags, recency_days and the like, CLV, churn and cluster
 * scores are refreshed whole). Segments refreshed as of a later day are left alone, as the full run leaves them.
 */
async function segmentPlan(store: Store, asOf: string, previous: string): Promise<{ incremental: Set<string>; full: string[] }> {
  const days = await refreshDays(store, asOf);
  const derived = new Set((await attributeDefinitions(store)).filter((d) => d.read).map((d) => d.name));
  const segments = await store.query<{ name: string; definition: unknown; updated_at: Date; refreshed_at: Date | null }>('SELECT name, definition, updated_at, refreshed_at FROM segments ORDER BY name');
  const incremental = new Set<string>();
  const full: string[] = [];
  for (const s of segments) {
    const latest = days.get(s.name)?.latest;
    if (latest && latest > asOf) continue;
    const calendarFree = readsOnlyNightLayers(parseSegmentDefinition(storedDefinition(s.definition)), derived);
    const current = latest !== undefined && (latest === previous || latest === asOf) && s.refreshed_at !== null && new Date(s.updated_at) <= new Date(s.refreshed_at);
    if (calendarFree && current) incremental.add(s.name);
    else full.push(s.name);
  }
  return { incremental, full };
}
