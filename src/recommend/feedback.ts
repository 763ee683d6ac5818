import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { localDay, PURCHASES, readBrandSettings, type Queryable } from '../store/index.ts';

/** The events a client sends with the `tracking` properties of a served list (docs/recommend.md, "Feedback"). */
export const VIEWED = 'Recommendation Viewed';
export const CLICKED = 'Recommendation Clicked';
/** A purchase of a clicked SKU counts for the click this many days after it. */
export const ATTRIBUTION_DAYS = 7;

export interface PerformanceRow {
  algorithm: string;
  slot: string;
  /** Distinct lists viewed (by recommendation_id). */
  views: number;
  clicks: number;
  /** clicks / views. */
  ctr: number;
  /** Clicks followed by a purchase of the clicked SKU within the attribution window. */
  conversions: number;
  /** conversions / clicks. */
  conversionRate: number;
  /** Value of the order lines credited to a click: each line goes to the latest click on its SKU before it. */
  revenueFen: number;
}

export interface PerformanceReport {
  from: string | null;
  to: string | null;
  experiment: string | null;
  attributionDays: number;
  rows: PerformanceRow[];
}

/**
 * CTR and conversion per algorithm and slot, from `Recommendation Viewed` and `Recommendation Clicked` events
 * (their `algorithm`, `slot`, `recommendation_id` and `sku` properties) and the orders that followed, in one
 * statement on both engines. `from` and `to` are days of the brand calendar (to exclusive); `experiment` keeps
 * only events sent from lists served in that experiment.
 */
export async function recommendationPerformance(db: Queryable, options: { from?: string; to?: string; experiment?: string } = {}): Promise<PerformanceReport> {
  if (options.from !== undefined) parseDay(options.from, '--from');
  if (options.to !== undefined) parseDay(options.to, '--to');
  if (options.from && options.to && options.to <= options.from) throw new SiyuError('validation', 'invalid_window', `--to (${options.to}) must be after --from (${options.from})`);
  const { timezone } = await readBrandSettings(db);
  const day = localDay(timezone, 'ts');
  const window = `(CAST($1 AS DATE) IS NULL OR ${day} >= CAST($1 AS DATE)) AND (CAST($2 AS DATE) IS NULL OR ${day} < CAST($2 AS DATE))
                  AND (CAST($3 AS TEXT) IS NULL OR coalesce(properties->>'experiment', '') = CAST($3 AS TEXT))`;
  // (The coalesce matters: DuckDB 1.5 evaluates (TRUE OR json->>'missing key' = NULL) as false.)
  const rows = await db.query<{ algorithm: string; slot: string; views: number; clicks: number; conversions: number; revenue_fen: number }>(
    `WITH views AS (
       SELECT coalesce(properties->>'algorithm', '') AS algorithm, coalesce(properties->>'slot', '') AS slot, properties->>'recommendation_id' AS rid
       FROM events WHERE type = 'track' AND name = '${VIEWED}' AND ${window}
     ), clicks AS (
       SELECT message_id, customer_id, ts, coalesce(properties->>'algorithm', '') AS algorithm, coalesce(properties->>'slot', '') AS slot, properties->>'sku' AS sku
       FROM events WHERE type = 'track' AND name = '${CLICKED}' AND ${window}
     ), credited AS (
       SELECT c.message_id, i.quantity * i.unit_price_fen AS fen,
              row_number() OVER (PARTITION BY i.customer_id, i.order_id, i.line ORDER BY c.ts DESC, c.message_id) AS k
       FROM clicks c
       JOIN order_items i ON i.customer_id = c.customer_id AND i.sku = c.sku
       JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = i.order_id
       WHERE o.${PURCHASES} AND o.placed_at >= c.ts AND o.placed_at < c.ts + INTERVAL '${ATTRIBUTION_DAYS} days'
     ), converted AS (
       SELECT message_id, sum(fen) AS fen FROM credited WHERE k = 1 GROUP BY message_id
     ), viewed AS (
       SELECT algorithm, slot, count(DISTINCT rid) AS views FROM views GROUP BY algorithm, slot
     ), clicked AS (
       SELECT c.algorithm, c.slot, count(*) AS clicks, count(v.message_id) AS conversions, coalesce(sum(v.fen), 0) AS revenue_fen
       FROM clicks c LEFT JOIN converted v ON v.message_id = c.message_id GROUP BY c.algorithm, c.slot
     )
     SELECT coalesce(a.algorithm, b.algorithm) AS algorithm, coalesce(a.slot, b.slot) AS slot,
            coalesce(a.views, 0) AS views, coalesce(b.clicks, 0) AS clicks, coalesce(b.conversions, 0) AS conversions,
            coalesce(b.revenue_fen, 0) AS revenue_fen
     FROM viewed a FULL OUTER JOIN clicked b ON a.algorithm = b.algorithm AND a.slot = b.slot
     ORDER BY 1, 2`,
    [options.from ?? null, options.to ?? null, options.experiment ?? null],
  );
  return {
    from: options.from ?? null,
    to: options.to ?? null,
    experiment: options.experiment ?? null,
    attributionDays: ATTRIBUTION_DAYS,
    rows: rows.map((r) => {
      const views = Number(r.views);
      const clicks = Number(r.clicks);
      const conversions = Number(r.conversions);
      return { algorithm: r.algorithm, slot: r.slot, views, clicks, ctr: views ? clicks / views : 0, conversions, conversionRate: clicks ? conversions / clicks : 0, revenueFen: Number(r.revenue_fen) };
    }),
  };
}
