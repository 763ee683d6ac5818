import { SiyuError } from '../../core/errors.ts';
import type { Queryable, Store } from '../../store/index.ts';
import { FREQUENCY, type FrequencyModelName } from '../clv/frequency.ts';
import { CHURN_FEATURES, churnDataset, moneySymbol, type ReasonContext } from './features.ts';
import { resolveEnd } from './pipeline.ts';
import { deserialiseScorer, predictScorer, scorerContributions, type Scorer } from './scorers.ts';

export interface ChurnReason {
  feature: string;
  value: number;
  /** Added log-odds of churning. */
  contribution: number;
  zh: string;
  en: string;
}

/**
 * The top `k` features pushing this customer toward churning, strongest first. A feature is a reason only when it
 * adds to her risk and her value is on the side its sentence calls risky (above the training median for "high",
 * below it for "low"): a tree can credit a split to a feature whose value is ordinary, and "only 40 purchase days"
 * said of a customer with more than most would be false.
 */
export function churnReasons(scorer: Scorer, row: Float64Array, context: ReasonContext, k = 3): ChurnReason[] {
  const contributions = scorerContributions(scorer, row);
  return CHURN_FEATURES.map((f, j) => ({ f, j, value: row[j]!, contribution: contributions[j]! }))
    .filter(({ f, j, value, contribution }) => contribution > 0 && (f.risky === 'high' ? value > scorer.medians[j]! : value < scorer.medians[j]!))
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, k)
    .map(({ f, value, contribution }) => ({ feature: f.name, value, contribution, zh: f.zh(value, context), en: f.en(value, context) }));
}

export interface ChurnScoreReport {
  modelId: string;
  kind: string;
  asOf: string;
  horizonDays: number;
  customers: number;
  meanRisk: number;
  atRisk: number;
}

/**
 * Scores every customer with purchase history as of `asOf` (default: the latest order day) with the latest churn
 * model and replaces churn_scores in one transaction: risk, P(no purchase in the horizon) and P(alive) from the
 * model's repeat-buying model (P(alive) for comparison only), value (the CLV score
 * when there is one, else the last year's spend), priority = risk × value, and the top 3 reasons.
 */
export async function scoreChurn(store: Store, options: { asOf?: string; threshold?: number } = {}): Promise<ChurnScoreReport> {
  const [stored] = await store.query<{ model_id: string; kind: string; model: unknown; horizon_days: number }>('SELECT model_id, kind, model, horizon_days FROM churn_models ORDER BY trained_at DESC LIMIT 1');
  if (!stored) throw new SiyuError('not_found', 'no_churn_model', 'no churn model yet: run `siyu churn train` first');
  const json = (typeof stored.model === 'string' ? JSON.parse(stored.model) : stored.model) as { medians?: number[]; frequencyModel?: FrequencyModelName };
  if (!json.medians || !json.frequencyModel) throw new SiyuError('validation', 'churn_model_outdated', `churn model ${stored.model_id} was trained by an earlier version; run \`siyu churn train\` again`);
  const scorer = deserialiseScorer(json);
  const horizonDays = Number(stored.horizon_days);
  const asOf = await resolveEnd(store, options.asOf);
  const data = await churnDataset(store, asOf, { horizonDays, frequencyModel: json.frequencyModel });
  const context: ReasonContext = { horizonDays, model: FREQUENCY[json.frequencyModel].label.split(' (')[0]!, money: moneySymbol(data.currency) };
  const clv = new Map((await store.query<{ customer_id: string; clv_12m_fen: number }>('SELECT customer_id, clv_12m_fen FROM clv_scores')).map((r) => [r.customer_id, Number(r.clv_12m_fen)]));
  const spend = CHURN_FEATURES.findIndex((f) => f.name === 'spend_365d');
  const quiet = CHURN_FEATURES.findIndex((f) => f.name === 'p_no_purchase');
  const scoredAt = new Date();
  const threshold = options.threshold ?? 0.5;
  let total = 0;
  let atRisk = 0;
  const rows = data.rows.map((row, i) => {
    const risk = predictScorer(scorer, row);
    const id = data.customerIds[i]!;
    const valueFen = Math.round(clv.get(id) ?? row[spend]! * 100);
    total += risk;
    if (risk >= threshold) atRisk++;
    const reasons = churnReasons(scorer, row, context);
    return [id, risk, data.pAlive[i]!, row[quiet]!, horizonDays, valueFen, (risk * valueFen) / 100, JSON.stringify(reasons), stored.model_id, asOf, scoredAt];
  });
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM churn_scores');
    await tx.appendRows('churn_scores', ['customer_id', 'risk', 'p_alive', 'p_no_purchase', 'horizon_days', 'value_fen', 'priority', 'reasons', 'model_id', 'as_of', 'scored_at'], rows);
  });
  return { modelId: stored.model_id, kind: stored.kind, asOf, horizonDays, customers: rows.length, meanRisk: total / Math.max(1, rows.length), atRisk };
}

export interface ChurnWarning {
  customerId: string;
  risk: number;
  /** P(no purchase in the churn model's horizon) from its repeat-buying model. */
  pNoPurchase: number;
  horizonDays: number;
  /** P(alive) from the same model: 1 for every customer without a repeat purchase under BG/NBD, so never a churn score. */
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
  const rows = await db.query<{ customer_id: string; risk: number; p_no_purchase: number | null; horizon_days: number | null; p_alive: number; value_fen: number; priority: number; reasons: unknown; as_of: string }>(
    `SELECT customer_id, risk, p_no_purchase, horizon_days, p_alive, value_fen, priority, reasons, as_of FROM churn_scores WHERE risk >= $1 ORDER BY priority DESC, customer_id LIMIT ${n}`,
    [minRisk],
  );
  return {
    asOf: rows[0]?.as_of ?? null,
    warnings: rows.map((r) => ({
      customerId: r.customer_id,
      risk: Number(r.risk),
      pNoPurchase: Number(r.p_no_purchase ?? NaN),
      horizonDays: Number(r.horizon_days ?? 0),
      pAlive: Number(r.p_alive),
      valueFen: Number(r.value_fen),
      priority: Number(r.priority),
      reasons: (typeof r.reasons === 'string' ? JSON.parse(r.reasons) : r.reasons) as ChurnReason[],
    })),
  };
}
