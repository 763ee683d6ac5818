import { SiyuError } from '../core/errors.ts';
import { Random } from '../core/random.ts';
import { trainAls } from './als.ts';
import { buildMatrix, type Interaction, type InteractionMatrix } from './data.ts';
import { DEFAULT_EASE_LAMBDA, trainEase } from './ease.ts';
import { evaluateRecommender } from './evaluate.ts';
import type { RankingMetrics } from './metrics.ts';
import type { Recommender } from './model.ts';
import { trainPopularity } from './popularity.ts';
import { SAR_SIMILARITIES, SECONDS_PER_DAY, trainSar, type SarSimilarity } from './sar.ts';

export type Params = Record<string, number | string | boolean>;

interface Algorithm {
  description: string;
  defaults: Params;
  /** Candidate settings tried on the validation split; the first is the default. */
  grid: Params[];
  train(matrix: InteractionMatrix, params: Params): Recommender;
  /** The time-decay half-life the training matrix must carry, if any. */
  halfLifeSeconds?(params: Params): number | undefined;
}

const num = (params: Params, name: string) => Number(params[name]);

export const ALGORITHMS = {
  popular: {
    description: 'most users had it; ties to the lower item id (non-personalised baseline and fallback)',
    defaults: {},
    grid: [{}],
    train: (m) => trainPopularity(m),
  },
  sar: {
    description: 'item co-occurrence (SAR): time-decayed affinity × jaccard/lift/cosine item similarity',
    defaults: { similarity: 'jaccard', timeDecayDays: 30, normalize: false },
    grid: [{}],
    train: (m, p) => {
      const similarity = String(p.similarity) as SarSimilarity;
      if (!SAR_SIMILARITIES.includes(similarity)) throw new SiyuError('validation', 'invalid_param', `sar: similarity must be one of ${SAR_SIMILARITIES.join(', ')}, not ${JSON.stringify(p.similarity)}`);
      return trainSar(m, { similarity, timeDecayDays: num(p, 'timeDecayDays'), normalize: p.normalize === true || p.normalize === 'true' });
    },
    halfLifeSeconds: (p) => (num(p, 'timeDecayDays') > 0 ? num(p, 'timeDecayDays') * SECONDS_PER_DAY : undefined),
  },
  ease: {
    description: 'EASE (Steck 2019): closed-form item-item autoencoder; λ tuned on a validation split',
    defaults: { lambda: DEFAULT_EASE_LAMBDA },
    grid: [50, 100, 200, 300, 500, 800, 1200].map((lambda) => ({ lambda })),
    train: (m, p) => {
      const lambda = num(p, 'lambda');
      if (!(lambda > 0)) throw new SiyuError('validation', 'invalid_param', `ease: lambda must be a positive number, not ${JSON.stringify(p.lambda)}`);
      return trainEase(m, { lambda });
    },
  },
  als: {
    description: 'implicit-feedback ALS (Hu, Koren & Volinsky 2008) with conjugate-gradient solves; scales with users and interactions',
    defaults: { factors: 32, regularization: 30, alpha: 2, iterations: 15, cgSteps: 3, binary: true },
    grid: [32, 64].flatMap((factors) => [10, 30, 100].flatMap((regularization) => [2, 10].map((alpha) => ({ factors, regularization, alpha })))),
    train: (m, p) =>
      trainAls(m, {
        factors: num(p, 'factors'),
        regularization: num(p, 'regularization'),
        alpha: num(p, 'alpha'),
        iterations: num(p, 'iterations'),
        cgSteps: num(p, 'cgSteps'),
        binary: p.binary === true || p.binary === 'true',
      }),
  },
} satisfies Record<string, Algorithm>;

export type AlgorithmName = keyof typeof ALGORITHMS;
export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as AlgorithmName[];

export function parseAlgorithm(name: string): AlgorithmName {
  if (!(name in ALGORITHMS)) throw new SiyuError('validation', 'unknown_algorithm', `unknown algorithm ${JSON.stringify(name)}; choose one of ${ALGORITHM_NAMES.join(', ')}`);
  return name as AlgorithmName;
}

/** Builds the training matrix an algorithm needs and trains it. */
export function trainAlgorithm(name: AlgorithmName, rows: readonly Interaction[], params: Params = {}, itemUniverse?: readonly string[]): Recommender {
  const algorithm: Algorithm = ALGORITHMS[name];
  const merged = { ...algorithm.defaults, ...params };
  const matrix = buildMatrix(rows, { itemUniverse, halfLifeSeconds: algorithm.halfLifeSeconds?.(merged) });
  return algorithm.train(matrix, merged);
}

/**
 * Holds out `share` of each user's interactions, chosen with a seeded generator, as a validation set; users
 * with one interaction keep it in training. Tuning uses this split of the training data, never the test file.
 */
export function splitByUser(rows: readonly Interaction[], share = 0.25, seed = 42): { train: Interaction[]; validation: Interaction[] } {
  const random = new Random(seed);
  const byUser = new Map<string, Interaction[]>();
  for (const r of rows) {
    let list = byUser.get(r.user);
    if (!list) byUser.set(r.user, (list = []));
    list.push(r);
  }
  const train: Interaction[] = [];
  const validation: Interaction[] = [];
  for (const list of byUser.values()) {
    const keyed = list.map((r) => ({ r, key: random.next() })).sort((a, b) => a.key - b.key);
    const held = list.length > 1 ? Math.round(list.length * share) : 0;
    keyed.forEach(({ r }, i) => (i < held ? validation : train).push(r));
  }
  return { train, validation };
}

/** Validation scores a sample of this many users at most: enough for a stable nDCG, and tuning stays quick on big brands. */
export const MAX_VALIDATION_USERS = 10_000;

/** The rows of at most `max` users, chosen with a seeded generator (all rows when there are fewer users). */
function sampleUsers(rows: Interaction[], max: number, seed: number): Interaction[] {
  const users = [...new Set(rows.map((r) => r.user))];
  if (users.length <= max) return rows;
  const random = new Random(seed + 1);
  for (let i = users.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [users[i], users[j]] = [users[j]!, users[i]!];
  }
  const keep = new Set(users.slice(0, max));
  return rows.filter((r) => keep.has(r.user));
}

export interface TuningTrial {
  params: Params;
  metrics: RankingMetrics;
}

/**
 * Tries each setting of the algorithm's grid: trains on the training part of `splitByUser(rows)`, scores on its
 * validation part (a seeded sample of at most `maxValidationUsers` users), and keeps the setting with the best
 * nDCG@k (ties to the earlier setting).
 */
export function tune(
  name: AlgorithmName,
  rows: readonly Interaction[],
  options: { k?: number; seed?: number; params?: Params; maxValidationUsers?: number; onTrial?: (trial: TuningTrial) => void } = {},
): { best: Params; trials: TuningTrial[] } {
  const algorithm: Algorithm = ALGORITHMS[name];
  const split = splitByUser(rows, 0.25, options.seed ?? 42);
  const { train } = split;
  const validation = sampleUsers(split.validation, options.maxValidationUsers ?? MAX_VALIDATION_USERS, options.seed ?? 42);
  const universe = [...new Set(rows.map((r) => r.item))];
  const trials: TuningTrial[] = [];
  const matrices = new Map<number | undefined, InteractionMatrix>();
  for (const candidate of algorithm.grid) {
    const params = { ...algorithm.defaults, ...options.params, ...candidate };
    // One matrix per half-life: the settings of a grid usually share it.
    const halfLife = algorithm.halfLifeSeconds?.(params);
    let matrix = matrices.get(halfLife);
    if (!matrix) matrices.set(halfLife, (matrix = buildMatrix(train, { itemUniverse: universe, halfLifeSeconds: halfLife })));
    const model = algorithm.train(matrix, params);
    const trial = { params, metrics: evaluateRecommender(model, validation, options.k ?? 10) };
    trials.push(trial);
    options.onTrial?.(trial);
  }
  const best = trials.reduce((a, b) => (b.metrics.ndcg > a.metrics.ndcg ? b : a));
  return { best: best.params, trials };
}

/**
 * The settings to train with: the defaults overridden by `params`, then tuned over the grid unless tuning is off,
 * the algorithm has no grid, or the caller fixed a setting the grid varies.
 */
export function chooseParams(
  name: AlgorithmName,
  rows: readonly Interaction[],
  options: { tune?: boolean; params?: Params; k?: number; seed?: number; onTrial?: (trial: TuningTrial, done: number, of: number) => void } = {},
): { params: Params; trials: TuningTrial[] | null } {
  const given = options.params ?? {};
  const unknown = Object.keys(given).filter((key) => !(key in ALGORITHMS[name].defaults));
  if (unknown.length) throw new SiyuError('validation', 'unknown_param', `${name} has no setting ${unknown.join(', ')}; it takes ${Object.keys(ALGORITHMS[name].defaults).join(', ') || 'none'}`);
  const grid: Params[] = ALGORITHMS[name].grid;
  const fixedByCaller = grid.some((candidate) => Object.keys(candidate).some((key) => key in given));
  if (options.tune === false || grid.length < 2 || fixedByCaller) return { params: { ...ALGORITHMS[name].defaults, ...given }, trials: null };
  let done = 0;
  const tuned = tune(name, rows, { k: options.k, seed: options.seed, params: given, onTrial: (t) => options.onTrial?.(t, ++done, grid.length) });
  return { params: tuned.best, trials: tuned.trials };
}

export const formatParams = (params: Params): string => Object.entries(params).map(([key, v]) => `${key}=${v}`).join(' ') || '-';
