import { SiyuError } from '../core/errors.ts';
import type { InteractionMatrix } from './data.ts';
import type { Recommender } from './model.ts';

/** How many distinct users had each item. */
export function itemUserCounts(matrix: InteractionMatrix): Float64Array {
  const counts = new Float64Array(matrix.items.length);
  for (const j of matrix.itemOf) counts[j]!++;
  return counts;
}

/** Fails with a clear message when there is nothing to learn from. */
export function assertTrainable(matrix: InteractionMatrix, algorithm: string, minItems = 1): void {
  if (matrix.itemOf.length === 0) throw new SiyuError('validation', 'no_interactions', `${algorithm}: the training data has no interactions`);
  if (matrix.items.length < minItems) throw new SiyuError('validation', 'too_few_items', `${algorithm}: the training data has ${matrix.items.length} item${matrix.items.length === 1 ? '' : 's'}; at least ${minItems} are needed`);
}

/**
 * Popularity: every user gets the items most users had, ties to the lower item id. The non-personalised
 * baseline and the fallback for unknown users and customers who opted out of personalisation.
 */
export function trainPopularity(matrix: InteractionMatrix): Recommender {
  assertTrainable(matrix, 'popular');
  const counts = itemUserCounts(matrix);
  return {
    algorithm: 'popular',
    params: {},
    matrix,
    scoreUser: (_u, out) => out.set(counts),
    reason: () => ({ kind: 'popular' }),
  };
}
