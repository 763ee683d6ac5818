// Discounted customer lifetime value from a frequency model and a spend model. Units are explicit: the models run
// in a time unit (day or week), the horizon and the discount rate are monthly, and a month is a fixed number of
// time units (TIME_UNITS_PER_MONTH), never a day/week mix-up (REFERENCE.md §1.3 shows the mistake it avoids).

export type TimeUnit = 'day' | 'week';

/** A month is 365.25/12 = 30.4375 days = 4.348 weeks. */
export const TIME_UNITS_PER_MONTH: Record<TimeUnit, number> = { day: 365.25 / 12, week: 365.25 / 12 / 7 };

/** Days per time unit. */
export const DAYS_PER_UNIT: Record<TimeUnit, number> = { day: 1, week: 7 };

export interface ClvOptions {
  /** Months ahead. */
  horizonMonths: number;
  /** Discount rate per month, e.g. 0.01; month k's value is divided by (1 + rate)^k. */
  monthlyDiscountRate: number;
  timeUnit: TimeUnit;
}

export interface ClvBreakdown {
  /** Expected purchases in each month of the horizon. */
  purchasesByMonth: Float64Array;
  /** Σ purchasesByMonth. */
  purchases: number;
  /** The discounted value: Σ_k spend · purchases_k / (1 + rate)^k. */
  value: number;
}

/**
 * CLV = Σ_{k=1..H} E[M] · (E[Y(k·f)] − E[Y((k−1)·f)]) / (1 + d)^k, with f time units per month and E[Y(t)] the
 * customer's expected purchases in (T, T + t]. `expectedPurchases(t)` is that cumulative curve in the model's unit.
 */
export function discountedValue(expectedPurchases: (t: number) => number, spendPerPurchase: number, options: ClvOptions): ClvBreakdown {
  const perMonth = TIME_UNITS_PER_MONTH[options.timeUnit];
  const purchasesByMonth = new Float64Array(options.horizonMonths);
  let previous = 0;
  let value = 0;
  let purchases = 0;
  for (let k = 1; k <= options.horizonMonths; k++) {
    const cumulative = expectedPurchases(k * perMonth);
    const month = Math.max(0, cumulative - previous);
    previous = cumulative;
    purchasesByMonth[k - 1] = month;
    purchases += month;
    value += (spendPerPurchase * month) / Math.pow(1 + options.monthlyDiscountRate, k);
  }
  return { purchasesByMonth, purchases, value };
}
