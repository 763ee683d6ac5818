// The recommend domain's public API: product recommendations and their offline evaluation (docs/recommend.md).
export { ALGORITHMS, ALGORITHM_NAMES, chooseParams, formatParams, parseAlgorithm, splitByUser, trainAlgorithm, tune, type AlgorithmName, type Params, type TuningTrial } from './algorithms.ts';
export { buildMatrix, compareIds, readInteractionsTsv, type Interaction, type InteractionMatrix } from './data.ts';
export { DEFAULT_EASE_LAMBDA, trainEase, type EaseOptions } from './ease.ts';
export { evaluateRecommender, relevantItems } from './evaluate.ts';
export { rankingMetrics, type EvaluationInput, type RankingMetrics } from './metrics.ts';
export { recommendAll, topK, type Reason, type Recommender, type Scored } from './model.ts';
export { trainPopularity } from './popularity.ts';
export { itemSimilarity, SAR_SIMILARITIES, trainSar, type SarOptions, type SarSimilarity } from './sar.ts';
export { loadPurchases, loadTimeSplit, type PurchaseWindow } from './history.ts';
export { compareAlgorithms, type AlgorithmResult, type CompareOptions, type ComparisonReport } from './compare.ts';
export { trainRecommendations, type TrainOptions, type TrainReport } from './precompute.ts';
export { boughtTogetherFor, PERSONALIZATION_TRAIT, REASON_KINDS, recommendationsFor, similarItemsFor, type BoughtTogether, type ListOptions, type RecommendationList, type RecommendedItem, type SimilarItems } from './serve.ts';
export { loadBaskets, mineRules, type AssociationRule, type RuleOptions } from './rules.ts';
export { computeReplenishment, type ReplenishOptions, type ReplenishReport } from './replenish.ts';
export { clearMerchandisingRule, listMerchandisingRules, MERCHANDISING_ACTIONS, setMerchandisingRule, type MerchandisingAction, type MerchandisingRule } from './merchandising.ts';
export { activeExperiment, assignVariant, fnv1a, startExperiment, stopExperiment, type Experiment, type Variant } from './experiments.ts';
export { ATTRIBUTION_DAYS, CLICKED, recommendationPerformance, VIEWED, type PerformanceReport, type PerformanceRow } from './feedback.ts';
export { computePopular, POPULAR_SCOPES, popularItems, TRENDING_DAYS, TRENDING_HALF_LIFE_DAYS, type PopularList, type PopularScope } from './popular.ts';
