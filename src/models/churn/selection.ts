// Which feature groups the classifiers use, chosen on the earliest windows of the time split only (issue #22): the
// GBDT learns from features at end − 3·horizon and is checked on features at end − 2·horizon, whose labels end where
// the reported window's features begin. The reported window never takes part in the choice.
import { CHURN_FEATURES, type ChurnDataset, type ChurnFeatureName, type FeatureGroup } from './features.ts';
import { classifierMetrics } from './metrics.ts';
import { fitScorer, predictScorer } from './scorers.ts';

export interface FeatureChoice {
  features: ChurnFeatureName[];
  /** null when the data are too short for a selection window: every feature is then used. */
  evidence: {
    trainCutoff: string;
    checkCutoff: string;
    /** Validation AUC of the GBDT with every group, and without each one (the first round); `dropped`: left out in the end. */
    aucAll: number;
    aucChosen: number;
    withoutGroup: { group: FeatureGroup; auc: number; dropped: boolean }[];
  } | null;
  note: string;
}

/** Groups whose removal raises the selection window's AUC by more than this are dropped. */
const GAIN = 0.002;
const MAX_ROUNDS = 4;
/** The selection fits run on at most this many customers. */
const MAX_ROWS = 20_000;

function subsample(data: ChurnDataset): { rows: Float64Array[]; labels: Uint8Array } {
  const every = Math.max(1, Math.ceil(data.rows.length / MAX_ROWS));
  const keep = data.rows.map((_, i) => i).filter((i) => i % every === 0);
  return { rows: keep.map((i) => data.rows[i]!), labels: Uint8Array.from(keep, (i) => data.labels![i]!) };
}

const ALL = CHURN_FEATURES.map((f) => f.name) as ChurnFeatureName[];
const GROUPS = [...new Set(CHURN_FEATURES.map((f) => f.group))] as FeatureGroup[];

/**
 * Drops the feature groups that do not help, by backward elimination on the selection window's AUC. Groups that carry no information in these
 * data (all values equal, such as app activity in a file of orders) are dropped first, without a fit.
 */
export function chooseFeatures(earlier: ChurnDataset | null, later: ChurnDataset): FeatureChoice {
  const constant = GROUPS.filter((g) => CHURN_FEATURES.every((f, j) => f.group !== g || later.rows.every((r) => r[j] === later.rows[0]![j])));
  const live = ALL.filter((name) => !constant.includes(CHURN_FEATURES.find((f) => f.name === name)!.group));
  const constantNote = constant.length ? `; ${constant.join(', ')} left out: the same for every customer` : '';
  if (!earlier || earlier.rows.length < 50 || !earlier.labels) {
    return { features: live, evidence: null, note: `every feature group used: too little history before ${later.cutoff} to choose among them${constantNote}` };
  }
  const train = subsample(earlier);
  const check = subsample(later);
  const auc = (features: ChurnFeatureName[]) => {
    const scorer = fitScorer('gbdt', train.rows, train.labels, features);
    return classifierMetrics(check.rows.map((r) => predictScorer(scorer, r)), check.labels).auc;
  };
  const aucAll = auc(live);
  // Backward elimination by groups: each round leaves out the group whose absence helps most, while that helps by
  // more than GAIN; at most MAX_ROUNDS rounds, and at least one group stays.
  const groupOf = (name: ChurnFeatureName) => CHURN_FEATURES.find((f) => f.name === name)!.group;
  let kept = live;
  let current = aucAll;
  const withoutGroup: { group: FeatureGroup; auc: number; dropped: boolean }[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const groups = [...new Set(kept.map(groupOf))];
    if (groups.length <= 1) break;
    const trials = groups.map((group) => ({ group, auc: auc(kept.filter((name) => groupOf(name) !== group)), dropped: false }));
    if (round === 0) withoutGroup.push(...trials);
    const best = trials.sort((a, b) => b.auc - a.auc)[0]!;
    if (best.auc <= current + GAIN) break;
    kept = kept.filter((name) => groupOf(name) !== best.group);
    current = best.auc;
    const entry = withoutGroup.find((g) => g.group === best.group);
    if (entry) entry.dropped = true;
  }
  const dropped = withoutGroup.filter((g) => g.dropped).map((g) => g.group);
  const features = kept;
  const note = dropped.length
    ? `${dropped.join(', ')} left out: without them the GBDT ranked the ${later.cutoff} window better (AUC ${current.toFixed(3)}, against ${aucAll.toFixed(3)} with every group)${constantNote}`
    : `every feature group kept: leaving any one out did not rank the ${later.cutoff} window better (AUC ${aucAll.toFixed(3)})${constantNote}`;
  return { features, evidence: { trainCutoff: earlier.cutoff, checkCutoff: later.cutoff, aucAll, aucChosen: current, withoutGroup }, note };
}
