import { SiyuError } from '../core/errors.ts';
import type { Queryable, Store } from '../store/index.ts';
import { ALGORITHM_NAMES, type AlgorithmName } from './algorithms.ts';
import { refreshServingState } from './state-cache.ts';

export interface Variant {
  variant: string;
  algorithm: AlgorithmName;
  share: number;
}

export interface Experiment {
  experiment: string;
  variants: Variant[];
  startedAt: Date;
  endedAt: Date | null;
}

/** FNV-1a, 32 bits: a fixed, documented hash, so any service can reproduce a customer's variant. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A customer's variant: bucket = fnv1a(`${experiment}:${customerId}`) mod 10,000, against the cumulative shares in variant order. */
export function assignVariant(experiment: Pick<Experiment, 'experiment' | 'variants'>, customerId: string): Variant {
  const bucket = (fnv1a(`${experiment.experiment}:${customerId}`) % 10_000) / 10_000;
  let edge = 0;
  for (const v of experiment.variants) {
    edge += v.share;
    if (bucket < edge) return v;
  }
  return experiment.variants[experiment.variants.length - 1]!;
}

/**
 * Starts an A/B experiment between algorithms, e.g. `ease:0.5,sar:0.5`. Variants are named after their algorithm;
 * shares must be positive and sum to 1; each algorithm needs candidates from `siyu recommend train --algo`.
 * Only one experiment runs at a time.
 */
export async function startExperiment(store: Store, name: string, variants: readonly { algorithm: string; share: number }[]): Promise<Experiment> {
  if (!/^[\w.-]{1,64}$/.test(name)) throw new SiyuError('validation', 'invalid_experiment', `an experiment name is 1-64 letters, digits, '.', '_' or '-', not ${JSON.stringify(name)}`);
  if (variants.length < 2) throw new SiyuError('validation', 'invalid_experiment', 'an experiment needs at least two variants');
  const seen = new Set<string>();
  for (const v of variants) {
    if (!(ALGORITHM_NAMES as string[]).includes(v.algorithm)) throw new SiyuError('validation', 'unknown_algorithm', `unknown algorithm ${JSON.stringify(v.algorithm)}; choose from ${ALGORITHM_NAMES.join(', ')}`);
    if (seen.has(v.algorithm)) throw new SiyuError('validation', 'invalid_experiment', `${v.algorithm} appears twice`);
    seen.add(v.algorithm);
    if (!(v.share > 0 && v.share < 1)) throw new SiyuError('validation', 'invalid_experiment', `${v.algorithm}: a share must be between 0 and 1, not ${v.share}`);
  }
  const total = variants.reduce((s, v) => s + v.share, 0);
  if (Math.abs(total - 1) > 1e-9) throw new SiyuError('validation', 'invalid_experiment', `the shares must sum to 1, not ${total}`);
  const trained = new Set((await store.query<{ algorithm: string }>('SELECT DISTINCT algorithm FROM recommendation_runs')).map((r) => r.algorithm));
  const missing = variants.filter((v) => !trained.has(v.algorithm)).map((v) => v.algorithm);
  if (missing.length) throw new SiyuError('validation', 'untrained_algorithm', `no candidates for ${missing.join(', ')}: run \`siyu recommend train --algo ${missing[0]}\` first`);
  const running = await activeExperiment(store);
  if (running) throw new SiyuError('conflict', 'experiment_running', `experiment ${running.experiment} is still running; stop it first`);
  const [exists] = await store.query('SELECT 1 AS found FROM recommendation_experiments WHERE experiment = $1 LIMIT 1', [name]);
  if (exists) throw new SiyuError('conflict', 'experiment_exists', `an experiment named ${name} already ran; choose a new name so its results stay apart`);
  const startedAt = new Date();
  await store.insertRows('recommendation_experiments', ['experiment', 'variant', 'algorithm', 'share', 'started_at', 'ended_at'], variants.map((v) => [name, v.algorithm, v.algorithm, v.share, startedAt, null]));
  refreshServingState(store);
  return { experiment: name, variants: variants.map((v) => ({ variant: v.algorithm, algorithm: v.algorithm as AlgorithmName, share: v.share })), startedAt, endedAt: null };
}

export async function stopExperiment(store: Store, name: string): Promise<void> {
  const changed = await store.execute('UPDATE recommendation_experiments SET ended_at = $2 WHERE experiment = $1 AND ended_at IS NULL', [name, new Date()]);
  if (changed === 0) throw new SiyuError('not_found', 'no_running_experiment', `no running experiment named ${name}`);
  refreshServingState(store);
}

/** The running experiment, if any. */
export async function activeExperiment(db: Queryable): Promise<Experiment | null> {
  const rows = await db.query<{ experiment: string; variant: string; algorithm: AlgorithmName; share: number; started_at: Date }>(
    'SELECT experiment, variant, algorithm, share, started_at FROM recommendation_experiments WHERE ended_at IS NULL ORDER BY experiment, variant',
  );
  if (rows.length === 0) return null;
  return {
    experiment: rows[0]!.experiment,
    variants: rows.filter((r) => r.experiment === rows[0]!.experiment).map((r) => ({ variant: r.variant, algorithm: r.algorithm, share: Number(r.share) })),
    startedAt: rows[0]!.started_at,
    endedAt: null,
  };
}
