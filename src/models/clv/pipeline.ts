import { randomUUID } from 'node:crypto';
import { SiyuError } from '../../core/errors.ts';
import type { Store } from '../../store/index.ts';
import type { FitOptions, FitResult } from './fit.ts';
import { FREQUENCY, type FrequencyModelName } from './frequency.ts';
import { fitGammaGamma, gammaGammaSpendLine, type GammaGammaParams } from './gamma-gamma.ts';
import { historyCurrency, numberColumn, saveHistories, storedTimeScale, type HistoryOptions } from './history.ts';
import { selectFrequencyModel, type ModelSelection } from './select.ts';
import { groupPairs, groupRows, invalidReason, type RepeatSummary } from './summary.ts';
import { DAYS_PER_UNIT, discountedValue, type TimeUnit } from './value.ts';

export interface ExcludedCustomer {
  customerId: string;
  model: string;
  reason: string;
}

export interface ClvFitReport {
  /** null when only Gamma-Gamma was asked for (`--model gammagamma`). */
  frequency: (FitResult<string> & { model: FrequencyModelName; fitId: string }) | null;
  spend: (FitResult<string> & { model: 'gammagamma'; fitId: string }) | null;
  calibrationEnd: string;
  timeUnit: TimeUnit;
  currency: string;
  customers: number;
  excluded: ExcludedCustomer[];
  /** With `model: 'auto'`: the candidates' holdout evidence and why the fitted model was chosen. */
  selection: ModelSelection | null;
}

export interface FitClvOptions extends HistoryOptions, FitOptions {
  /**
   * A frequency model (fitted with Gamma-Gamma); auto: the one whose holdout forecast is best (select.ts), then
   * fitted on everything to the calibration end; or gammagamma alone: refits spend, keeping the frequency fits.
   */
  model: FrequencyModelName | 'gammagamma' | 'auto';
  /** For auto: the holdout's length in days (default: 90, or a third of the data's span when shorter). */
  holdoutDays?: number;
}

/**
 * Fits a frequency model on every buyer's history and Gamma-Gamma on the repeat buyers' spend, and records both fits
 * in model_fits, with the histories they were made on in clv_histories, in one transaction. The engine builds the
 * histories and groups identical (x, tx, T) rows, so only the distinct rows reach JavaScript. Customers a model cannot
 * use (a first purchase on the calibration end, no positive spend) are excluded and listed with the reason. A fit
 * that does not converge is recorded as such; scoring refuses it.
 */
export async function fitClv(store: Store, options: FitClvOptions): Promise<ClvFitReport> {
  const selection = options.model === 'auto' ? await selectFrequencyModel(store, { timeUnit: options.timeUnit, end: options.calibrationEnd, holdoutDays: options.holdoutDays }) : null;
  const model = options.model === 'gammagamma' ? null : FREQUENCY[selection ? selection.chosen : (options.model as FrequencyModelName)];
  const historyOptions = { ...options, discrete: model?.discrete ?? false };
  const scale = storedTimeScale(historyOptions);
  const fitIds = { frequency: randomUUID(), spend: randomUUID() };
  const fitOptions = { penalizer: options.penalizer };
  return store.transaction(async (tx) => {
    const context = await saveHistories(tx, historyOptions, model ? fitIds.frequency : fitIds.spend);
    const [{ n } = { n: 0 }] = await tx.query<{ n: number }>('SELECT count(*) AS n FROM clv_histories');
    const grouped = await tx.queryColumns(
      `SELECT x, recency_days, age_days, CAST(count(*) AS DOUBLE PRECISION) AS weight FROM clv_histories WHERE age_days > 0
       GROUP BY x, recency_days, age_days`,
    );
    const summary: RepeatSummary = { x: numberColumn(grouped.x), tx: numberColumn(grouped.recency_days, scale), T: numberColumn(grouped.age_days, scale), weight: numberColumn(grouped.weight) };
    const invalid = await tx.queryColumns('SELECT customer_id, x, recency_days, age_days FROM clv_histories WHERE NOT (age_days > 0) ORDER BY customer_id');
    const excluded: ExcludedCustomer[] = model
      ? (invalid.customer_id ?? []).map((id, i) => ({
          customerId: id as string,
          model: model.name,
          reason: invalidReason(Number(invalid.x![i]), Number(invalid.recency_days![i]) / scale, Number(invalid.age_days![i]) / scale) ?? 'not a valid history',
        }))
      : [];
    if (model && summary.x.length === 0) throw new SiyuError('validation', 'nothing_to_fit', `no customer bought before ${context.calibrationEnd}; choose a later --calibration-end`);
    const frequency = model ? model.fit(summary, fitOptions) : null;

    // Neither this nor the grouped rows above are sorted (0.1 s each at a million customers): the fits' sums then
    // add up in the engine's order, which changes their results only in the last digits.
    const spendRows = await tx.queryColumns('SELECT x, mean_repeat_fen FROM clv_histories WHERE x > 0 AND coalesce(mean_repeat_fen, 0) > 0');
    const badSpend = await tx.queryColumns('SELECT customer_id, mean_repeat_fen FROM clv_histories WHERE x > 0 AND NOT (coalesce(mean_repeat_fen, 0) > 0) ORDER BY customer_id');
    (badSpend.customer_id ?? []).forEach((id, i) => excluded.push({ customerId: id as string, model: 'gammagamma', reason: `mean repeat spend is ${Number(badSpend.mean_repeat_fen![i] ?? 0) / 100}, not positive` }));
    const repeaters = spendRows.x?.length ?? 0;
    const spend = repeaters >= 3 ? fitGammaGamma({ x: numberColumn(spendRows.x), monetary: numberColumn(spendRows.mean_repeat_fen, 100), weight: new Float64Array(repeaters).fill(1) }, fitOptions) : null;
    if (!model && !spend) throw new SiyuError('validation', 'nothing_to_fit', `Gamma-Gamma needs at least 3 repeat buyers with positive spend before ${context.calibrationEnd}; found ${repeaters}`);

    const row = (fitId: string, name: string, fit: FitResult<string>, count: number, left: number, chosen: ModelSelection | null) => [
      fitId, name, options.timeUnit, context.calibrationEnd, fit.params, fit.standardErrors, fit.logLikelihood, count, left, fit.converged, new Date(), chosen,
    ];
    const rows = [];
    if (model && frequency) rows.push(row(fitIds.frequency, model.name, frequency, frequency.customers, invalid.customer_id?.length ?? 0, selection));
    if (spend) rows.push(row(fitIds.spend, 'gammagamma', spend, spend.customers, badSpend.customer_id?.length ?? 0, null));
    await tx.insertRows('model_fits', ['fit_id', 'model', 'time_unit', 'calibration_end', 'params', 'standard_errors', 'log_likelihood', 'customers', 'excluded', 'converged', 'fitted_at', 'selection'], rows);
    return {
      frequency: model && frequency ? { ...frequency, model: model.name, fitId: fitIds.frequency } : null,
      spend: spend ? { ...spend, model: 'gammagamma' as const, fitId: fitIds.spend } : null,
      calibrationEnd: context.calibrationEnd,
      timeUnit: options.timeUnit,
      currency: context.currency,
      customers: Number(n),
      excluded,
      selection,
    };
  });
}

interface StoredFit {
  fit_id: string;
  model: string;
  time_unit: TimeUnit;
  calibration_end: string;
  params: Record<string, number>;
  converged: boolean;
  fitted_at: Date;
}

async function latestFit(store: Store, model: string): Promise<StoredFit | undefined> {
  const [fit] = await store.query<StoredFit>(`SELECT fit_id, model, time_unit, calibration_end, params, converged, fitted_at FROM model_fits WHERE model = $1 ORDER BY fitted_at DESC LIMIT 1`, [model]);
  return fit;
}

export interface ScoreClvOptions {
  /** The frequency model whose latest fit scores; default: the most recently fitted one. */
  model?: FrequencyModelName;
  horizonMonths?: number;
  monthlyDiscountRate?: number;
}

export interface ClvScoreReport {
  model: string;
  fitId: string;
  asOf: string;
  timeUnit: TimeUnit;
  currency: string;
  customers: number;
  horizonMonths: number;
  monthlyDiscountRate: number;
  /** Σ clv over customers, and means, in major units. */
  totalClv: number;
  meanClv: number;
  meanProbabilityAlive: number;
  /** Mean P(no purchase in the next 90 days): the share of customers the model expects to buy nothing. */
  meanProbabilityNoPurchase90d: number;
  expectedOrders90d: number;
  top: { customerId: string; clv: number; probabilityAlive: number; probabilityNoPurchase90d: number; expectedOrders90d: number; expectedAov: number }[];
}

/**
 * Scores every buyer with the latest converged fits: P(alive), expected orders in 90 days, expected order value
 * (Gamma-Gamma) and discounted CLV over the horizon, and replaces clv_scores in one transaction. The scores come
 * from the histories the fit saved in clv_histories (built again when it holds another fit's). Every score but the
 * spend depends on (x, tx, T) alone and the spend is a line in m̄ for each x, so JavaScript computes them for the
 * distinct rows and x values only (about 100k for a million customers) and the engine joins them to each customer:
 * no per-customer row crosses between the two.
 */
export async function scoreClv(store: Store, options: ScoreClvOptions = {}): Promise<ClvScoreReport> {
  const [newest] = options.model ? [] : await store.query<{ model: FrequencyModelName }>(`SELECT model FROM model_fits WHERE model <> 'gammagamma' ORDER BY fitted_at DESC LIMIT 1`);
  const model = options.model ?? newest?.model;
  if (!model) throw new SiyuError('not_found', 'no_fit', 'no CLV model has been fitted; run `siyu clv fit` first');
  const fit = await latestFit(store, model);
  if (!fit) throw new SiyuError('not_found', 'no_fit', `${model} has not been fitted; run \`siyu clv fit --model ${model}\` first`);
  if (!fit.converged) throw new SiyuError('validation', 'fit_not_converged', `the latest ${model} fit (${fit.fit_id}) did not converge, so nothing was scored; refit, e.g. with --penalizer 0.001`);
  const spendFit = await latestFit(store, 'gammagamma');
  const spend = spendFit?.converged && spendFit.calibration_end === fit.calibration_end ? (spendFit.params as unknown as GammaGammaParams) : null;
  const horizonMonths = options.horizonMonths ?? 12;
  const monthlyDiscountRate = options.monthlyDiscountRate ?? 0.01;
  const historyOptions = { calibrationEnd: fit.calibration_end, timeUnit: fit.time_unit, discrete: FREQUENCY[model].discrete };
  const scale = storedTimeScale(historyOptions);
  const label = `${model}${spend ? '+gammagamma' : ''}`;
  return store.transaction(async (tx) => {
    const [saved] = await tx.query<{ n: number }>('SELECT count(*) AS n FROM clv_histories WHERE fit_id = $1', [fit.fit_id]);
    const { currency } = Number(saved?.n) > 0 ? { currency: await historyCurrency(tx) } : await saveHistories(tx, historyOptions, fit.fit_id);

    const rows = await tx.queryColumns('SELECT x, recency_days, age_days FROM clv_histories GROUP BY x, recency_days, age_days');
    const scores = frequencyScores({ x: numberColumn(rows.x), tx: numberColumn(rows.recency_days, scale), T: numberColumn(rows.age_days, scale) }, model, fit.params, {
      timeUnit: fit.time_unit,
      horizonMonths,
      monthlyDiscountRate,
    });
    const repeats = await tx.queryColumns('SELECT DISTINCT x FROM clv_histories WHERE mean_repeat_fen > 0');
    // Customers without a positive repeat spend take the x = 0 line: the population mean, or 0 without a spend fit.
    const spendLines = [0, ...(repeats.x ?? []).map(Number).filter((x) => x > 0)].map((x) => {
      const line = spend ? gammaGammaSpendLine(spend, x) : { intercept: 0, slope: 1 };
      return [x, line.intercept * 100, line.slope];
    });
    await tx.execute('DROP TABLE IF EXISTS clv_score_rows');
    await tx.execute('DROP TABLE IF EXISTS clv_spend_lines');
    await tx.execute(
      'CREATE TEMP TABLE clv_score_rows (x DOUBLE PRECISION, recency_days DOUBLE PRECISION, age_days DOUBLE PRECISION, p_alive DOUBLE PRECISION, orders_90d DOUBLE PRECISION, no_purchase_90d DOUBLE PRECISION, value_per_spend DOUBLE PRECISION)',
    );
    await tx.execute('CREATE TEMP TABLE clv_spend_lines (x DOUBLE PRECISION, intercept_fen DOUBLE PRECISION, slope DOUBLE PRECISION)');
    await tx.appendRows(
      'clv_score_rows',
      ['x', 'recency_days', 'age_days', 'p_alive', 'orders_90d', 'no_purchase_90d', 'value_per_spend'],
      (rows.x ?? []).map((x, i) => [x, rows.recency_days![i], rows.age_days![i], scores.probabilityAlive[i], scores.expectedOrders90d[i], scores.noPurchase90d[i], scores.valuePerSpend[i]]),
    );
    await tx.appendRows('clv_spend_lines', ['x', 'intercept_fen', 'slope'], spendLines);
    await tx.execute('DELETE FROM clv_scores');
    await tx.execute(
      `INSERT INTO clv_scores (customer_id, p_alive, expected_orders_90d, p_no_purchase_90d, expected_aov_fen, clv_12m_fen, as_of)
       SELECT customer_id, p_alive, orders_90d, no_purchase_90d, CAST(round(aov_fen) AS BIGINT), CAST(round(aov_fen * value_per_spend) AS BIGINT), CAST($1 AS DATE)
       FROM (
         SELECT h.customer_id, g.p_alive, g.orders_90d, g.no_purchase_90d, g.value_per_spend,
                s.intercept_fen + CASE WHEN h.mean_repeat_fen > 0 THEN s.slope * h.mean_repeat_fen ELSE 0 END AS aov_fen
         FROM clv_histories h
         JOIN clv_score_rows g ON g.x = h.x AND g.recency_days = h.recency_days AND g.age_days = h.age_days
         JOIN clv_spend_lines s ON s.x = CASE WHEN h.mean_repeat_fen > 0 THEN h.x ELSE 0 END
       ) AS scored`,
      [fit.calibration_end],
    );
    await tx.execute('DROP TABLE clv_score_rows');
    await tx.execute('DROP TABLE clv_spend_lines');

    const [totals] = await tx.query<{ n: number; clv_fen: number | null; alive: number | null; quiet: number | null; orders: number | null }>(
      'SELECT count(*) AS n, sum(clv_12m_fen) AS clv_fen, avg(p_alive) AS alive, avg(p_no_purchase_90d) AS quiet, sum(expected_orders_90d) AS orders FROM clv_scores',
    );
    const n = Number(totals?.n ?? 0);
    await tx.insertRows(
      'clv_runs',
      ['run_id', 'model', 'fit_id', 'spend_fit_id', 'currency', 'as_of', 'horizon_months', 'monthly_discount_rate', 'customers', 'scored_at'],
      [[randomUUID(), label, fit.fit_id, spend ? spendFit!.fit_id : null, currency, fit.calibration_end, horizonMonths, monthlyDiscountRate, n, new Date()]],
    );
    const top = await tx.query<{ customer_id: string; clv_12m_fen: number; p_alive: number; p_no_purchase_90d: number; expected_orders_90d: number; expected_aov_fen: number }>(
      'SELECT customer_id, clv_12m_fen, p_alive, p_no_purchase_90d, expected_orders_90d, expected_aov_fen FROM clv_scores ORDER BY clv_12m_fen DESC, customer_id LIMIT 10',
    );
    const totalClv = Number(totals?.clv_fen ?? 0) / 100;
    return {
      model: label,
      fitId: fit.fit_id,
      asOf: fit.calibration_end,
      timeUnit: fit.time_unit,
      currency,
      customers: n,
      horizonMonths,
      monthlyDiscountRate,
      totalClv,
      meanClv: n ? totalClv / n : 0,
      meanProbabilityAlive: Number(totals?.alive ?? 0),
      meanProbabilityNoPurchase90d: Number(totals?.quiet ?? 0),
      expectedOrders90d: Number(totals?.orders ?? 0),
      top: top.map((r) => ({
        customerId: r.customer_id,
        clv: Number(r.clv_12m_fen) / 100,
        probabilityAlive: r.p_alive,
        probabilityNoPurchase90d: Number(r.p_no_purchase_90d),
        expectedOrders90d: r.expected_orders_90d,
        expectedAov: Number(r.expected_aov_fen) / 100,
      })),
    };
  });
}

/** Scores of (x, tx, T) rows that hold for every customer with that history. */
export interface FrequencyScores {
  probabilityAlive: Float64Array;
  /** E[Y(90 days) | x, tx, T]. */
  expectedOrders90d: Float64Array;
  /** P(Y(90 days) = 0 | x, tx, T): the churn score of these models (no-purchase.ts). */
  noPurchase90d: Float64Array;
  /** CLV per unit of expected order value: P(alive) · Σₖ E[purchases in month k | alive]/(1+d)ᵏ. */
  valuePerSpend: Float64Array;
}

/**
 * Scores (x, tx, T) rows. E[Y(t) | x, tx, T] = P(alive) · E[Y(t) | alive, x, T], and the second factor (the costly
 * one: special functions at 13 horizons) depends on (x, T) alone, so each purchase curve is computed once per
 * distinct (x, T). P(alive) is computed per row when the model has it in closed form, else once per distinct
 * (x, tx, T). A customer's CLV is her expected order value times valuePerSpend.
 */
export function frequencyScores(
  h: { x: Float64Array; tx: Float64Array; T: Float64Array },
  model: FrequencyModelName,
  params: Record<string, number>,
  options: { timeUnit: TimeUnit; horizonMonths: number; monthlyDiscountRate: number },
): FrequencyScores {
  const m = FREQUENCY[model];
  const n = h.x.length;
  const alive = new Float64Array(n);
  if (m.closedFormAlive) {
    for (let i = 0; i < n; i++) alive[i] = m.probabilityAlive(params, h.x[i]!, h.tx[i]!, h.T[i]!);
  } else {
    const { first, groupOf } = groupRows([...h.x.keys()], h.x, h.tx, h.T);
    const perGroup = first.map((i) => m.probabilityAlive(params, h.x[i]!, h.tx[i]!, h.T[i]!));
    for (let i = 0; i < n; i++) alive[i] = perGroup[groupOf[i]!]!;
  }
  // BG/BB's P(alive) (eq. 11) already survives the next opportunity; its no-purchase weight is "active through n".
  const active = m.discrete ? Float64Array.from(alive.keys(), (i) => m.probabilityActive(params, h.x[i]!, h.tx[i]!, h.T[i]!)) : alive;
  const ninetyDays = 90 / DAYS_PER_UNIT[options.timeUnit];
  const curves = groupPairs(h.x, h.T);
  const ninety = Float64Array.from(curves.first, (i) => m.expectedIfAlive(params, ninetyDays, h.x[i]!, h.T[i]!));
  const quiet = Float64Array.from(curves.first, (i) => m.noPurchaseIfActive(params, ninetyDays, h.x[i]!, h.T[i]!));
  const discounted = Float64Array.from(curves.first, (i) => discountedValue((t) => m.expectedIfAlive(params, t, h.x[i]!, h.T[i]!), 1, options).value);
  const out: FrequencyScores = { probabilityAlive: alive, expectedOrders90d: new Float64Array(n), noPurchase90d: new Float64Array(n), valuePerSpend: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const g = curves.groupOf[i]!;
    out.expectedOrders90d[i] = alive[i]! * ninety[g]!;
    out.noPurchase90d[i] = 1 - active[i]! + active[i]! * quiet[g]!;
    out.valuePerSpend[i] = alive[i]! * discounted[g]!;
  }
  return out;
}
