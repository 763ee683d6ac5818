import { SiyuError } from '../core/errors.ts';
import { Random } from '../core/random.ts';
import type { Store } from '../store/index.ts';

/** The features customers are clustered on (from customer_attributes), with how a cluster's name says high or low. */
export const CLUSTER_FEATURES = [
  { attribute: 'recency_days', high: '久未购', low: '近期购', log: true },
  { attribute: 'orders_365d', high: '高频', low: '低频', log: true },
  { attribute: 'monetary_365d', high: '高消费', low: '低消费', log: true },
  { attribute: 'aov', high: '高客单', low: '低客单', log: true },
  { attribute: 'median_interpurchase_days', high: '长周期', low: '短周期', log: true },
  { attribute: 'coupon_order_share', high: '爱用券', low: '少用券', log: false },
  { attribute: 'distinct_categories', high: '多品类', low: '单品类', log: false },
  { attribute: 'product_views_30d', high: '常浏览', low: '少浏览', log: true },
] as const;

export interface KMeansResult {
  k: number;
  centroids: Float64Array[];
  assignment: Int32Array;
  inertia: number;
}

const distance2 = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j]! - b[j]!) ** 2;
  return s;
};

/** k-means with k-means++ seeding (Arthur & Vassilvitskii 2007) and Lloyd iterations, from a fixed seed. */
export function kMeans(points: readonly Float64Array[], k: number, seed = 42, maxIterations = 100): KMeansResult {
  if (points.length < k) throw new SiyuError('validation', 'too_few_points', `k-means: ${points.length} customers cannot make ${k} clusters`);
  const random = new Random(seed);
  const centroids: Float64Array[] = [Float64Array.from(points[Math.floor(random.next() * points.length)]!)];
  const nearest = points.map((p) => distance2(p, centroids[0]!));
  while (centroids.length < k) {
    const total = nearest.reduce((s, d) => s + d, 0);
    let u = random.next() * total;
    let pick = points.length - 1;
    for (let i = 0; i < points.length; i++) if ((u -= nearest[i]!) <= 0) {
      pick = i;
      break;
    }
    const c = Float64Array.from(points[pick]!);
    centroids.push(c);
    points.forEach((p, i) => (nearest[i] = Math.min(nearest[i]!, distance2(p, c))));
  }
  const assignment = new Int32Array(points.length).fill(-1);
  const d = points[0]!.length;
  let inertia = 0;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let changed = 0;
    inertia = 0;
    points.forEach((p, i) => {
      let best = 0;
      let bestDistance = Infinity;
      centroids.forEach((c, j) => {
        const dist = distance2(p, c);
        if (dist < bestDistance) [best, bestDistance] = [j, dist];
      });
      if (assignment[i] !== best) changed++;
      assignment[i] = best;
      inertia += bestDistance;
    });
    const sums = centroids.map(() => new Float64Array(d));
    const counts = new Int32Array(k);
    points.forEach((p, i) => {
      const c = assignment[i]!;
      counts[c]!++;
      for (let j = 0; j < d; j++) sums[c]![j]! += p[j]!;
    });
    centroids.forEach((c, j) => {
      if (counts[j]) for (let f = 0; f < d; f++) c[f] = sums[j]![f]! / counts[j]!;
    });
    if (changed === 0) break;
  }
  return { k, centroids, assignment, inertia };
}

/** Mean silhouette (Rousseeuw 1987) of a clustering over the given points: near 1 is well separated, near 0 overlapping. */
export function silhouette(points: readonly Float64Array[], assignment: ArrayLike<number>, k: number): number {
  let total = 0;
  for (let i = 0; i < points.length; i++) {
    const sums = new Float64Array(k);
    const counts = new Int32Array(k);
    for (let j = 0; j < points.length; j++) {
      if (i === j) continue;
      sums[assignment[j]!]! += Math.sqrt(distance2(points[i]!, points[j]!));
      counts[assignment[j]!]!++;
    }
    const own = assignment[i]!;
    if (counts[own] === 0) continue; // a singleton's silhouette is 0
    const a = sums[own]! / counts[own]!;
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && counts[c]) b = Math.min(b, sums[c]! / counts[c]!);
    total += (b - a) / Math.max(a, b);
  }
  return total / points.length;
}

export interface ClusterReport {
  asOf: string;
  customers: number;
  k: number;
  /** Silhouette of each k tried (on a sample of at most SILHOUETTE_SAMPLE customers). */
  silhouettes: { k: number; silhouette: number }[];
  clusters: { cluster: number; name: string; customers: number; share: number; means: Record<string, number>; zScores: Record<string, number> }[];
}

export const SILHOUETTE_SAMPLE = 2_000;

/**
 * Clusters the buyers in customer_attributes on standardised RFM and behaviour (CLUSTER_FEATURES, skewed ones on
 * log scale), choosing k in [2, 10] by silhouette on a seeded sample unless `k` is given, and names each cluster by
 * its two most distinctive features against the population (e.g. 高频低客单). Replaces customer_clusters.
 */
export async function computeClusters(store: Store, options: { k?: number; seed?: number } = {}): Promise<ClusterReport> {
  const seed = options.seed ?? 42;
  const features = [...new Set(['orders_lifetime', ...CLUSTER_FEATURES.map((f) => f.attribute)])];
  const rows = (
    await store.query<Record<string, unknown> & { customer_id: string; as_of: string }>(`SELECT customer_id, as_of, ${features.map((f) => `"${f}"`).join(', ')} FROM customer_attributes ORDER BY customer_id`)
  ).map((r) => ({ customer_id: r.customer_id, as_of: r.as_of, attributes: r as Record<string, unknown> }));
  const buyers = rows.filter((r) => Number(r.attributes.orders_lifetime ?? 0) > 0);
  if (buyers.length < 20) throw new SiyuError('validation', 'too_few_customers', `only ${buyers.length} buyers have attributes; run \`siyu attributes compute\` first (clustering needs at least 20)`);
  const raw = buyers.map((r) => Float64Array.from(CLUSTER_FEATURES, (f) => {
    const v = Number(r.attributes[f.attribute] ?? 0) || 0;
    return f.log ? Math.log1p(Math.max(v, 0)) : v;
  }));
  const d = CLUSTER_FEATURES.length;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const p of raw) for (let j = 0; j < d; j++) mean[j]! += p[j]! / raw.length;
  for (const p of raw) for (let j = 0; j < d; j++) sd[j]! += (p[j]! - mean[j]!) ** 2 / raw.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const points = raw.map((p) => Float64Array.from(p, (v, j) => (v - mean[j]!) / sd[j]!));

  // k by silhouette on a seeded sample (the silhouette costs n² distances).
  const random = new Random(seed);
  const sample = points.length <= SILHOUETTE_SAMPLE ? points : Array.from({ length: SILHOUETTE_SAMPLE }, () => points[Math.floor(random.next() * points.length)]!);
  const silhouettes: { k: number; silhouette: number }[] = [];
  let k = options.k;
  if (k === undefined) {
    for (let candidate = 2; candidate <= Math.min(10, sample.length - 1); candidate++) {
      const fit = kMeans(sample, candidate, seed);
      silhouettes.push({ k: candidate, silhouette: silhouette(sample, fit.assignment, candidate) });
    }
    k = silhouettes.reduce((a, b) => (b.silhouette > a.silhouette ? b : a)).k;
  }
  if (!Number.isInteger(k) || k < 2 || k > 50) throw new SiyuError('validation', 'invalid_k', `k must be a whole number from 2 to 50, not ${k}`);
  const fit = kMeans(points, k, seed);

  const clusters = fit.centroids.map((centroid, c) => {
    const members = buyers.filter((_, i) => fit.assignment[i] === c);
    const zScores = Object.fromEntries(CLUSTER_FEATURES.map((f, j) => [f.attribute, centroid[j]!]));
    const means = Object.fromEntries(CLUSTER_FEATURES.map((f) => [f.attribute, members.reduce((s, m) => s + (Number(m.attributes[f.attribute] ?? 0) || 0), 0) / Math.max(1, members.length)]));
    const name = CLUSTER_FEATURES.map((f, j) => ({ f, z: centroid[j]! }))
      .sort((a, b) => Math.abs(b.z) - Math.abs(a.z))
      .slice(0, 2)
      .map(({ f, z }) => (z >= 0 ? f.high : f.low))
      .join('');
    return { cluster: c, name, customers: members.length, share: members.length / buyers.length, means, zScores };
  });
  // Two clusters can share their two most distinctive traits; number the later ones.
  const seen = new Map<string, number>();
  for (const c of clusters) {
    const n = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, n);
    if (n > 1) c.name = `${c.name}·${n}`;
  }
  const asOf = buyers[0]!.as_of;
  const now = new Date();
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM customer_clusters');
    await tx.appendRows('customer_clusters', ['customer_id', 'cluster', 'name', 'as_of', 'computed_at'], buyers.map((b, i) => [b.customer_id, fit.assignment[i], clusters[fit.assignment[i]!]!.name, asOf, now]));
  });
  return { asOf, customers: buyers.length, k, silhouettes, clusters };
}
