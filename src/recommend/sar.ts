import { SiyuError } from '../core/errors.ts';
import { cooccurrence, type InteractionMatrix } from './data.ts';
import type { Reason, Recommender } from './model.ts';
import { assertTrainable } from './popularity.ts';

export type SarSimilarity = 'jaccard' | 'lift' | 'cosine' | 'cooccurrence';
export const SAR_SIMILARITIES: readonly SarSimilarity[] = ['jaccard', 'lift', 'cosine', 'cooccurrence'];

export interface SarOptions {
  similarity?: SarSimilarity;
  /** Half-life of the time decay of affinities, in days; 0 turns decay off. Default 30. */
  timeDecayDays?: number;
  /** Rescale each user's scores into the rating range, as SAR's `normalize=True`. Default false. */
  normalize?: boolean;
  /** Co-occurrence counts below this are treated as 0. Default 1. */
  threshold?: number;
}

export const SECONDS_PER_DAY = 86_400;

/**
 * Item co-occurrence item-item similarity, n×n, stored in float32 as Microsoft Recommenders' SAR stores it
 * (it casts the similarity to the rating dtype, float32 in their notebooks); rounding the same way keeps
 * near-ties in the same order.
 */
export function itemSimilarity(matrix: InteractionMatrix, similarity: SarSimilarity, threshold = 1): Float32Array {
  const n = matrix.items.length;
  const co = cooccurrence(matrix);
  const diag = Float64Array.from({ length: n }, (_, i) => co[i * n + i]!);
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const c = co[i * n + j]!;
      if (c < threshold || c === 0) continue;
      const di = diag[i]!;
      const dj = diag[j]!;
      out[i * n + j] =
        similarity === 'jaccard' ? c / (di + dj - c)
        : similarity === 'lift' ? c / (di * dj)
        : similarity === 'cosine' ? c / Math.sqrt(di * dj)
        : c;
    }
  }
  return out;
}

/**
 * SAR (Smart Adaptive Recommendations, Microsoft Recommenders `SARSingleNode`): score = user affinity × item
 * similarity. Affinity is Σ weight · 2^(−age/half-life), age counted from the latest training time. With
 * `normalize`, a user's scores are mapped linearly from [min, max] of (unit affinity × similarity) × the
 * affinity range onto the affinity range, so scores read like ratings.
 */
export function trainSar(matrix: InteractionMatrix, options: SarOptions = {}): Recommender {
  assertTrainable(matrix, 'sar');
  const similarityType = options.similarity ?? 'jaccard';
  const decayDays = options.timeDecayDays ?? 30;
  const normalize = options.normalize ?? false;
  let affinity = matrix.weights;
  let unit: Float64Array = new Float64Array(matrix.itemOf.length).fill(1);
  if (decayDays > 0) {
    if (!matrix.decay || matrix.decay.halfLifeSeconds !== decayDays * SECONDS_PER_DAY)
      throw new SiyuError('internal', 'matrix_without_decay', `sar: the interaction matrix was not built with a ${decayDays}-day half-life`);
    affinity = matrix.decay.weights;
    unit = matrix.decay.counts;
  }
  const n = matrix.items.length;
  const sim = itemSimilarity(matrix, similarityType, options.threshold ?? 1);
  let ratingMin = Infinity;
  let ratingMax = -Infinity;
  for (const a of affinity) {
    ratingMin = Math.min(ratingMin, a);
    ratingMax = Math.max(ratingMax, a);
  }
  const counts = new Float64Array(n);

  const accumulate = (u: number, out: Float64Array) => {
    out.fill(0);
    for (let p = matrix.rowStart[u]!; p < matrix.rowStart[u + 1]!; p++) {
      const a = affinity[p]!;
      const row = matrix.itemOf[p]! * n;
      for (let j = 0; j < n; j++) out[j]! += a * sim[row + j]!;
    }
  };
  // Both sums of a normalised score in one pass over the user's rows of the similarity, each element read once for
  // both; each sum is added in the same order as accumulate adds it, so the scores are the same to the bit.
  const accumulateBoth = (u: number, out: Float64Array) => {
    out.fill(0);
    counts.fill(0);
    for (let p = matrix.rowStart[u]!; p < matrix.rowStart[u + 1]!; p++) {
      const a = affinity[p]!;
      const c = unit[p]!;
      const row = matrix.itemOf[p]! * n;
      for (let j = 0; j < n; j++) {
        const s = sim[row + j]!;
        out[j]! += a * s;
        counts[j]! += c * s;
      }
    }
  };

  return {
    algorithm: 'sar',
    params: { similarity: similarityType, timeDecayDays: decayDays, normalize, threshold: options.threshold ?? 1 },
    matrix,
    scoreUser(u, out) {
      if (!normalize) return accumulate(u, out);
      accumulateBoth(u, out);
      let lo = Infinity;
      let hi = -Infinity;
      for (const c of counts) {
        lo = Math.min(lo, c);
        hi = Math.max(hi, c);
      }
      const low = lo * ratingMin;
      const high = hi * ratingMax;
      // A user whose scores span no range (every affinity equal and every similarity alike) keeps the raw scores.
      if (!(high > low)) return;
      for (let j = 0; j < n; j++) out[j] = ((ratingMax - ratingMin) * (out[j]! - low)) / (high - low) + ratingMin;
    },
    similarTo(item, out) {
      for (let j = 0; j < n; j++) out[j] = sim[item * n + j]!;
    },
    reason(u, item): Reason {
      let best = -1;
      let bestScore = 0;
      for (let p = matrix.rowStart[u]!; p < matrix.rowStart[u + 1]!; p++) {
        const s = affinity[p]! * sim[matrix.itemOf[p]! * n + item]!;
        if (s > bestScore) [best, bestScore] = [matrix.itemOf[p]!, s];
      }
      return best < 0 ? { kind: 'popular' } : { kind: 'bought_with', item: matrix.items[best]! };
    },
  };
}
