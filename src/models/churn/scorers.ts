// Everything that can score churn risk from a customer's features, behind one shape: the two classifiers and the
// single-feature baselines they are compared with (docs/models.md, "Churn"). A baseline is what a user gets without
// a classifier: the time since the last purchase, the number of purchase days, or the repeat-buying model's own
// P(no purchase in the horizon). Recency and frequency become probabilities by a one-feature logistic regression on
// log(1 + value) fitted on the training window; P(no purchase) is a probability already and is used as it is.
import { CHURN_FEATURES, type ChurnFeatureName } from './features.ts';
import { fitGbdt, gbdtContributions, logit, predictGbdt, type GbdtModel } from './gbdt.ts';
import { fitLogistic, logisticContributions, predictLogistic, type LogisticModel } from './logistic.ts';

export const CLASSIFIERS = ['gbdt', 'logistic'] as const;
export const BASELINES = ['recency', 'frequency', 'p_no_purchase'] as const;
export type ChurnModelKind = (typeof CLASSIFIERS)[number] | (typeof BASELINES)[number];

/** The feature each baseline ranks by. */
const BASELINE_FEATURE: Record<(typeof BASELINES)[number], ChurnFeatureName> = { recency: 'recency_days', frequency: 'orders_lifetime', p_no_purchase: 'p_no_purchase' };

export interface Scorer {
  kind: ChurnModelKind;
  /** The features it reads, a subset of CHURN_FEATURES. */
  features: ChurnFeatureName[];
  /** Each CHURN_FEATURES column's median on the training rows: which side of the typical customer a value is on. */
  medians: number[];
  gbdt?: GbdtModel;
  logistic?: LogisticModel;
}

const indexOf = (name: ChurnFeatureName) => CHURN_FEATURES.findIndex((f) => f.name === name);
const isBaseline = (kind: ChurnModelKind): kind is (typeof BASELINES)[number] => (BASELINES as readonly string[]).includes(kind);

/** The scorer's input row: its features' columns, and log(1 + value) for the recency and frequency baselines. */
function project(scorer: Pick<Scorer, 'kind' | 'features'>, row: Float64Array): Float64Array {
  const out = new Float64Array(scorer.features.length);
  scorer.features.forEach((name, j) => (out[j] = row[indexOf(name)]!));
  if (scorer.kind === 'recency' || scorer.kind === 'frequency') out[0] = Math.log1p(Math.max(0, out[0]!));
  return out;
}

function medians(rows: readonly Float64Array[]): number[] {
  return CHURN_FEATURES.map((_, j) => {
    const values = rows.map((r) => r[j]!).sort((a, b) => a - b);
    return values.length ? values[Math.floor(values.length / 2)]! : 0;
  });
}

const GBDT_OPTIONS = { trees: 300, learningRate: 0.05, earlyStopping: { share: 0.2, patience: 20 } } as const;

/** Fits `kind` on rows of every CHURN_FEATURES column; classifiers read `features` only. */
export function fitScorer(kind: ChurnModelKind, rows: readonly Float64Array[], labels: ArrayLike<number>, features: ChurnFeatureName[]): Scorer {
  const scorer: Scorer = { kind, features: isBaseline(kind) ? [BASELINE_FEATURE[kind]] : features, medians: medians(rows) };
  if (kind === 'p_no_purchase') return scorer;
  const input = rows.map((r) => project(scorer, r));
  // The GBDT boosts from the repeat-buying model's P(no purchase) when it has it: its trees learn what the other
  // features add to that probability, rather than learning it again from a base rate.
  // The number of trees is chosen on a fifth of the rows held out (early stopping), so a small brand's few thousand
  // customers get few trees rather than trees that learn their noise.
  const offset = scorer.features.indexOf('p_no_purchase');
  if (kind === 'gbdt') scorer.gbdt = fitGbdt(input, labels, { ...GBDT_OPTIONS, ...(offset >= 0 ? { offsetFeature: offset } : {}) });
  else scorer.logistic = fitLogistic(input, labels);
  return scorer;
}

/** The scorer's P(churn) for one customer's full feature row. */
export function predictScorer(scorer: Scorer, row: Float64Array): number {
  if (scorer.kind === 'p_no_purchase') return row[indexOf('p_no_purchase')]!;
  const input = project(scorer, row);
  return scorer.gbdt ? predictGbdt(scorer.gbdt, input) : predictLogistic(scorer.logistic!, input);
}

/**
 * Each CHURN_FEATURES column's push on this customer's log-odds of churning (0 for columns the scorer does not read):
 * Saabas path contributions for GBDT, weight × standardised value for logistic models, and for P(no purchase) its
 * log-odds above the training median's.
 */
export function scorerContributions(scorer: Scorer, row: Float64Array): Float64Array {
  const out = new Float64Array(CHURN_FEATURES.length);
  const quiet = indexOf('p_no_purchase');
  // The probability a model starts from counts as that feature's push, measured from the typical customer's.
  const fromOffset = () => logit(row[quiet]!) - logit(scorer.medians[quiet]!);
  if (scorer.kind === 'p_no_purchase') {
    out[quiet] = fromOffset();
    return out;
  }
  const input = project(scorer, row);
  const local = scorer.gbdt ? gbdtContributions(scorer.gbdt, input) : logisticContributions(scorer.logistic!, input);
  scorer.features.forEach((name, j) => (out[indexOf(name)] = local[j]!));
  if (scorer.gbdt?.offsetFeature !== undefined) out[quiet]! += fromOffset();
  return out;
}

/** The scorer as JSON for churn_models (typed arrays as plain arrays). */
export function serialiseScorer(scorer: Scorer): unknown {
  const plain = (a: ArrayLike<number>) => Array.from(a);
  return {
    ...scorer,
    gbdt: scorer.gbdt && { ...scorer.gbdt, trees: scorer.gbdt.trees.map((t) => ({ feature: plain(t.feature), threshold: plain(t.threshold), left: plain(t.left), right: plain(t.right), value: plain(t.value) })) },
    logistic: scorer.logistic && { ...scorer.logistic, weights: plain(scorer.logistic.weights), standardiser: { mean: plain(scorer.logistic.standardiser.mean), scale: plain(scorer.logistic.standardiser.scale) } },
  };
}

/** A scorer read back from churn_models. */
export function deserialiseScorer(json: unknown): Scorer {
  type Plain = Scorer & { gbdt?: GbdtModel & { trees: Record<string, number[]>[] }; logistic?: { weights: number[]; standardiser: { mean: number[]; scale: number[] } } };
  const s = (typeof json === 'string' ? JSON.parse(json) : json) as Plain;
  return {
    ...s,
    gbdt: s.gbdt && {
      ...s.gbdt,
      trees: s.gbdt.trees.map((t) => ({ feature: Int32Array.from(t.feature!), threshold: Float64Array.from(t.threshold!), left: Int32Array.from(t.left!), right: Int32Array.from(t.right!), value: Float64Array.from(t.value!) })),
    },
    logistic: s.logistic && {
      ...(s.logistic as unknown as LogisticModel),
      weights: Float64Array.from(s.logistic.weights),
      standardiser: { mean: Float64Array.from(s.logistic.standardiser.mean), scale: Float64Array.from(s.logistic.standardiser.scale) },
    },
  };
}
