import { readBrandSettings, reportingCurrency, type Queryable } from '../store/index.ts';
import { CLUSTER_FEATURES } from './clusters.ts';
import { STAGES, type StageCode } from './lifecycle.ts';
import { RFM_CLASSES, type RfmClassCode, type RfmThreshold } from './rfm.ts';
import { TIERS, type TierCode } from './tiers.ts';

// The layers as they stand: summaries read from the score tables the last computation wrote (rfm_scores,
// lifecycle_stages, tier_scores, customer_clusters), for the console and scripts. Nothing is recomputed, so each
// answers in one or two aggregations however many customers there are. Each is null before its layer was computed.

export interface RfmSummary {
  asOf: string;
  windowDays: number;
  threshold: RfmThreshold;
  currency: string;
  customers: number;
  /** The population's levels high and low are judged against: recency in days, orders, money in major units. */
  thresholds: { recencyDays: number; frequency: number; monetary: number };
  classes: { code: RfmClassCode; zh: string; en: string; customers: number; share: number; meanRecencyDays: number; meanFrequency: number; meanMonetary: number }[];
  /** Customers and mean monetary value (major units) per (R score, F score) quintile cell. */
  grid: { r: number; f: number; customers: number; meanMonetary: number }[];
}

/** The current RFM layer: the same figures `siyu rfm` printed when it computed rfm_scores. */
export async function rfmSummary(db: Queryable): Promise<RfmSummary | null> {
  const [run] = await db.query<{ as_of: string; window_days: number; threshold: RfmThreshold; currency: string }>('SELECT as_of, window_days, threshold, currency FROM rfm_scores LIMIT 1');
  if (!run) return null;
  const level = (column: string) => (run.threshold === 'median' ? `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${column})` : `avg(${column})`);
  const [levels] = await db.query<{ n: number; r: number | null; f: number | null; m: number | null }>(
    `SELECT count(*) AS n, ${level('recency_days')} AS r, ${level('frequency')} AS f, ${level('monetary_fen')} AS m FROM rfm_scores`,
  );
  const byClass = await db.query<{ rfm_class: RfmClassCode; n: number; r: number; f: number; m: number }>(
    'SELECT rfm_class, count(*) AS n, avg(recency_days) AS r, avg(frequency) AS f, avg(monetary_fen) AS m FROM rfm_scores GROUP BY rfm_class',
  );
  const grid = await db.query<{ r_score: number; f_score: number; n: number; m: number }>(
    'SELECT r_score, f_score, count(*) AS n, avg(monetary_fen) AS m FROM rfm_scores GROUP BY r_score, f_score ORDER BY r_score, f_score',
  );
  const n = Number(levels?.n ?? 0);
  return {
    asOf: run.as_of,
    windowDays: Number(run.window_days),
    threshold: run.threshold,
    currency: run.currency,
    customers: n,
    thresholds: { recencyDays: Number(levels?.r ?? 0), frequency: Number(levels?.f ?? 0), monetary: Number(levels?.m ?? 0) / 100 },
    classes: RFM_CLASSES.map((c) => {
      const row = byClass.find((b) => b.rfm_class === c.code);
      const count = Number(row?.n ?? 0);
      return { code: c.code, zh: c.zh, en: c.en, customers: count, share: n ? count / n : 0, meanRecencyDays: Number(row?.r ?? 0), meanFrequency: Number(row?.f ?? 0), meanMonetary: Number(row?.m ?? 0) / 100 };
    }),
    grid: grid.map((g) => ({ r: Number(g.r_score), f: Number(g.f_score), customers: Number(g.n), meanMonetary: Number(g.m) / 100 })),
  };
}

export interface StageSummary {
  asOf: string;
  customers: number;
  /** Every stage in lifecycle order (潜客 → 回流), with zero for a stage nobody is in. */
  stages: { code: StageCode; zh: string; en: string; customers: number; share: number }[];
}

/** The current lifecycle stages: how many customers are in each. */
export async function stageSummary(db: Queryable): Promise<StageSummary | null> {
  const rows = await db.query<{ stage: StageCode; n: number; as_of: string }>('SELECT stage, count(*) AS n, max(as_of) AS as_of FROM lifecycle_stages GROUP BY stage');
  if (rows.length === 0) return null;
  const customers = rows.reduce((s, r) => s + Number(r.n), 0);
  const asOf = rows.map((r) => r.as_of).sort().at(-1)!;
  return {
    asOf,
    customers,
    stages: STAGES.map((s) => {
      const count = Number(rows.find((r) => r.stage === s.code)?.n ?? 0);
      return { code: s.code, zh: s.zh, en: s.en, customers: count, share: customers ? count / customers : 0 };
    }),
  };
}

export interface TierSummary {
  basis: 'monetary' | 'clv';
  asOf: string;
  currency: string;
  customers: number;
  /** Per tier: customers, the lowest value in it and the total (major units), and its share of all value. */
  tiers: { code: TierCode; zh: string; en: string; customers: number; share: number; minValue: number; totalValue: number; valueShare: number }[];
}

/** The current value tiers, as `siyu tiers` reported them. */
export async function tierSummary(db: Queryable): Promise<TierSummary | null> {
  // A row keeps the day it was last written; the nightly job writes only the tiers that change (docs/segmentation.md).
  const [run] = await db.query<{ basis: 'monetary' | 'clv'; as_of: string }>("SELECT t.basis, greatest(t.as_of, r.as_of) AS as_of FROM tier_scores t LEFT JOIN layer_runs r ON r.layer = 'tiers' LIMIT 1");
  if (!run) return null;
  const rows = await db.query<{ tier: TierCode; n: number; min_fen: number; total_fen: number }>('SELECT tier, count(*) AS n, min(value_fen) AS min_fen, sum(value_fen) AS total_fen FROM tier_scores GROUP BY tier');
  const customers = rows.reduce((s, r) => s + Number(r.n), 0);
  const total = rows.reduce((s, r) => s + Number(r.total_fen), 0);
  const currency = run.basis === 'clv'
    ? ((await db.query<{ currency: string }>('SELECT currency FROM clv_runs ORDER BY scored_at DESC LIMIT 1'))[0]?.currency ?? (await readBrandSettings(db)).currency)
    : await reportingCurrency(db, (await readBrandSettings(db)).currency);
  return {
    basis: run.basis,
    asOf: run.as_of,
    currency,
    customers,
    tiers: TIERS.map((t) => {
      const row = rows.find((r) => r.tier === t.code);
      const count = Number(row?.n ?? 0);
      const sum = Number(row?.total_fen ?? 0);
      return { ...t, customers: count, share: customers ? count / customers : 0, minValue: Number(row?.min_fen ?? 0) / 100, totalValue: sum / 100, valueShare: total ? sum / total : 0 };
    }),
  };
}

export interface ClusterSummary {
  asOf: string;
  customers: number;
  /** Each cluster's profile: mean of every clustering feature, and how far its members sit from all buyers (z, on the scale clustering used). */
  clusters: { cluster: number; name: string; customers: number; share: number; means: Record<string, number>; zScores: Record<string, number> }[];
}

/**
 * The current clusters with their profiles, from customer_clusters and the members' computed attributes. The
 * z-scores use the clustering's own scale (skewed features on log scale, standardised over every buyer with
 * attributes), so while the attributes are those the clusters were computed from they are the centroids.
 */
export async function clusterSummary(db: Queryable): Promise<ClusterSummary | null> {
  // Before the first clustering the attribute columns may not exist either.
  if ((await db.query('SELECT 1 AS found FROM customer_clusters LIMIT 1')).length === 0) return null;
  const features = CLUSTER_FEATURES.map((f, j) => ({ ...f, j, value: `coalesce(CAST(a."${f.attribute}" AS DOUBLE PRECISION), 0)` }));
  const scaled = (f: (typeof features)[number]) => (f.log ? `ln(1 + greatest(${f.value}, 0))` : f.value);
  const rows = await db.query<Record<string, number | string | null> & { cluster: number; name: string; n: number; as_of: string }>(
    `WITH buyers AS (
       SELECT a.customer_id, ${features.map((f) => `${f.value} AS v${f.j}, ${scaled(f)} AS s${f.j}`).join(', ')}
       FROM customer_attributes a WHERE coalesce(a.orders_lifetime, 0) > 0
     ), scale AS (
       SELECT ${features.map((f) => `avg(s${f.j}) AS mean${f.j}, stddev_pop(s${f.j}) AS sd${f.j}`).join(', ')} FROM buyers
     )
     SELECT c.cluster, c.name, count(*) AS n, max(c.as_of) AS as_of,
            ${features.map((f) => `avg(coalesce(b.v${f.j}, 0)) AS m${f.j}, (avg(b.s${f.j}) - max(x.mean${f.j})) / CASE WHEN max(x.sd${f.j}) > 0 THEN max(x.sd${f.j}) ELSE 1 END AS z${f.j}`).join(', ')}
     FROM customer_clusters c LEFT JOIN buyers b ON b.customer_id = c.customer_id CROSS JOIN scale x
     GROUP BY c.cluster, c.name ORDER BY c.cluster`,
  );
  if (rows.length === 0) return null;
  const customers = rows.reduce((s, r) => s + Number(r.n), 0);
  return {
    asOf: rows.map((r) => r.as_of).sort().at(-1)!,
    customers,
    clusters: rows.map((r) => ({
      cluster: Number(r.cluster),
      name: r.name,
      customers: Number(r.n),
      share: customers ? Number(r.n) / customers : 0,
      means: Object.fromEntries(features.map((f) => [f.attribute, Number(r[`m${f.j}`] ?? 0)])),
      zScores: Object.fromEntries(features.map((f) => [f.attribute, Number(r[`z${f.j}`] ?? 0)])),
    })),
  };
}
