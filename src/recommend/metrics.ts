/**
 * Top-k ranking metrics, defined as Microsoft Recommenders defines them (python_evaluation.py; REFERENCE.md §2.0),
 * so figures compare with their published tables:
 * - the users evaluated are those with both test items and a recommendation list;
 * - every test item is relevant, whatever its rating;
 * - precision divides by k even when fewer than k items were recommended;
 * - "MAP" is their `map`: the sum of precision at each hit, divided by the user's number of test items
 *   (not by min(k, |relevant|));
 * - nDCG uses binary gains and 1/ln(1 + rank).
 * Coverage, novelty and the hit distribution are added for the business view.
 */
export interface RankingMetrics {
  k: number;
  users: number;
  map: number;
  ndcg: number;
  precision: number;
  recall: number;
  /** Distinct recommended items over the items in training. */
  coverage: number;
  /** Mean −log2(share of training users who had the item) over every recommended slot. */
  novelty: number;
  /** hits[h] = users with exactly h relevant items in their top k. */
  hits: number[];
}

export interface EvaluationInput {
  k: number;
  recommendations: ReadonlyMap<string, readonly string[]>;
  relevant: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per item, how many training users had it, and how many training users there were (for novelty and coverage). */
  itemUsers: ReadonlyMap<string, number>;
  trainUsers: number;
}

export function rankingMetrics(input: EvaluationInput): RankingMetrics {
  const { k } = input;
  let users = 0;
  let map = 0;
  let ndcg = 0;
  let precision = 0;
  let recall = 0;
  const hits = new Array<number>(k + 1).fill(0);
  for (const [user, list] of input.recommendations) {
    const rel = input.relevant.get(user);
    if (!rel || rel.size === 0) continue;
    users++;
    let found = 0;
    let ap = 0;
    let dcg = 0;
    const top = list.slice(0, k);
    top.forEach((item, j) => {
      if (!rel.has(item)) return;
      found++;
      ap += found / (j + 1);
      dcg += 1 / Math.log(2 + j);
    });
    let idcg = 0;
    for (let j = 0; j < Math.min(rel.size, k); j++) idcg += 1 / Math.log(2 + j);
    map += ap / rel.size;
    ndcg += dcg / idcg;
    precision += found / k;
    recall += found / rel.size;
    hits[found]!++;
  }

  const distinct = new Set<string>();
  let noveltySum = 0;
  let slots = 0;
  for (const list of input.recommendations.values()) {
    for (const item of list.slice(0, k)) {
      distinct.add(item);
      const had = input.itemUsers.get(item) ?? 0;
      if (had > 0) {
        noveltySum += -Math.log2(had / input.trainUsers);
        slots++;
      }
    }
  }
  const mean = (x: number) => (users ? x / users : 0);
  return {
    k,
    users,
    map: mean(map),
    ndcg: mean(ndcg),
    precision: mean(precision),
    recall: mean(recall),
    coverage: input.itemUsers.size ? distinct.size / input.itemUsers.size : 0,
    novelty: slots ? noveltySum / slots : 0,
    hits,
  };
}
