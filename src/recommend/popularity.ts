import { SiyuError } from '../core/errors.ts';
import type { InteractionMatrix } from './data.ts';
import type { Recommender } from './model.ts';

/** How many distinct users had each item. */
export function itemUserCounts(matrix: InteractionMatrix): Float64Array {
  const counts = new Float64Array(matrix.items.length);
  for (const j of matrix.itemOf) counts[j]!++;
  return counts;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Fails with a clear message when there is nothing to learn from: no interactions, or a single user or a single
 * item, where every ranking is trivial and similarity-based scores would be 0/0.
 */
export function assertTrainable(matrix: InteractionMatrix, algorithm: string): void {
  if (matrix.itemOf.length === 0) throw new SiyuError('validation', 'no_interactions', `${algorithm}: the training data has no interactions`);
  const seen = new Uint8Array(matrix.items.length);
  let items = 0;
  for (const j of matrix.itemOf) if (seen[j] === 0) items += seen[j] = 1;
  if (matrix.users.length < 2 || items < 2)
    throw new SiyuError('validation', 'degenerate_training_data', `${algorithm}: the training data has ${plural(matrix.users.length, 'user')} and ${plural(items, 'item')}; at least 2 of each are needed`);
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
