import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { latestOrderDay, localDay, PURCHASES, readBrandSettings, type Store } from '../store/index.ts';

export interface ReplenishOptions {
  /** Day the predictions are made on (YYYY-MM-DD, brand timezone); default: the day of the latest order. */
  asOf?: string;
  /** A category's median repurchase interval is used only when it rests on at least this many intervals. Default 20. */
  minCategoryIntervals?: number;
}

export interface ReplenishReport {
  asOf: string;
  /** (customer, SKU) pairs with a predicted next purchase. */
  pairs: number;
  byBasis: { own: number; sku: number; category: number };
}

/**
 * Predicts when each customer will next buy each consumable they have bought, and replaces the `replenishment`
 * table in one transaction. The interval is the customer's own median gap between purchase days of that SKU when
 * they bought it at least twice; else the SKU's `replenish_days`; else the median same-SKU repurchase gap of its
 * category, when that rests on enough intervals. A SKU with none of these is not treated as a consumable.
 * Due = last purchase day + interval, rounded to whole days. One set-based statement on both engines.
 */
export async function computeReplenishment(store: Store, options: ReplenishOptions = {}): Promise<ReplenishReport> {
  const { timezone } = await readBrandSettings(store);
  const asOf = options.asOf ?? (await latestOrderDay(store));
  if (!asOf) throw new SiyuError('not_found', 'no_orders', 'the store has no orders to predict replenishment from; import orders first');
  parseDay(asOf, '--as-of');
  const minIntervals = options.minCategoryIntervals ?? 20;
  const day = localDay(timezone, 'o.placed_at');
  const select = `
    WITH buys AS (
      SELECT DISTINCT i.customer_id, i.sku, ${day} AS day
      FROM order_items i JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = i.order_id
      WHERE o.${PURCHASES} AND i.quantity > 0 AND ${day} <= CAST($1 AS DATE)
    ), gaps AS (
      SELECT customer_id, sku, day, day - lag(day) OVER (PARTITION BY customer_id, sku ORDER BY day) AS gap FROM buys
    ), own AS (
      SELECT customer_id, sku, max(day) AS last_day, count(*) AS purchases,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS own_gap
      FROM gaps GROUP BY customer_id, sku
    ), by_category AS (
      SELECT p.category, percentile_cont(0.5) WITHIN GROUP (ORDER BY g.gap) AS category_gap
      FROM gaps g JOIN products p ON p.sku = g.sku
      WHERE g.gap IS NOT NULL AND p.category IS NOT NULL
      GROUP BY p.category HAVING count(*) >= $2
    ), predicted AS (
      SELECT o.customer_id, o.sku, o.last_day, o.purchases,
             CASE WHEN o.own_gap IS NOT NULL THEN 'own' WHEN p.replenish_days IS NOT NULL THEN 'sku' ELSE 'category' END AS basis,
             CAST(coalesce(o.own_gap, p.replenish_days, c.category_gap) AS DOUBLE PRECISION) AS interval_days
      FROM own o LEFT JOIN products p ON p.sku = o.sku LEFT JOIN by_category c ON c.category = p.category
    )
    SELECT customer_id, sku, last_day AS last_purchase, purchases, interval_days, basis,
           last_day + CAST(round(interval_days) AS INTEGER) AS due, CAST($1 AS DATE) AS as_of, now() AS computed_at
    FROM predicted WHERE interval_days IS NOT NULL AND interval_days > 0`;
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM replenishment');
    await tx.execute(`INSERT INTO replenishment (customer_id, sku, last_purchase, purchases, interval_days, basis, due, as_of, computed_at) ${select}`, [asOf, minIntervals]);
  });
  const counts = await store.query<{ basis: 'own' | 'sku' | 'category'; n: number }>('SELECT basis, count(*) AS n FROM replenishment GROUP BY basis');
  const byBasis = { own: 0, sku: 0, category: 0 };
  for (const c of counts) byBasis[c.basis] = Number(c.n);
  return { asOf, pairs: byBasis.own + byBasis.sku + byBasis.category, byBasis };
}
