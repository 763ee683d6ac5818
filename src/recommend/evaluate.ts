import type { Interaction } from './data.ts';
import { rankingMetrics, type RankingMetrics } from './metrics.ts';
import { recommendAll, type Recommender } from './model.ts';
import { itemUserCounts } from './popularity.ts';

/** Test items per user: every held-out item is relevant, whatever its rating (REFERENCE.md §2.0). */
export function relevantItems(test: readonly Interaction[]): Map<string, Set<string>> {
  const relevant = new Map<string, Set<string>>();
  for (const r of test) {
    let set = relevant.get(r.user);
    if (!set) relevant.set(r.user, (set = new Set()));
    set.add(r.item);
  }
  return relevant;
}

/** Recommends k items to every test user the model knows (seen items removed) and scores the lists. */
export function evaluateRecommender(model: Recommender, test: readonly Interaction[], k = 10): RankingMetrics {
  const relevant = relevantItems(test);
  const { matrix } = model;
  const users = [...relevant.keys()].map((id) => matrix.userIndex.get(id)).filter((u): u is number => u !== undefined);
  const counts = itemUserCounts(matrix);
  const itemUsers = new Map<string, number>();
  counts.forEach((c, j) => c > 0 && itemUsers.set(matrix.items[j]!, c));
  return rankingMetrics({ k, recommendations: recommendAll(model, users, k), relevant, itemUsers, trainUsers: matrix.users.length });
}
