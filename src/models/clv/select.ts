// Choosing the repeat-buying model by the data (`siyu clv fit --model auto`, issue #22): each candidate is fitted on
// a calibration period and judged on the holdout that follows by the log-likelihood of what every customer really
// bought there, Σ ln P(Y(h) = yᵢ | xᵢ, txᵢ, Tᵢ) (no-purchase.ts), with the weekly tracking error beside it.
import { SiyuError } from '../../core/errors.ts';
import { parseDay } from '../../core/validation.ts';
import { latestOrderDay, type Queryable } from '../../store/index.ts';
import { FREQUENCY, type FrequencyModelName } from './frequency.ts';
import { historyQuery, holdoutWeeklyPurchases, numberColumn } from './history.ts';
import { groupPairs, groupRows, type RepeatSummary } from './summary.ts';
import { DAYS_PER_UNIT, type TimeUnit } from './value.ts';

/**
 * The models `auto` chooses among. BG/BB is left out: its histories count purchase periods, not purchase days, so
 * its holdout likelihood is over other data and cannot be compared with theirs.
 */
export const AUTO_CANDIDATES: readonly FrequencyModelName[] = ['bgnbd', 'mbgnbd', 'paretonbd'];

export interface CandidateEvidence {
  model: FrequencyModelName;
  params: Record<string, number>;
  converged: boolean;
  calibrationLogLikelihood: number;
  /** Σ ln P(Y = y | history) over the holdout customers: higher is better. */
  holdoutLogLikelihood: number;
  /** Holdout purchase days: predicted (Σ E[Y | history]) and actual. */
  predictedHoldout: number;
  actualHoldout: number;
  /** Mean |predicted − actual| of the cumulative weekly holdout purchases, as a share of the actual total. */
  trackingError: number;
}

export interface ModelSelection {
  chosen: FrequencyModelName;
  /** One sentence: why this model. */
  reason: string;
  calibrationEnd: string;
  holdoutEnd: string;
  holdoutDays: number;
  timeUnit: TimeUnit;
  customers: number;
  candidates: CandidateEvidence[];
}

export interface SelectModelOptions {
  timeUnit: TimeUnit;
  /** The last day of the data judged on (default: the latest order day). */
  end?: string;
  /** The holdout's length; default: 90 days, or a third of the data's span when that is shorter. */
  holdoutDays?: number;
  candidates?: readonly FrequencyModelName[];
}

const DAY_MS = 86_400_000;
/** Holdout log-likelihoods closer than this are a tie. */
const TIE = 0.5;
const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

async function holdoutWindow(db: Queryable, options: SelectModelOptions): Promise<{ end: string; holdoutDays: number }> {
  const end = options.end ?? (await latestOrderDay(db));
  if (!end) throw new SiyuError('not_found', 'no_orders', 'the store has no orders; import orders first');
  parseDay(end, 'end');
  if (options.holdoutDays !== undefined) return { end, holdoutDays: options.holdoutDays };
  const [first] = await db.query<{ first: string | Date | null }>('SELECT min(placed_at) AS first FROM orders');
  const spanDays = first?.first ? Math.floor((Date.parse(`${end}T23:59:59Z`) - new Date(first.first).getTime()) / DAY_MS) : 0;
  const holdoutDays = Math.min(90, Math.floor(spanDays / 3));
  if (holdoutDays < 14) throw new SiyuError('validation', 'too_little_history', `the orders span ${spanDays} days; choosing a model needs at least 42 (a holdout of 14 after a calibration twice as long): pass --model`);
  return { end, holdoutDays };
}

/**
 * Fits every candidate on the purchases to end − holdout and scores each on the holdout (see the file comment). The
 * model with the highest holdout log-likelihood among those whose fit converged is chosen; the evidence is returned
 * for the fit record. Reads the store only.
 */
export async function selectFrequencyModel(db: Queryable, options: SelectModelOptions): Promise<ModelSelection> {
  const { end, holdoutDays } = await holdoutWindow(db, options);
  const calibrationEnd = addDays(end, -holdoutDays);
  const query = await historyQuery(db, { calibrationEnd, holdoutEnd: end, timeUnit: options.timeUnit });
  const scale = DAYS_PER_UNIT[options.timeUnit];
  const grouped = await db.queryColumns(
    `SELECT x, recency_days, age_days, holdout, CAST(count(*) AS DOUBLE PRECISION) AS weight FROM (${query.sql}) AS h WHERE age_days > 0 GROUP BY x, recency_days, age_days, holdout`,
    query.params,
  );
  const rows = { x: numberColumn(grouped.x), tx: numberColumn(grouped.recency_days, scale), T: numberColumn(grouped.age_days, scale), y: numberColumn(grouped.holdout), weight: numberColumn(grouped.weight) };
  if (rows.x.length === 0) throw new SiyuError('validation', 'nothing_to_fit', `no customer bought before ${calibrationEnd}; choosing a model needs history before the holdout`);
  const { first, groupOf } = groupRows([...rows.x.keys()], rows.x, rows.tx, rows.T);
  const summary: RepeatSummary = { x: Float64Array.from(first, (i) => rows.x[i]!), tx: Float64Array.from(first, (i) => rows.tx[i]!), T: Float64Array.from(first, (i) => rows.T[i]!), weight: new Float64Array(first.length) };
  groupOf.forEach((g, i) => (summary.weight[g]! += rows.weight[i]!));
  const actualWeekly = await holdoutWeeklyPurchases(db, query.currency, query.timezone, calibrationEnd, end);
  const candidates = (options.candidates ?? AUTO_CANDIDATES).map((model) => judge(model, summary, rows, actualWeekly, holdoutDays / scale, scale));
  // Likelihoods within TIE of each other are a tie, won by the candidate listed first (the cheaper model to score):
  // on data where no customer seems to leave, every model collapses to the same NBD and only rounding differs.
  const order = (c: CandidateEvidence) => candidates.indexOf(c);
  const usable = candidates
    .filter((c) => c.converged && Number.isFinite(c.holdoutLogLikelihood))
    .sort((a, b) => (Math.abs(a.holdoutLogLikelihood - b.holdoutLogLikelihood) < TIE ? order(a) - order(b) : b.holdoutLogLikelihood - a.holdoutLogLikelihood));
  if (usable.length === 0) throw new SiyuError('validation', 'no_model_converged', `no candidate model converged on the purchases to ${calibrationEnd}: pass --model and --penalizer`);
  const best = usable[0]!;
  const customers = rows.weight.reduce((s, w) => s + w, 0);
  return { chosen: best.model, reason: explain(best, usable, customers), calibrationEnd, holdoutEnd: end, holdoutDays, timeUnit: options.timeUnit, customers, candidates };
}

function explain(best: CandidateEvidence, usable: CandidateEvidence[], customers: number): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const next = usable[1];
  const gap = next ? best.holdoutLogLikelihood - next.holdoutLogLikelihood : 0;
  const margin = !next ? '' : Math.abs(gap) < TIE ? `, tied with ${next.model}, which is listed later` : `, ${gap.toFixed(1)} above ${next.model} (${(gap / customers).toFixed(4)} per customer)`;
  // A tracking error lower by less than a tenth of a percentage point is no difference worth a sentence.
  const bestTracking = [...usable].sort((a, b) => a.trackingError - b.trackingError)[0]!;
  const tracking =
    bestTracking === best || bestTracking.trackingError > best.trackingError - 0.001
      ? `its weekly tracking error is ${pct(best.trackingError)}, as low as any`
      : `${bestTracking.model} tracks the weekly purchases more closely (${pct(bestTracking.trackingError)} against ${pct(best.trackingError)}), but predicts individual customers less well`;
  return `${best.model} gives the customers' holdout purchases the highest likelihood (${best.holdoutLogLikelihood.toFixed(1)}${margin}); ${tracking}`;
}

/** Fits `model` on the calibration summary and scores it on each distinct (x, tx, T, holdout) row. */
function judge(
  model: FrequencyModelName,
  summary: RepeatSummary,
  rows: { x: Float64Array; tx: Float64Array; T: Float64Array; y: Float64Array; weight: Float64Array },
  actualWeekly: number[],
  holdout: number,
  scale: number,
): CandidateEvidence {
  const m = FREQUENCY[model];
  const fit = m.fit(summary);
  const params = fit.params as Record<string, number>;
  // P(Y = y | active) depends on (x, T, y) only; P(active) on (x, tx, T): each is computed once per distinct value.
  const ifActive = new Map<string, number>();
  let holdoutLogLikelihood = 0;
  let actualHoldout = 0;
  for (let i = 0; i < rows.x.length; i++) {
    const [x, tx, T, y, w] = [rows.x[i]!, rows.tx[i]!, rows.T[i]!, rows.y[i]!, rows.weight[i]!];
    const key = `${x}|${T}|${y}`;
    let q = ifActive.get(key);
    if (q === undefined) ifActive.set(key, (q = m.purchasesIfActive(params, holdout, y, x, T)));
    const active = m.probabilityActive(params, x, tx, T);
    const py = (y === 0 ? 1 - active : 0) + active * q;
    holdoutLogLikelihood += w * Math.log(Math.max(py, 1e-300));
    actualHoldout += w * y;
  }
  // Weekly tracking: Σ P(active)·E[Y(t) | active] over customers, per (x, T) curve.
  const pairs = groupPairs(rows.x, rows.T);
  const activeWeight = new Float64Array(pairs.first.length);
  for (let i = 0; i < rows.x.length; i++) activeWeight[pairs.groupOf[i]!]! += rows.weight[i]! * m.probabilityActive(params, rows.x[i]!, rows.tx[i]!, rows.T[i]!);
  let cumulative = 0;
  let trackingSum = 0;
  const predictedWeekly = actualWeekly.map((_, k) => {
    const t = Math.min(((k + 1) * 7) / scale, holdout);
    let total = 0;
    pairs.first.forEach((i, g) => (total += activeWeight[g]! * m.expectedIfAlive(params, t, rows.x[i]!, rows.T[i]!)));
    return total;
  });
  actualWeekly.forEach((n, k) => {
    cumulative += n;
    trackingSum += Math.abs(predictedWeekly[k]! - cumulative);
  });
  return {
    model,
    params,
    converged: fit.converged,
    calibrationLogLikelihood: fit.logLikelihood,
    holdoutLogLikelihood,
    predictedHoldout: predictedWeekly.at(-1) ?? 0,
    actualHoldout,
    trackingError: actualHoldout > 0 ? trackingSum / actualWeekly.length / actualHoldout : 0,
  };
}
