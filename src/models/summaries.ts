import type { Queryable } from '../store/index.ts';
import type { ChurnEvaluation } from './churn/pipeline.ts';

// What the models hold now, read from the tables their runs wrote (model_fits, clv_runs, clv_scores, churn_models,
// churn_scores), for the console and scripts. Nothing is fitted or scored here.

const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

export interface StoredFitSummary {
  fitId: string;
  model: string;
  timeUnit: string;
  calibrationEnd: string;
  params: Record<string, number>;
  standardErrors: Record<string, number> | null;
  logLikelihood: number;
  customers: number;
  excluded: number;
  converged: boolean;
  fittedAt: Date;
}

/** A histogram bin: values in [from, to) (the last bin includes its upper edge) and how many customers. */
export interface Bin {
  from: number;
  to: number;
  customers: number;
}

export interface ClvSummary {
  /** The latest scoring run: model, horizon, discount rate, as-of day; null before `siyu clv score`. */
  run: { model: string; fitId: string; spendFitId: string | null; currency: string; asOf: string; horizonMonths: number; monthlyDiscountRate: number; customers: number; scoredAt: Date } | null;
  /** The fits behind the run (frequency, then spend), or the latest fits when nothing was scored yet. */
  fits: StoredFitSummary[];
  /** P(alive) of every scored customer in 10 bins of 0.1. */
  pAlive: Bin[];
  /** Predicted 12-month CLV (fen) by decile of customers: the lowest and highest value and the total in each tenth. */
  clvDeciles: { decile: number; minFen: number; maxFen: number; totalFen: number; customers: number }[];
  totals: { customers: number; clv12mFen: number; expectedOrders90d: number };
}

/** The CLV models as they stand: the scoring run, its fits, and the distributions of P(alive) and CLV. */
export async function clvSummary(db: Queryable): Promise<ClvSummary> {
  const [run] = await db.query<{ run_id: string; model: string; fit_id: string; spend_fit_id: string | null; currency: string; as_of: string; horizon_months: number; monthly_discount_rate: number; customers: number; scored_at: Date }>(
    'SELECT * FROM clv_runs ORDER BY scored_at DESC LIMIT 1',
  );
  const fitRows = await db.query<{ fit_id: string; model: string; time_unit: string; calibration_end: string; params: unknown; standard_errors: unknown; log_likelihood: number; customers: number; excluded: number; converged: boolean; fitted_at: Date }>(
    run
      ? 'SELECT * FROM model_fits WHERE fit_id IN ($1, $2) ORDER BY model = \'gammagamma\', fitted_at DESC'
      : "SELECT * FROM model_fits f WHERE fitted_at = (SELECT max(g.fitted_at) FROM model_fits g WHERE (g.model = 'gammagamma') = (f.model = 'gammagamma')) ORDER BY model = 'gammagamma'",
    run ? [run.fit_id, run.spend_fit_id ?? run.fit_id] : [],
  );
  const bins = await db.query<{ bin: number; n: number }>('SELECT LEAST(9, CAST(floor(p_alive * 10) AS INTEGER)) AS bin, count(*) AS n FROM clv_scores GROUP BY 1 ORDER BY 1');
  const deciles = await db.query<{ decile: number; min_fen: number; max_fen: number; total_fen: number; n: number }>(
    `SELECT decile, min(clv_12m_fen) AS min_fen, max(clv_12m_fen) AS max_fen, sum(clv_12m_fen) AS total_fen, count(*) AS n
     FROM (SELECT clv_12m_fen, ntile(10) OVER (ORDER BY clv_12m_fen, customer_id) AS decile FROM clv_scores) d GROUP BY decile ORDER BY decile`,
  );
  const [totals] = await db.query<{ n: number; clv: number | null; orders: number | null }>('SELECT count(*) AS n, sum(clv_12m_fen) AS clv, sum(expected_orders_90d) AS orders FROM clv_scores');
  return {
    run: run
      ? {
          model: run.model,
          fitId: run.fit_id,
          spendFitId: run.spend_fit_id,
          currency: run.currency,
          asOf: run.as_of,
          horizonMonths: Number(run.horizon_months),
          monthlyDiscountRate: Number(run.monthly_discount_rate),
          customers: Number(run.customers),
          scoredAt: run.scored_at,
        }
      : null,
    fits: fitRows.map((f) => ({
      fitId: f.fit_id,
      model: f.model,
      timeUnit: f.time_unit,
      calibrationEnd: f.calibration_end,
      params: json<Record<string, number>>(f.params),
      standardErrors: f.standard_errors === null ? null : json<Record<string, number>>(f.standard_errors),
      logLikelihood: Number(f.log_likelihood),
      customers: Number(f.customers),
      excluded: Number(f.excluded),
      converged: Boolean(f.converged),
      fittedAt: f.fitted_at,
    })),
    pAlive: Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, customers: Number(bins.find((b) => Number(b.bin) === i)?.n ?? 0) })),
    clvDeciles: deciles.map((d) => ({ decile: Number(d.decile), minFen: Number(d.min_fen), maxFen: Number(d.max_fen), totalFen: Number(d.total_fen), customers: Number(d.n) })),
    totals: { customers: Number(totals?.n ?? 0), clv12mFen: Number(totals?.clv ?? 0), expectedOrders90d: Number(totals?.orders ?? 0) },
  };
}

export interface ChurnSummary {
  /** The deployed classifier with the time-split evaluation it passed; null before `siyu churn train`. */
  model: { modelId: string; kind: string; cutoff: string; horizonDays: number; trainedAt: Date; evaluation: ChurnEvaluation } | null;
  /** When the scores were taken and how many customers have one. */
  asOf: string | null;
  customers: number;
  /** Risk of every scored customer in 10 bins of 0.1. */
  risk: Bin[];
}

/** The churn model as it stands: its evaluation and the distribution of risk over the scored customers. */
export async function churnSummary(db: Queryable): Promise<ChurnSummary> {
  const [model] = await db.query<{ model_id: string; kind: string; cutoff: string; horizon_days: number; trained_at: Date; evaluation: unknown }>(
    'SELECT model_id, kind, cutoff, horizon_days, trained_at, evaluation FROM churn_models ORDER BY trained_at DESC LIMIT 1',
  );
  const bins = await db.query<{ bin: number; n: number; as_of: string }>('SELECT LEAST(9, CAST(floor(risk * 10) AS INTEGER)) AS bin, count(*) AS n, max(as_of) AS as_of FROM churn_scores GROUP BY 1 ORDER BY 1');
  return {
    model: model ? { modelId: model.model_id, kind: model.kind, cutoff: model.cutoff, horizonDays: Number(model.horizon_days), trainedAt: model.trained_at, evaluation: json<ChurnEvaluation>(model.evaluation) } : null,
    asOf: bins.map((b) => b.as_of).sort().at(-1) ?? null,
    customers: bins.reduce((s, b) => s + Number(b.n), 0),
    risk: Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, customers: Number(bins.find((b) => Number(b.bin) === i)?.n ?? 0) })),
  };
}
