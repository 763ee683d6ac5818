import { randomUUID } from 'node:crypto';
import { SiyuError } from '../../core/errors.ts';
import { parseDay } from '../../core/validation.ts';
import { latestOrderDay, type Queryable, type Store } from '../../store/index.ts';
import type { FrequencyModelName } from '../clv/frequency.ts';
import { selectFrequencyModel } from '../clv/select.ts';
import { churnDataset, type ChurnDataset } from './features.ts';
import { classifierMetrics, type ClassifierMetrics } from './metrics.ts';
import { BASELINES, CLASSIFIERS, fitScorer, predictScorer, serialiseScorer, type ChurnModelKind } from './scorers.ts';
import { chooseFeatures, type FeatureChoice } from './selection.ts';

export const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
export const churnRate = (labels: Uint8Array) => labels.reduce((s, y) => s + y, 0) / Math.max(1, labels.length);

export interface ChurnEvaluation {
  horizonDays: number;
  /** Features at `trainCutoff` with labels to `validationCutoff`; then features at `validationCutoff` with labels to `end`. */
  trainCutoff: string;
  validationCutoff: string;
  end: string;
  train: { customers: number; churnRate: number };
  validation: { customers: number; churnRate: number };
  /** The repeat-buying model behind p_no_purchase, chosen on a holdout ending at the train cutoff, and why. */
  frequencyModel: { model: FrequencyModelName; reason: string };
  /** The classifiers' features, chosen on windows before the train cutoff's labels end. */
  features: FeatureChoice;
  /** Classifiers and single-feature baselines, each scored on the validation window. */
  models: { model: ChurnModelKind; role: 'classifier' | 'baseline'; metrics: ClassifierMetrics }[];
  /** The best on the validation window by AUC: what `siyu churn train` deploys. */
  deployed: ChurnModelKind;
  /** One sentence: what the classifiers add over the best baseline, and what is deployed. */
  verdict: string;
}

export async function resolveEnd(db: Queryable, end: string | undefined): Promise<string> {
  const day = end ?? (await latestOrderDay(db));
  if (!day) throw new SiyuError('not_found', 'no_orders', 'the store has no orders; churn needs purchase history');
  return parseDay(day, '--end');
}

/**
 * The time-split evaluation. The classifiers learn from features at end − 2·horizon and whether each customer bought
 * in the horizon after it, then predict from features at end − horizon and are scored against what customers did up
 * to `end` (default: the latest order day); the single-feature baselines (recency, frequency and the repeat-buying
 * model's P(no purchase)) are scored the same way. Nothing after a cutoff feeds its features, and the repeat-buying
 * model and the feature groups are chosen on data that end before the reported window's labels begin.
 */
export async function evaluateChurn(db: Queryable, options: { end?: string; horizonDays?: number } = {}): Promise<ChurnEvaluation> {
  return (await evaluateWithData(db, options)).evaluation;
}

/** The repeat-buying model for p_no_purchase: chosen on the holdout that ends at `end`, or BG/NBD without the history. */
async function chooseFrequencyModel(db: Queryable, end: string, horizonDays: number): Promise<{ model: FrequencyModelName; reason: string }> {
  try {
    const s = await selectFrequencyModel(db, { timeUnit: 'week', end, holdoutDays: horizonDays });
    return { model: s.chosen, reason: `chosen on the ${horizonDays} days to ${end}: ${s.reason}` };
  } catch (error) {
    if (!(error instanceof SiyuError) || error.kind !== 'validation') throw error;
    return { model: 'bgnbd', reason: `bgnbd by default: no model could be judged on the ${horizonDays} days to ${end} (${error.message})` };
  }
}

/** The evaluation, and the dataset it was checked on: the most recent complete window, which training reuses. */
export async function evaluateWithData(db: Queryable, options: { end?: string; horizonDays?: number }): Promise<{ evaluation: ChurnEvaluation; validation: ChurnDataset }> {
  const horizonDays = options.horizonDays ?? 90;
  const end = await resolveEnd(db, options.end);
  const validationCutoff = addDays(end, -horizonDays);
  const trainCutoff = addDays(end, -2 * horizonDays);
  const selectionCutoff = addDays(end, -3 * horizonDays);
  const frequencyModel = await chooseFrequencyModel(db, trainCutoff, horizonDays);
  const datasetOptions = { horizonDays, labels: true, frequencyModel: frequencyModel.model };
  const train = await churnDataset(db, trainCutoff, datasetOptions);
  if (train.rows.length < 50) throw new SiyuError('validation', 'too_few_customers', `only ${train.rows.length} customers bought before ${trainCutoff}; churn needs at least 50 to learn from`);
  const validation = await churnDataset(db, validationCutoff, datasetOptions);
  const earlier = await churnDataset(db, selectionCutoff, datasetOptions).catch((error: unknown) => {
    if (error instanceof SiyuError && error.kind === 'not_found') return null;
    throw error;
  });
  const features = chooseFeatures(earlier, train);
  const labels = validation.labels!;
  const models = [...CLASSIFIERS, ...BASELINES].map((kind) => {
    const scorer = fitScorer(kind, train.rows, train.labels!, features.features);
    const role = (CLASSIFIERS as readonly string[]).includes(kind) ? ('classifier' as const) : ('baseline' as const);
    return { model: kind, role, metrics: classifierMetrics(validation.rows.map((r) => predictScorer(scorer, r)), labels) };
  });
  const best = (role: 'classifier' | 'baseline') => models.filter((m) => m.role === role).sort((a, b) => b.metrics.auc - a.metrics.auc)[0]!;
  const [classifier, baseline] = [best('classifier'), best('baseline')];
  const deployed = classifier.metrics.auc > baseline.metrics.auc ? classifier : baseline;
  const auc = (m: { model: string; metrics: ClassifierMetrics }) => `${m.model} AUC ${m.metrics.auc.toFixed(3)}`;
  const verdict =
    deployed === classifier
      ? `${auc(classifier)} beats the best single-feature baseline, ${auc(baseline)} (+${(classifier.metrics.auc - baseline.metrics.auc).toFixed(3)}): ${classifier.model} is deployed`
      : `no classifier beats the best single-feature baseline (${auc(baseline)} against ${auc(classifier)}): the ${baseline.model} baseline is deployed`;
  const evaluation: ChurnEvaluation = {
    horizonDays,
    trainCutoff,
    validationCutoff,
    end,
    train: { customers: train.rows.length, churnRate: churnRate(train.labels!) },
    validation: { customers: validation.rows.length, churnRate: churnRate(labels) },
    frequencyModel,
    features,
    models,
    deployed: deployed.model,
    verdict,
  };
  return { evaluation, validation };
}

export interface ChurnTrainReport {
  modelId: string;
  kind: ChurnModelKind;
  cutoff: string;
  horizonDays: number;
  customers: number;
  churnRate: number;
  evaluation: ChurnEvaluation;
}

/**
 * Evaluates as above, then trains the deployed model (the best on the validation window, a classifier or a
 * baseline) on the most recent complete window: features at end − horizon, labels to end. Stored in churn_models
 * with the repeat-buying model its p_no_purchase comes from.
 */
export async function trainChurn(store: Store, options: { end?: string; horizonDays?: number } = {}): Promise<ChurnTrainReport> {
  const { evaluation, validation: data } = await evaluateWithData(store, options);
  const scorer = fitScorer(evaluation.deployed, data.rows, data.labels!, evaluation.features.features);
  const modelId = randomUUID();
  const model = { ...(serialiseScorer(scorer) as object), frequencyModel: evaluation.frequencyModel.model };
  await store.insertRows('churn_models', ['model_id', 'kind', 'features', 'model', 'cutoff', 'horizon_days', 'evaluation', 'trained_at'], [
    [modelId, scorer.kind, JSON.stringify(scorer.features), JSON.stringify(model), evaluation.validationCutoff, evaluation.horizonDays, JSON.stringify(evaluation), new Date()],
  ]);
  return { modelId, kind: scorer.kind, cutoff: evaluation.validationCutoff, horizonDays: evaluation.horizonDays, customers: data.rows.length, churnRate: churnRate(data.labels!), evaluation };
}
