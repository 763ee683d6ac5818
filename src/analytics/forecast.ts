// The CLV model's forecast of the LTV cohort cells not yet observed (docs/analytics.md, "LTV cohorts"). Per
// customer: expected purchases from the data's last day to a month's end under the latest fit, times her expected
// spend per purchase; summed per cohort. Customers who share (x, T) share their purchase curve, so the engine groups
// them and JavaScript evaluates each curve once per (x, T) and horizon.
import {
  bgNbdConditionalExpected,
  bgNbdProbabilityAlive,
  mbgNbdConditionalExpected,
  mbgNbdProbabilityAlive,
  paretoNbdConditionalExpected,
  paretoNbdProbabilityAlive,
  TIME_UNITS_PER_MONTH,
  type BgNbdParams,
  type ParetoNbdParams,
  type TimeUnit,
} from '../models/index.ts';
import type { Queryable } from '../store/index.ts';
import { periodIndex, periodEnd } from './cohort-sql.ts';
import { addDays, daysBetween } from './period.ts';

/** The fit a forecast came from. */
export interface ForecastFit {
  fitId: string;
  model: string;
  timeUnit: TimeUnit;
  /** The calibration end: the histories' T is counted to this day. */
  calibrationEnd: string;
}

export type Forecast = { fit: ForecastFit; expectedFen: Map<string, number> } | { fit: null; reason: string };

/** E[Y(t) | alive, x, T] = E[Y(t) | x, tx, T] ÷ P(alive | x, tx, T), which does not depend on tx (docs/models.md). */
type Curve = (t: number, x: number, T: number) => number;

function curveOf(model: string, params: Record<string, number>): Curve | null {
  const bg = params as unknown as BgNbdParams;
  const pareto = params as unknown as ParetoNbdParams;
  const ifAlive = (expected: (t: number, x: number, tx: number, T: number) => number, alive: (x: number, tx: number, T: number) => number): Curve => (t, x, T) => {
    const tx = x > 0 ? T : 0;
    return expected(t, x, tx, T) / alive(x, tx, T);
  };
  if (model === 'bgnbd') return ifAlive((t, x, tx, T) => bgNbdConditionalExpected(bg, t, x, tx, T), (x, tx, T) => bgNbdProbabilityAlive(bg, x, tx, T));
  if (model === 'mbgnbd') return ifAlive((t, x, tx, T) => mbgNbdConditionalExpected(bg, t, x, tx, T), (x, tx, T) => mbgNbdProbabilityAlive(bg, x, tx, T));
  if (model === 'paretonbd') return ifAlive((t, x, tx, T) => paretoNbdConditionalExpected(pareto, t, x, tx, T), (x, tx, T) => paretoNbdProbabilityAlive(pareto, x, tx, T));
  return null; // BG/BB counts discrete periods, which do not line up with calendar months
}

// Forecasts are pure functions of the scoring run, the last data day and the cells asked for: the console asks for
// the same table again and again between two scorings, so the few most recent are kept.
const cache = new Map<string, Forecast>();
const CACHE_SIZE = 8;

/**
 * The expected revenue in fen, per cohort month index and months since (key `ci:k`), that the cohorts' customers add
 * from the day after `dataEnd` to the end of each month from `dataEnd`'s month to the cohort's `lastK`-th.
 */
export async function forecastCohorts(db: Queryable, cohorts: { ci: number; lastK: number }[], dataEnd: string): Promise<Forecast> {
  const [run] = await db.query<{ run_id: string; fit_id: string; model: string; time_unit: TimeUnit; calibration_end: string; params: Record<string, number> | string }>(
    `SELECT r.run_id, r.fit_id, f.model, f.time_unit, CAST(f.calibration_end AS VARCHAR) AS calibration_end, f.params
     FROM clv_runs r JOIN model_fits f ON f.fit_id = r.fit_id ORDER BY r.scored_at DESC LIMIT 1`,
  );
  if (!run) return { fit: null, reason: 'no CLV scores: run `siyu clv fit` and `siyu clv score` for the forecast cells' };
  const params = typeof run.params === 'string' ? (JSON.parse(run.params) as Record<string, number>) : run.params;
  const curve = curveOf(run.model, params);
  if (!curve) return { fit: null, reason: `the latest CLV fit is ${run.model}, whose discrete periods do not map onto calendar months; fit bgnbd, mbgnbd or paretonbd for the forecast` };
  const key = `${run.run_id}|${dataEnd}|${cohorts.map((c) => `${c.ci}:${c.lastK}`).join(',')}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const [held] = await db.query(`SELECT 1 AS found FROM clv_histories WHERE fit_id = $1 LIMIT 1`, [run.fit_id]);
  if (!held) return { fit: null, reason: `clv_histories no longer hold the histories of fit ${run.fit_id} (a later fit replaced them); run \`siyu clv score\` again` };

  // Σ P(alive) · E[M] over the customers sharing (x, T); age_days is T in days (continuous models).
  const groups = await db.queryColumns(
    `SELECT h.x, h.age_days, sum(s.p_alive * s.expected_aov_fen) AS w FROM clv_histories h JOIN clv_scores s ON s.customer_id = h.customer_id GROUP BY h.x, h.age_days`,
  );
  const daysPerUnit = 365.25 / 12 / TIME_UNITS_PER_MONTH[run.time_unit];
  const wanted = new Map(cohorts.map((c) => [c.ci, c.lastK]));
  const endIndex = periodIndex('month', dataEnd);
  const t0Days = Math.max(0, daysBetween(run.calibration_end, dataEnd));
  const expectedFen = new Map<string, number>();
  const xs = groups.x ?? [];
  for (let i = 0; i < xs.length; i++) {
    const x = Number(xs[i]);
    const ageDays = Number(groups.age_days![i]);
    const w = Number(groups.w![i]);
    const ci = periodIndex('month', addDays(run.calibration_end, -ageDays));
    const lastK = wanted.get(ci);
    if (lastK === undefined || !(w > 0)) continue;
    const T = ageDays / daysPerUnit;
    const before = t0Days > 0 ? curve(t0Days / daysPerUnit, x, T) : 0;
    for (let k = Math.max(0, endIndex - ci); k <= lastK; k++) {
      // Purchases in (calibration end, last day of month ci + k], less those up to the last data day.
      const tDays = daysBetween(run.calibration_end, addDays(periodEnd('month', ci + k), -1));
      const add = w * (curve(tDays / daysPerUnit, x, T) - before);
      const cell = `${ci}:${k}`;
      expectedFen.set(cell, (expectedFen.get(cell) ?? 0) + add);
    }
  }
  const forecast: Forecast = { fit: { fitId: run.fit_id, model: run.model, timeUnit: run.time_unit, calibrationEnd: run.calibration_end }, expectedFen };
  cache.set(key, forecast);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return forecast;
}
