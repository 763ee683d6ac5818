import type { Queryable } from '../store/index.ts';
import type { Experiment } from './experiments.ts';
import type { AlgorithmName } from './algorithms.ts';

/** One `siyu recommend train` (or nightly precompute) run: the algorithm, its settings and what it was trained on. */
export interface RecommendationRun {
  runId: string;
  algorithm: string;
  params: Record<string, unknown>;
  interactions: number;
  customers: number;
  items: number;
  trainedAt: Date;
}

/** The latest training runs, newest first. */
export async function listRecommendationRuns(db: Queryable, limit = 20): Promise<RecommendationRun[]> {
  const rows = await db.query<{ run_id: string; algorithm: string; params: unknown; interactions: number; customers: number; items: number; trained_at: Date }>(
    `SELECT run_id, algorithm, params, interactions, customers, items, trained_at FROM recommendation_runs ORDER BY trained_at DESC, run_id LIMIT ${Math.max(1, Math.min(1000, Math.floor(limit)))}`,
  );
  return rows.map((r) => ({
    runId: r.run_id,
    algorithm: r.algorithm,
    params: (typeof r.params === 'string' ? JSON.parse(r.params) : r.params) as Record<string, unknown>,
    interactions: Number(r.interactions),
    customers: Number(r.customers),
    items: Number(r.items),
    trainedAt: r.trained_at,
  }));
}

/** Every A/B experiment, running or ended, newest first, with its variants. */
export async function listExperiments(db: Queryable): Promise<Experiment[]> {
  const rows = await db.query<{ experiment: string; variant: string; algorithm: AlgorithmName; share: number; started_at: Date; ended_at: Date | null }>(
    'SELECT experiment, variant, algorithm, share, started_at, ended_at FROM recommendation_experiments ORDER BY started_at DESC, experiment, variant',
  );
  const experiments = new Map<string, Experiment>();
  for (const r of rows) {
    const e = experiments.get(r.experiment) ?? { experiment: r.experiment, variants: [], startedAt: r.started_at, endedAt: r.ended_at };
    e.variants.push({ variant: r.variant, algorithm: r.algorithm, share: Number(r.share) });
    experiments.set(r.experiment, e);
  }
  return [...experiments.values()];
}
