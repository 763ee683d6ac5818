/** Ranking and calibration quality of a risk score against 0/1 outcomes (1 = churned). */
export interface ClassifierMetrics {
  n: number;
  positives: number;
  /** Area under the ROC curve: P(a random churner scores above a random stayer), ties counting half. */
  auc: number;
  /** Area under the precision-recall curve, as average precision (the mean precision at each churner's rank). */
  prAuc: number;
  /** Among the top 10% by risk: the share that churned, and the share of all churners caught. */
  precisionAt10: number;
  recallAt10: number;
  /** Mean squared error of the score as a probability. */
  brier: number;
  /** Ten equal-count bins by score: mean score against the observed churn rate. */
  calibration: { meanScore: number; observed: number; n: number }[];
}

/** Indices sorted by score, highest first; ties keep index order. */
function byScoreDescending(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

export function classifierMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>): ClassifierMetrics {
  const n = scores.length;
  const order = byScoreDescending(scores);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i]! ? 1 : 0;
  const negatives = n - positives;

  // AUC by ranks with ties averaged (Mann-Whitney U).
  let rankSumPositives = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const averageRank = n - (start + end) / 2; // ranks counted from the lowest score = 1
    for (let k = start; k <= end; k++) if (labels[order[k]!]) rankSumPositives += averageRank;
    start = end + 1;
  }
  const auc = positives && negatives ? (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives) : NaN;

  let hits = 0;
  let precisionSum = 0;
  order.forEach((i, k) => {
    if (labels[i]) {
      hits++;
      precisionSum += hits / (k + 1);
    }
  });
  const top = Math.max(1, Math.round(n * 0.1));
  let topHits = 0;
  for (let k = 0; k < top && k < n; k++) topHits += labels[order[k]!] ? 1 : 0;

  let brier = 0;
  for (let i = 0; i < n; i++) brier += (scores[i]! - (labels[i] ? 1 : 0)) ** 2;

  const calibration: ClassifierMetrics['calibration'] = [];
  const ascending = [...order].reverse();
  for (let b = 0; b < 10; b++) {
    const slice = ascending.slice(Math.floor((b * n) / 10), Math.floor(((b + 1) * n) / 10));
    if (slice.length === 0) continue;
    calibration.push({
      meanScore: slice.reduce((s, i) => s + scores[i]!, 0) / slice.length,
      observed: slice.reduce((s, i) => s + (labels[i] ? 1 : 0), 0) / slice.length,
      n: slice.length,
    });
  }
  return {
    n,
    positives,
    auc,
    prAuc: positives ? precisionSum / positives : NaN,
    precisionAt10: topHits / top,
    recallAt10: positives ? topHits / positives : NaN,
    brier: n ? brier / n : NaN,
    calibration,
  };
}
