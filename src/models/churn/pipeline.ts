import { randomUUID } from 'node:crypto';
import { SiyuError } from '../../core/errors.ts';
import { parseDay } from '../../core/validation.ts';
import { latestOrderDay, type Queryable, type Store } from '../../store/index.ts';
import { CHURN_FEATURES, churnDataset, type ChurnDataset } from './features.ts';
import { fitGbdt, gbdtContributions, predictGbdt, type GbdtModel } from './gbdt.ts';
import { fitLogistic, predictLogistic } from './logistic.ts';
import { classifierMetrics, type ClassifierMetrics } from './metrics.ts';

const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const churnRate = (labels: Uint8Array) => labels.reduce((s, y) => s + y, 0) / Math.max(1, labels.length);

export interface ChurnEvaluation {
  horizonDays: number;
  /** Features at `trainCutoff` with labels to `validationCutoff`; then features at `validationCutoff` with labels to `end`. */
  trainCutoff: string;
  validationCutoff: string;
  end: string;
  train: { customers: number; churnRate: number };
  validation: { customers: number; churnRate: number };
  models: { model: 'gbdt' | 'logistic' | 'p_alive'; metrics: ClassifierMetrics }[];
}

async function resolveEnd(db: Queryable, end: string | undefined): Promise<string> {
  const day = end ?? (await latestOrderDay(db));
  if (!day) throw new SiyuError('not_found', 'no_orders', 'the store has no orders; churn needs purchase history');
  return parseDay(day, '--end');
}

/**
 * The time-split evaluation: both classifiers learn from features at end − 2·horizon and whether each customer
 * bought in the horizon after it, then predict from features at end − horizon, and are scored against what
 * customers did up to `end` (default: the latest order day). Nothing after a cutoff feeds its features.
 * 1 − P(alive) from BG/NBD alone is scored the same way, as the baseline.
 */
export async function evaluateChurn(db: Queryable, options: { end?: string; horizonDays?: number } = {}): Promise<ChurnEvaluation> {
  return (await evaluateWithData(db, options)).evaluation;
}

/** The evaluation, and the dataset it was checked on: the most recent complete window, which training reuses. */
async function evaluateWithData(db: Queryable, options: { end?: string; horizonDays?: number }): Promise<{ evaluation: ChurnEvaluation; validation: ChurnDataset }> {
  const horizonDays = options.horizonDays ?? 90;
  const end = await resolveEnd(db, options.end);
  const validationCutoff = addDays(end, -horizonDays);
  const trainCutoff = addDays(end, -2 * horizonDays);
  const train = await churnDataset(db, trainCutoff, { horizonDays, labels: true });
  const validation = await churnDataset(db, validationCutoff, { horizonDays, labels: true });
  const labels = validation.labels!;
  if (train.rows.length < 50) throw new SiyuError('validation', 'too_few_customers', `only ${train.rows.length} customers bought before ${trainCutoff}; churn needs at least 50 to learn from`);
  const gbdt = fitGbdt(train.rows, train.labels!);
  const logistic = fitLogistic(train.rows, train.labels!);
  const pAliveColumn = CHURN_FEATURES.findIndex((f) => f.name === 'one_minus_p_alive');
  const evaluation: ChurnEvaluation = {
    horizonDays,
    trainCutoff,
    validationCutoff,
    end,
    train: { customers: train.rows.length, churnRate: churnRate(train.labels!) },
    validation: { customers: validation.rows.length, churnRate: churnRate(labels) },
    models: [
      { model: 'gbdt', metrics: classifierMetrics(validation.rows.map((r) => predictGbdt(gbdt, r)), labels) },
      { model: 'logistic', metrics: classifierMetrics(validation.rows.map((r) => predictLogistic(logistic, r)), labels) },
      { model: 'p_alive', metrics: classifierMetrics(validation.rows.map((r) => r[pAliveColumn]!), labels) },
    ],
  };
  return { evaluation, validation };
}

export interface ChurnTrainReport {
  modelId: string;
  cutoff: string;
  horizonDays: number;
  customers: number;
  churnRate: number;
  evaluation: ChurnEvaluation;
}

/**
 * Evaluates as above, then trains the deployed model (gradient-boosted trees, with 1 − P(alive) among its
 * features) on the most recent complete window: features at end − horizon, labels to end. Stored in churn_models.
 */
export async function trainChurn(store: Store, options: { end?: string; horizonDays?: number } = {}): Promise<ChurnTrainReport> {
  const { evaluation, validation: data } = await evaluateWithData(store, options);
  const model = fitGbdt(data.rows, data.labels!);
  const modelId = randomUUID();
  await store.insertRows('churn_models', ['model_id', 'kind', 'features', 'model', 'cutoff', 'horizon_days', 'evaluation', 'trained_at'], [
    [modelId, 'gbdt', JSON.stringify(CHURN_FEATURES.map((f) => f.name)), JSON.stringify(serialise(model)), evaluation.validationCutoff, evaluation.horizonDays, JSON.stringify(evaluation), new Date()],
  ]);
  return { modelId, cutoff: evaluation.validationCutoff, horizonDays: evaluation.horizonDays, customers: data.rows.length, churnRate: churnRate(data.labels!), evaluation };
}

const serialise = (m: GbdtModel) => ({ ...m, trees: m.trees.map((t) => ({ feature: [...t.feature], threshold: [...t.threshold], left: [...t.left], right: [...t.right], value: [...t.value] })) });

function deserialise(json: unknown): GbdtModel {
  const m = (typeof json === 'string' ? JSON.parse(json) : json) as GbdtModel & { trees: Record<string, number[]>[] };
  return {
    ...m,
    trees: m.trees.map((t) => ({
      feature: Int32Array.from(t.feature!),
      threshold: Float64Array.from(t.threshold!),
      left: Int32Array.from(t.left!),
      right: Int32Array.from(t.right!),
      value: Float64Array.from(t.value!),
    })),
  };
}

export interface ChurnReason {
  feature: string;
  value: number;
  /** Added log-odds of churning. */
  contribution: number;
  zh: string;
  en: string;
}

/** The top `k` features pushing a customer toward churning, strongest first. */
function reasons(model: GbdtModel, row: Float64Array, k = 3): ChurnReason[] {
  const contributions = gbdtContributions(model, row);
  return CHURN_FEATURES.map((f, j) => ({ feature: f.name, value: row[j]!, contribution: contributions[j]!, zh: f.zh(row[j]!), en: f.en(row[j]!) }))
    .filter((r) => r.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, k);
}

export interface ChurnScoreReport {
  modelId: string;
  asOf: string;
  customers: number;
  meanRisk: number;
  atRisk: number;
}

/**
 * Scores every customer with purchase history as of `asOf` (default: the latest order day) with the latest
 * churn model and replaces churn_scores in one transaction: risk, P(alive), value (the CLV score when there is
 * one, else the last year's spend), priority = risk × value, and the top 3 reasons.
 */
export async function scoreChurn(store: Store, options: { asOf?: string; threshold?: number } = {}): Promise<ChurnScoreReport> {
  const [stored] = await store.query<{ model_id: string; model: unknown; horizon_days: number }>('SELECT model_id, model, horizon_days FROM churn_models ORDER BY trained_at DESC LIMIT 1');
  if (!stored) throw new SiyuError('not_found', 'no_churn_model', 'no churn model yet: run `siyu churn train` first');
  const model = deserialise(stored.model);
  const asOf = await resolveEnd(store, options.asOf);
  const data: ChurnDataset = await churnDataset(store, asOf, { horizonDays: Number(stored.horizon_days) });
  const clv = new Map((await store.query<{ customer_id: string; clv_12m_fen: number }>('SELECT customer_id, clv_12m_fen FROM clv_scores')).map((r) => [r.customer_id, Number(r.clv_12m_fen)]));
  const spend = CHURN_FEATURES.findIndex((f) => f.name === 'spend_365d');
  const pAlive = CHURN_FEATURES.findIndex((f) => f.name === 'one_minus_p_alive');
  const scoredAt = new Date();
  const threshold = options.threshold ?? 0.5;
  let total = 0;
  let atRisk = 0;
  const rows = data.rows.map((row, i) => {
    const risk = predictGbdt(model, row);
    const id = data.customerIds[i]!;
    const valueFen = Math.round(clv.get(id) ?? row[spend]! * 100);
    total += risk;
    if (risk >= threshold) atRisk++;
    return [id, risk, 1 - row[pAlive]!, valueFen, (risk * valueFen) / 100, JSON.stringify(reasons(model, row)), stored.model_id, asOf, scoredAt];
  });
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM churn_scores');
    await tx.appendRows('churn_scores', ['customer_id', 'risk', 'p_alive', 'value_fen', 'priority', 'reasons', 'model_id', 'as_of', 'scored_at'], rows);
  });
  return { modelId: stored.model_id, asOf, customers: rows.length, meanRisk: total / Math.max(1, rows.length), atRisk };
}

export interface ChurnWarning {
  customerId: string;
  risk: number;
  pAlive: number;
  valueFen: number;
  priority: number;
  reasons: ChurnReason[];
}

/** The churn-warning list: customers at or above `minRisk`, by risk × value, highest first. */
export async function churnWarnings(db: Queryable, options: { n?: number; minRisk?: number } = {}): Promise<{ asOf: string | null; warnings: ChurnWarning[] }> {
  const n = options.n ?? 50;
  const minRisk = options.minRisk ?? 0.5;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new SiyuError('validation', 'invalid_count', `n must be a whole number from 1 to 1000, not ${n}`);
  if (!(minRisk >= 0 && minRisk <= 1)) throw new SiyuError('validation', 'invalid_threshold', `min risk must be between 0 and 1, not ${minRisk}`);
  const rows = await db.query<{ customer_id: string; risk: number; p_alive: number; value_fen: number; priority: number; reasons: unknown; as_of: string }>(
    `SELECT customer_id, risk, p_alive, value_fen, priority, reasons, as_of FROM churn_scores WHERE risk >= $1 ORDER BY priority DESC, customer_id LIMIT ${n}`,
    [minRisk],
  );
  return {
    asOf: rows[0]?.as_of ?? null,
    warnings: rows.map((r) => ({
      customerId: r.customer_id,
      risk: Number(r.risk),
      pAlive: Number(r.p_alive),
      valueFen: Number(r.value_fen),
      priority: Number(r.priority),
      reasons: (typeof r.reasons === 'string' ? JSON.parse(r.reasons) : r.reasons) as ChurnReason[],
    })),
  };
}
