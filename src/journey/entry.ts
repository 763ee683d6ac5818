import { dialect, type Queryable } from '../store/index.ts';
import type { JourneyDefinition } from './schemas.ts';

/** A published version of a live journey, as the engine works with it. */
export interface LiveVersion {
  journeyId: string;
  version: number;
  status: 'active' | 'paused';
  isCurrent: boolean;
  publishedAt: Date;
  definition: JourneyDefinition;
}

/** Every version of the active and paused journeys (instances finish on the version they entered). */
export async function liveVersions(db: Queryable): Promise<LiveVersion[]> {
  const rows = await db.query<{ journey_id: string; version: number; status: 'active' | 'paused'; published_version: number; published_at: Date; definition: JourneyDefinition }>(
    `SELECT j.journey_id, v.version, j.status, j.published_version, v.published_at, v.definition
     FROM journeys j JOIN journey_versions v ON v.journey_id = j.journey_id WHERE j.status IN ('active', 'paused') ORDER BY j.journey_id, v.version`,
  );
  return rows.map((r) => ({ journeyId: r.journey_id, version: r.version, status: r.status, isCurrent: r.version === r.published_version, publishedAt: r.published_at, definition: r.definition }));
}

/** Buckets per whole: holdout shares and split weights are resolved to 1/10,000. */
export const BUCKETS = 10_000;

/**
 * Enters the customers `entrants` returns (a SELECT of customer_id, instance_id, context, at, over its own `params`
 * $1…$n) into `journey`'s current version, set-based, in the caller's transaction. Per customer the earliest entrant
 * counts; merged-away profiles, customers with a live instance of this journey, instance ids already used, and
 * those the re-entry rule keeps out are skipped (also when another server enters them at the same moment). A stable hash of customer and journey puts the holdout share in
 * `holdout` (no steps, no messages; tracked for the goal until its window closes). Returns how many entered.
 */
export async function enterCustomers(tx: Queryable, journey: LiveVersion, entrants: string, params: readonly unknown[], now: Date): Promise<number> {
  const d = journey.definition;
  const p = [...params];
  const param = (value: unknown) => `$${p.push(value)}`;
  const [j, v, start, at] = [`CAST(${param(journey.journeyId)} AS TEXT)`, `CAST(${param(journey.version)} AS INTEGER)`, `CAST(${param(d.start)} AS TEXT)`, param(now)];
  const holdoutUntil = param(new Date(now.getTime() + (d.goal ? d.goal.within_days * 86_400_000 : 0)));
  const keptOut =
    d.reentry.kind === 'once'
      ? 'TRUE'
      : d.reentry.kind === 'after_exit'
        ? 'FALSE'
        : `i.entered_at > CAST(${param(new Date(now.getTime() - d.reentry.days * 86_400_000))} AS TIMESTAMPTZ)`;
  const isHoldout = `e.bucket < ${Math.round(d.holdout * BUCKETS)}`;
  return tx.execute(
    `INSERT INTO journey_instances (customer_id, journey_id, instance_id, version, status, node, phase, wake_at, since, bucket, is_holdout, variant, context, entered_at, steps, updated_at)
     SELECT e.customer_id, ${j}, e.instance_id, ${v},
            CASE WHEN ${isHoldout} THEN 'holdout' ELSE 'active' END,
            CASE WHEN ${isHoldout} THEN NULL ELSE ${start} END,
            CASE WHEN ${isHoldout} THEN 'waiting' ELSE 'ready' END,
            CASE WHEN ${isHoldout} THEN CAST(${holdoutUntil} AS TIMESTAMPTZ) ELSE CAST(${at} AS TIMESTAMPTZ) END,
            CAST(${at} AS TIMESTAMPTZ), e.bucket, ${isHoldout}, NULL, e.context, CAST(${at} AS TIMESTAMPTZ), 0, CAST(${at} AS TIMESTAMPTZ)
     FROM (
       SELECT x.customer_id, x.instance_id, x.context, ${dialect(tx.kind).hashBucket(`x.customer_id || ':' || ${j}`, BUCKETS)} AS bucket,
              row_number() OVER (PARTITION BY x.customer_id ORDER BY x.at, x.instance_id) AS k
       FROM (${entrants}) x JOIN customers c ON c.customer_id = x.customer_id AND c.merged_into IS NULL
     ) e
     WHERE e.k = 1
       AND NOT EXISTS (SELECT 1 FROM journey_instances i WHERE i.journey_id = ${j} AND i.customer_id = e.customer_id
                       AND (i.instance_id = e.instance_id OR i.status IN ('active', 'holdout') OR ${keptOut}))
     ${tx.kind === 'postgres' ? 'ON CONFLICT DO NOTHING' : '' /* one process writes an embedded store, and DuckDB keys this table by no constraint */}`,
    p,
  );
}
