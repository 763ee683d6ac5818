import { selectTop } from '../models/math/linalg.ts';
import type { InteractionMatrix } from './data.ts';

/** Why an item was recommended, in a form a message template can render (docs/recommend.md). */
export type Reason = { kind: 'bought_with'; item: string } | { kind: 'popular' };

/**
 * A trained recommender. Scores live in the item space of the training matrix: `scoreUser` writes one score per
 * item (higher is better; −Infinity means "never"), and `reason` explains one (user, item) pick.
 */
export interface Recommender {
  readonly algorithm: string;
  readonly params: Record<string, number | string | boolean>;
  readonly matrix: InteractionMatrix;
  scoreUser(user: number, out: Float64Array): void;
  reason(user: number, item: number): Reason;
  /** Item-item models: how strongly having `item` points to each other item ("bought this, also bought"). */
  similarTo?(item: number, out: Float64Array): void;
  /**
   * Models with a faster path (shared with the helper thread): what scoreUser and topK give users from … to − 1,
   * seen items left out, `n` per user from (u − from)·n, best first; unfilled slots are −1 and −∞. `reasons` holds
   * what reason() gives each pick: the bought item's index, or −1 for popular.
   */
  topCandidates?(from: number, to: number, n: number): { items: Int32Array; scores: Float64Array; reasons: Int32Array };
}

export interface Scored {
  item: number;
  score: number;
}

/**
 * The k best items of a score vector, best first. Items the user already has in training are skipped when
 * `excludeSeen` (the Microsoft Recommenders `remove_seen`); ties go to the lower item index (= lower item id);
 * −Infinity and NaN scores are never returned.
 */
export function topK(matrix: InteractionMatrix, user: number, scores: Float64Array, k: number, excludeSeen = true): Scored[] {
  if (excludeSeen && user >= 0) for (let p = matrix.rowStart[user]!; p < matrix.rowStart[user + 1]!; p++) scores[matrix.itemOf[p]!] = -Infinity;
  const items = new Int32Array(k);
  const best = new Float64Array(k);
  const filled = selectTop(scores, k, items, best, 0);
  return Array.from({ length: filled }, (_, i) => ({ item: items[i]!, score: best[i]! }));
}

/** Top-k item ids for every user index given, as a map from user id (the shape the metrics take). */
export function recommendAll(model: Recommender, users: Iterable<number>, k: number): Map<string, string[]> {
  const scores = new Float64Array(model.matrix.items.length);
  const out = new Map<string, string[]>();
  for (const u of users) {
    model.scoreUser(u, scores);
    out.set(model.matrix.users[u]!, topK(model.matrix, u, scores, k).map((s) => model.matrix.items[s.item]!));
  }
  return out;
}
