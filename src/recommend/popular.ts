import { SiyuError } from '../core/errors.ts';
import { PURCHASES, type Queryable, type Store } from '../store/index.ts';
import { ACTIVE } from './serve.ts';

export const POPULAR_SCOPES = ['global', 'trending', 'channel', 'tier'] as const;
export type PopularScope = (typeof POPULAR_SCOPES)[number];

/** Items kept per scope. */
export const POPULAR_KEPT = 200;
/** Trending: purchases in the last this many days, each weighted 2^(−age/half-life). */
export const TRENDING_DAYS = 60;
export const TRENDING_HALF_LIFE_DAYS = 7;

/**
 * Replaces popular_items with the best-sellers of every scope, set-based in one statement per scope on both
 * engines: distinct buyers per SKU overall, per channel and per value tier, and a trending score of time-decayed
 * purchase lines (age counted from the latest order). Ties go to the lower SKU. Returns the rows written.
 */
export async function computePopular(store: Store, runId: string): Promise<number> {
  const lines = `FROM order_items i JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = i.order_id WHERE o.${PURCHASES} AND i.quantity > 0`;
  // `value` is the column a scope ranks within, or null for one ranking over everything.
  const ranked = (scope: string, value: string | null, from: string, score = 'count(DISTINCT i.customer_id)') => `
    SELECT '${scope}', scope_value, rank, sku, buyers, score, $1 FROM (
      SELECT ${value ?? "''"} AS scope_value, i.sku, count(DISTINCT i.customer_id) AS buyers, CAST(${score} AS DOUBLE PRECISION) AS score,
             row_number() OVER (${value ? `PARTITION BY ${value} ` : ''}ORDER BY ${score} DESC, i.sku) AS rank
      ${from} GROUP BY ${value ? `${value}, ` : ''}i.sku
    ) ranked WHERE rank <= ${POPULAR_KEPT}`;
  const insert = 'INSERT INTO popular_items (scope, scope_value, rank, sku, buyers, score, run_id)';
  const age = `(SELECT extract(epoch FROM max(placed_at)) FROM orders) - extract(epoch FROM o.placed_at)`;
  return store.transaction(async (tx) => {
    await tx.execute('DELETE FROM popular_items');
    let rows = await tx.execute(`${insert} ${ranked('global', null, lines)}`, [runId]);
    rows += await tx.execute(
      `${insert} ${ranked('trending', null, `${lines} AND ${age} < ${TRENDING_DAYS * 86_400}`, `sum(power(0.5, (${age}) / ${TRENDING_HALF_LIFE_DAYS * 86_400}))`)}`,
      [runId],
    );
    rows += await tx.execute(`${insert} ${ranked('channel', 'o.channel', `${lines} AND o.channel IS NOT NULL`)}`, [runId]);
    rows += await tx.execute(`${insert} ${ranked('tier', 't.tier', lines.replace('WHERE', 'JOIN tier_scores t ON t.customer_id = i.customer_id WHERE'))}`, [runId]);
    return rows;
  });
}

export interface PopularList {
  scope: PopularScope;
  value: string;
  items: { sku: string; name: string | null; category: string | null; buyers: number; score: number }[];
}

/** The best-sellers of one scope, active in-stock items only. */
export async function popularItems(db: Queryable, scope: PopularScope, value = '', n = 10): Promise<PopularList> {
  if (!POPULAR_SCOPES.includes(scope)) throw new SiyuError('validation', 'invalid_scope', `scope must be one of ${POPULAR_SCOPES.join(', ')}, not ${JSON.stringify(scope)}`);
  if ((scope === 'channel' || scope === 'tier') && !value) throw new SiyuError('validation', 'missing_value', `scope ${scope} needs the ${scope} to rank within`);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new SiyuError('validation', 'invalid_count', `n must be a whole number from 1 to 100, not ${n}`);
  const rows = await db.query<PopularList['items'][number]>(
    `SELECT c.sku, p.name, p.category, c.buyers, c.score FROM popular_items c LEFT JOIN products p ON p.sku = c.sku
     WHERE c.scope = $1 AND c.scope_value = $2 AND ${ACTIVE} ORDER BY c.rank LIMIT ${n}`,
    [scope, scope === 'global' || scope === 'trending' ? '' : value],
  );
  return { scope, value, items: rows.map((r) => ({ ...r, buyers: Number(r.buyers), score: Number(r.score) })) };
}
