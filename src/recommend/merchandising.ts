import { SiyuError } from '../core/errors.ts';
import { PURCHASES, type Queryable, type Store } from '../store/index.ts';

export const MERCHANDISING_ACTIONS = ['pin', 'boost', 'bury'] as const;
export type MerchandisingAction = (typeof MERCHANDISING_ACTIONS)[number];

export interface MerchandisingRule {
  sku: string;
  action: MerchandisingAction;
  /** boost: a candidate's rank is divided by it (2 moves rank 10 to 5); pin: higher shows first. */
  factor: number;
  note: string | null;
  createdAt: Date;
}

/** Sets the one rule a SKU can carry, replacing any earlier one. The SKU must be in the catalogue. */
export async function setMerchandisingRule(store: Store, rule: { sku: string; action: MerchandisingAction; factor?: number; note?: string }): Promise<MerchandisingRule> {
  if (!MERCHANDISING_ACTIONS.includes(rule.action)) throw new SiyuError('validation', 'invalid_action', `action must be one of ${MERCHANDISING_ACTIONS.join(', ')}, not ${JSON.stringify(rule.action)}`);
  const factor = rule.factor ?? (rule.action === 'boost' ? 2 : 1);
  if (!(factor > 0) || !Number.isFinite(factor)) throw new SiyuError('validation', 'invalid_factor', `factor must be a positive number, not ${rule.factor}`);
  const [product] = await store.query('SELECT sku FROM products WHERE sku = $1', [rule.sku]);
  if (!product) throw new SiyuError('not_found', 'unknown_sku', `no product with SKU ${JSON.stringify(rule.sku)}; import it into products first`);
  const createdAt = new Date();
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM merchandising_rules WHERE sku = $1', [rule.sku]);
    await tx.insertRows('merchandising_rules', ['sku', 'action', 'factor', 'note', 'created_at'], [[rule.sku, rule.action, factor, rule.note ?? null, createdAt]]);
  });
  return { sku: rule.sku, action: rule.action, factor, note: rule.note ?? null, createdAt };
}

/** Removes a SKU's rule; false when it had none. */
export async function clearMerchandisingRule(store: Store, sku: string): Promise<boolean> {
  return (await store.execute('DELETE FROM merchandising_rules WHERE sku = $1', [sku])) > 0;
}

export async function listMerchandisingRules(db: Queryable): Promise<MerchandisingRule[]> {
  const rows = await db.query<{ sku: string; action: MerchandisingAction; factor: number; note: string | null; created_at: Date }>('SELECT sku, action, factor, note, created_at FROM merchandising_rules ORDER BY action, sku');
  return rows.map((r) => ({ sku: r.sku, action: r.action, factor: Number(r.factor), note: r.note, createdAt: r.created_at }));
}

/**
 * Replaces tier_price_bands: for each value tier in tier_scores, the 10th to 90th percentile of the unit prices its
 * customers paid. Returns the number of tiers given a band (0 before `siyu tiers` has run).
 */
export async function computePriceBands(store: Store, runId: string): Promise<number> {
  return store.transaction(async (tx) => {
    await tx.execute('DELETE FROM tier_price_bands');
    return tx.execute(
      `INSERT INTO tier_price_bands (tier, min_fen, max_fen, run_id)
       SELECT t.tier,
              CAST(round(percentile_cont(0.1) WITHIN GROUP (ORDER BY i.unit_price_fen)) AS BIGINT),
              CAST(round(percentile_cont(0.9) WITHIN GROUP (ORDER BY i.unit_price_fen)) AS BIGINT), $1
       FROM order_items i JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = i.order_id
            JOIN tier_scores t ON t.customer_id = i.customer_id
       WHERE o.${PURCHASES} AND i.quantity > 0
       GROUP BY t.tier`,
      [runId],
    );
  });
}
