import { SiyuError } from '../core/errors.ts';
import { ALGORITHMS, chooseParams, formatParams, trainAlgorithm, type AlgorithmName, type Params, type TuningTrial } from './algorithms.ts';
import type { Interaction } from './data.ts';
import { evaluateRecommender } from './evaluate.ts';
import type { RankingMetrics } from './metrics.ts';

export interface AlgorithmResult {
  algorithm: AlgorithmName;
  params: Params;
  /** The validation trials behind `params`, when they were tuned. */
  tuning: TuningTrial[] | null;
  metrics: RankingMetrics;
  trainSeconds: number;
  scoreSeconds: number;
}

export interface ComparisonReport {
  k: number;
  train: { interactions: number; users: number; items: number };
  test: { interactions: number; users: number };
  results: AlgorithmResult[];
}

export interface CompareOptions {
  algorithms: AlgorithmName[];
  k?: number;
  /** Tune each algorithm's grid on a validation split of the training data (default true). */
  tune?: boolean;
  /** Settings that override the defaults (and are held fixed while tuning). */
  params?: Params;
  seed?: number;
  onProgress?: (line: string) => void;
}

const seconds = (start: number) => (performance.now() - start) / 1000;

/**
 * The offline evaluation harness: for each algorithm, tune on the training data only (when it has a grid),
 * train on all of it, recommend k unseen items to every test user it knows, and score the lists.
 */
export function compareAlgorithms(train: readonly Interaction[], test: readonly Interaction[], options: CompareOptions): ComparisonReport {
  const k = options.k ?? 10;
  const given = options.params ?? {};
  const known = new Set(options.algorithms.flatMap((name) => Object.keys(ALGORITHMS[name].defaults)));
  const unknown = Object.keys(given).filter((key) => !known.has(key));
  if (unknown.length) {
    const takes = options.algorithms.map((name) => `${name} takes ${Object.keys(ALGORITHMS[name].defaults).join(', ') || 'none'}`).join('; ');
    throw new SiyuError('validation', 'unknown_param', `unknown setting ${unknown.join(', ')}: ${takes}`);
  }
  const results: AlgorithmResult[] = [];
  for (const name of options.algorithms) {
    const own = Object.fromEntries(Object.entries(given).filter(([key]) => key in ALGORITHMS[name].defaults));
    const { params, trials: tuning } = chooseParams(name, train, {
      k,
      seed: options.seed,
      tune: options.tune,
      params: own,
      onTrial: (t, done, of) => options.onProgress?.(`${name}: validation nDCG@${k} ${t.metrics.ndcg.toFixed(4)} with ${formatParams(t.params)} (${done}/${of})`),
    });
    let start = performance.now();
    const model = trainAlgorithm(name, train, params);
    const trainSeconds = seconds(start);
    start = performance.now();
    const metrics = evaluateRecommender(model, test, k);
    results.push({ algorithm: name, params, tuning, metrics, trainSeconds, scoreSeconds: seconds(start) });
    options.onProgress?.(`${name}: trained in ${trainSeconds.toFixed(2)} s, nDCG@${k} ${metrics.ndcg.toFixed(4)}`);
  }
  const count = (rows: readonly Interaction[], key: 'user' | 'item') => new Set(rows.map((r) => r[key])).size;
  return {
    k,
    train: { interactions: train.length, users: count(train, 'user'), items: count(train, 'item') },
    test: { interactions: test.length, users: count(test, 'user') },
    results,
  };
}
