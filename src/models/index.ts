// The models domain's public API: the CLV models and their store pipeline (docs/models.md).
export { fitBgNbd, bgNbdLogLikelihood, bgNbdExpected, bgNbdConditionalExpected, bgNbdProbabilityAlive, bgNbdProbabilityOfPurchases, type BgNbdParams } from './clv/bg-nbd.ts';
export { fitMbgNbd, mbgNbdLogLikelihood, mbgNbdExpected, mbgNbdConditionalExpected, mbgNbdProbabilityAlive, mbgNbdProbabilityOfPurchases } from './clv/mbg-nbd.ts';
export { fitParetoNbd, paretoNbdLogLikelihood, paretoNbdExpected, paretoNbdConditionalExpected, paretoNbdProbabilityAlive, paretoNbdProbabilityOfPurchases, type ParetoNbdParams } from './clv/pareto-nbd.ts';
export { fitBgBb, bgBbLogLikelihood, bgBbExpected, bgBbConditionalExpected, bgBbProbabilityAlive, bgBbProbabilityOfPurchases, type BgBbParams } from './clv/bg-bb.ts';
export { fitGammaGamma, gammaGammaLogLikelihood, gammaGammaConditionalSpend, type GammaGammaParams } from './clv/gamma-gamma.ts';
export { groupSummaries, type RepeatSummary } from './clv/summary.ts';
export { discountedValue, TIME_UNITS_PER_MONTH, type TimeUnit } from './clv/value.ts';
export { FREQUENCY_MODELS, FREQUENCY, probabilityNoPurchase, type FrequencyModelName } from './clv/frequency.ts';
export {
  bgBbProbabilityNoPurchase,
  bgNbdConditionalProbabilityOfPurchases,
  bgNbdProbabilityNoPurchase,
  paretoNbdConditionalProbabilityOfPurchases,
  paretoNbdProbabilityNoPurchase,
  bgBbConditionalProbabilityOfPurchases,
} from './clv/no-purchase.ts';
export { AUTO_CANDIDATES, selectFrequencyModel, type CandidateEvidence, type ModelSelection, type SelectModelOptions } from './clv/select.ts';
export { fitClv, scoreClv, type ClvFitReport, type ClvScoreReport, type FitClvOptions, type ScoreClvOptions } from './clv/pipeline.ts';
export { evaluateClv, type ClvEvaluation, type EvaluateClvOptions } from './clv/evaluate.ts';
export type { FitResult } from './clv/fit.ts';
export { dot, invertSpd } from './math/linalg.ts';
export { integrate } from './math/quadrature.ts';
export { CHURN_FEATURES, churnDataset, type ChurnDataset, type ChurnFeatureName } from './churn/features.ts';
export { fitGbdt, gbdtContributions, predictGbdt, type GbdtModel, type GbdtOptions } from './churn/gbdt.ts';
export { fitLogistic, logisticContributions, predictLogistic, type LogisticModel } from './churn/logistic.ts';
export { classifierMetrics, type ClassifierMetrics } from './churn/metrics.ts';
export { evaluateChurn, trainChurn, type ChurnEvaluation, type ChurnTrainReport } from './churn/pipeline.ts';
export { BASELINES, CLASSIFIERS, fitScorer, predictScorer, scorerContributions, type ChurnModelKind, type Scorer } from './churn/scorers.ts';
export { chooseFeatures, type FeatureChoice } from './churn/selection.ts';
export { churnReasons, churnWarnings, scoreChurn, type ChurnReason, type ChurnScoreReport, type ChurnWarning } from './churn/score.ts';
export { churnSummary, clvSummary, type Bin, type ChurnSummary, type ClvSummary, type StoredFitSummary } from './summaries.ts';
