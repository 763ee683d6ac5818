import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import type { Queryable } from '../store/index.ts';
import { memberOn } from './membership.ts';
import { scoped } from './scope.ts';

/** The layers whose changes layer_history keeps, and the score table and column each run writes. */
const RECORDED = {
  rfm_class: { table: 'rfm_scores', column: 'rfm_class' },
  tier: { table: 'tier_scores', column: 'tier' },
} as const;
export type RecordedLayer = keyof typeof RECORDED;

/**
 * Appends to layer_history the customers whose `layer` in its score table differs from their last recorded value
 * before `asOf` (or who have none), with changed_on = asOf. A second run for the same day replaces that day's rows,
 * so rerunning with other settings leaves one value per customer and day. With `scope` (a table of customer_id),
 * only those customers are looked at and replaced, and their new values are read from the scope's copy of the
 * score table (scope.ts). Runs in the caller's transaction.
 */
export async function recordLayerChanges(tx: Queryable, layer: RecordedLayer, asOf: string, scope?: string): Promise<number> {
  const { table, column } = RECORDED[layer];
  const inScope = scope ? ` AND customer_id IN (SELECT customer_id FROM ${scope})` : '';
  await tx.execute(`DELETE FROM layer_history WHERE layer = $1 AND changed_on = CAST($2 AS DATE)${inScope}`, [layer, asOf]);
  return tx.execute(
    `INSERT INTO layer_history (customer_id, layer, value, changed_on, changed_at)
     SELECT s.customer_id, $1, s.${column}, CAST($2 AS DATE), CAST($3 AS TIMESTAMPTZ)
     FROM ${scoped(table, scope)} s
     LEFT JOIN (
       SELECT customer_id, value, row_number() OVER (PARTITION BY customer_id ORDER BY changed_on DESC) AS k
       FROM layer_history WHERE layer = $1 AND changed_on < CAST($2 AS DATE)${inScope}
     ) h ON h.customer_id = s.customer_id AND h.k = 1
     WHERE s.${column} IS NOT NULL AND (h.value IS NULL OR h.value <> s.${column})`,
    [layer, asOf, new Date()],
  );
}

/** A layer whose migration can be asked for: lifecycle stage, RFM class, value tier, or membership of a saved segment. */
export type MigrationLayer = 'stage' | RecordedLayer | { segment: string };
export const MIGRATION_LAYERS = ['stage', 'rfm_class', 'tier'] as const;

export interface MigrationMatrix {
  layer: string;
  from: string;
  to: string;
  /** Sankey-ready links: customers who were in `source` on `from` and in `target` on `to`. */
  links: { source: string; target: string; customers: number }[];
}

/**
 * How customers moved between two days. For stages, RFM classes and tiers a customer's value on a day is their last
 * change on or before it (lifecycle_history, layer_history), and customers without one on `from` come from
 * "(none)"; for a segment, in or out of it on the two days (its membership as of its last refresh on or before
 * each day; out before its first).
 */
export async function layerMigration(db: Queryable, layer: MigrationLayer, from: string, to: string): Promise<MigrationMatrix> {
  parseDay(from, '--from');
  parseDay(to, '--to');
  if (to <= from) throw new SiyuError('validation', 'invalid_window', `--to (${to}) must be after --from (${from})`);
  if (typeof layer === 'string' && !(MIGRATION_LAYERS as readonly string[]).includes(layer)) {
    throw new SiyuError('validation', 'invalid_layer', `the layer must be one of ${MIGRATION_LAYERS.join(', ')} or a segment, not ${JSON.stringify(layer)}`);
  }
  let rows: { source: string; target: string; customers: number }[];
  if (typeof layer === 'string') {
    const changes =
      layer === 'stage'
        ? 'SELECT customer_id, to_stage AS value, changed_on FROM lifecycle_history'
        : 'SELECT customer_id, value, changed_on FROM layer_history WHERE layer = $3';
    const onDay = (day: string) =>
      `SELECT customer_id, value FROM (
         SELECT customer_id, value, row_number() OVER (PARTITION BY customer_id ORDER BY changed_on DESC) AS k FROM changes WHERE changed_on <= CAST(${day} AS DATE)
       ) ranked WHERE k = 1`;
    rows = await db.query(
      `WITH changes AS (${changes}), a AS (${onDay('$1')}), b AS (${onDay('$2')})
       SELECT coalesce(a.value, '(none)') AS source, b.value AS target, count(*) AS customers
       FROM b LEFT JOIN a ON a.customer_id = b.customer_id GROUP BY 1, 2 ORDER BY 1, 2`,
      layer === 'stage' ? [from, to] : [from, to, layer],
    );
  } else {
    rows = await db.query(
      `WITH a AS (SELECT DISTINCT customer_id FROM segment_membership m WHERE segment = $3 AND ${memberOn('m', '$1')}),
            b AS (SELECT DISTINCT customer_id FROM segment_membership m WHERE segment = $3 AND ${memberOn('m', '$2')})
       SELECT CASE WHEN a.customer_id IS NULL THEN 'out' ELSE 'in' END AS source, CASE WHEN b.customer_id IS NULL THEN 'out' ELSE 'in' END AS target, count(*) AS customers
       FROM a FULL OUTER JOIN b ON a.customer_id = b.customer_id GROUP BY 1, 2 ORDER BY 1, 2`,
      [from, to, layer.segment],
    );
  }
  return { layer: typeof layer === 'string' ? layer : `segment:${layer.segment}`, from, to, links: rows.map((r) => ({ source: r.source, target: r.target, customers: Number(r.customers) })) };
}

/** A layer whose latest computation layer_runs keeps, for incremental updates. */
export type RunLayer = 'attributes' | 'rfm' | 'tiers' | 'lifecycle';

/** Records that `layer` was computed as of `asOf` with `options`, starting at `startedAt`; in the caller's transaction. */
export async function recordLayerRun(tx: Queryable, layer: RunLayer, asOf: string, options: object, startedAt: Date): Promise<void> {
  await tx.execute('DELETE FROM layer_runs WHERE layer = $1', [layer]);
  await tx.insertRows('layer_runs', ['layer', 'as_of', 'options', 'started_at'], [[layer, asOf, JSON.stringify(options), startedAt]]);
}

/** The latest computation of each layer, with its settings. */
export async function layerRuns(db: Queryable): Promise<Map<RunLayer, { asOf: string; options: Record<string, unknown>; startedAt: Date }>> {
  const rows = await db.query<{ layer: RunLayer; as_of: string; options: unknown; started_at: Date }>('SELECT layer, as_of, options, started_at FROM layer_runs');
  return new Map(rows.map((r) => [r.layer, { asOf: r.as_of, options: (typeof r.options === 'string' ? JSON.parse(r.options) : r.options) as Record<string, unknown>, startedAt: new Date(r.started_at) }]));
}
