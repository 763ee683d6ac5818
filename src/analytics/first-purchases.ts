// Every buyer's first purchase order, kept in analytics_first_purchases (migration 028) so that new buyers,
// retention and LTV cohorts read one row per buyer instead of grouping every order by customer on each request:
// at 10M orders that grouping alone costs as much as the whole 500 ms a console request may take. The reports bring
// the table up to date themselves before reading it (docs/analytics.md, "First purchases").
import { localDay, type Store } from '../store/index.ts';
import { purchaseFilter, text, type ReportContext } from './context.ts';

/** The table the reports read: buyer_id, first_at (placed_at of the first purchase order), first_day (its local day). */
export const FIRST_PURCHASES = 'analytics_first_purchases';

/** What the table was built from. A change of any of these brings it up to date. */
interface Seen {
  timezone: string;
  currency: string;
  orders: number;
  ordersUpdatedAt: string | null;
  merges: number;
  mergedAt: string | null;
  builtAt: string;
}

const STATE_KEY = 'first_purchases';
/** A full rebuild at least this often: it also catches orders deleted outside a merge while others were added. */
const REBUILD_MS = 86_400_000;
// One refresh at a time per store in this process: concurrent console requests wait for the same one.
const refreshing = new WeakMap<Store, Promise<void>>();

async function observe(store: Store, ctx: ReportContext): Promise<Omit<Seen, 'builtAt'>> {
  // The latest instants travel as the engine's own text, which casts back exactly (a JavaScript Date would drop the
  // microseconds, and every order of that last millisecond would count as changed again).
  const [orders] = await store.query<{ n: number; at: string | null }>(`SELECT count(*) AS n, CAST(max(updated_at) AS VARCHAR) AS at FROM orders`);
  const [merges] = await store.query<{ n: number; at: string | null }>(`SELECT count(*) AS n, CAST(max(merged_at) AS VARCHAR) AS at FROM customer_merges`);
  return { timezone: ctx.timezone, currency: ctx.currency, orders: Number(orders?.n ?? 0), ordersUpdatedAt: orders?.at ?? null, merges: Number(merges?.n ?? 0), mergedAt: merges?.at ?? null };
}

/**
 * Brings analytics_first_purchases up to date with the orders: unchanged, nothing is written; after new or changed
 * orders (a later updated_at) or merges, only the customers concerned are recomputed; after a change of timezone
 * or currency, fewer orders or merges than before, or a day since the last rebuild, the table is rebuilt whole.
 */
export async function refreshFirstPurchases(store: Store, ctx: ReportContext): Promise<void> {
  const running = refreshing.get(store);
  if (running) return running;
  const run = refresh(store, ctx).finally(() => refreshing.delete(store));
  refreshing.set(store, run);
  return run;
}

async function refresh(store: Store, ctx: ReportContext): Promise<void> {
  const now = await observe(store, ctx);
  const [row] = await store.query<{ value: string }>(`SELECT value FROM analytics_state WHERE key = $1`, [STATE_KEY]);
  const seen = row ? (JSON.parse(row.value) as Seen) : null;
  const same = seen && (Object.keys(now) as (keyof typeof now)[]).every((k) => seen[k] === now[k]);
  if (same && Date.now() - Date.parse(seen.builtAt) < REBUILD_MS) return;
  const full =
    !seen || !seen.ordersUpdatedAt || seen.timezone !== now.timezone || seen.currency !== now.currency || now.orders < seen.orders || now.merges < seen.merges || Date.now() - Date.parse(seen.builtAt) >= REBUILD_MS;
  let rebuilt = false;
  const firsts = (where: string) =>
    `INSERT INTO ${FIRST_PURCHASES} (buyer_id, first_at, first_day)
     SELECT customer_id, min(placed_at), ${localDay(ctx.timezone, 'min(placed_at)')} FROM orders WHERE ${purchaseFilter(ctx)} ${where} GROUP BY customer_id`;
  await store.transaction(async (tx) => {
    // Orders changed since have a later updated_at, unless one was written in the very instant the table last saw:
    // then the order count grew by more than the later rows, and the table is rebuilt whole.
    const since = seen?.ordersUpdatedAt ? `CAST(${text(seen.ordersUpdatedAt)} AS TIMESTAMPTZ)` : null;
    const [later] = since && !full ? await tx.query<{ n: number }>(`SELECT count(*) AS n FROM orders WHERE updated_at > ${since}`) : [];
    if (full || !seen || now.orders - seen.orders > Number(later?.n ?? 0)) {
      await tx.execute(`DELETE FROM ${FIRST_PURCHASES}`);
      await tx.execute(firsts(''));
      rebuilt = true;
    } else {
      // Customers with an order added or changed since, and both sides of every merge since: the loser's orders
      // moved to the survivor with their old updated_at.
      const mergedSince = seen.mergedAt ? `WHERE merged_at >= CAST(${text(seen.mergedAt)} AS TIMESTAMPTZ)` : '';
      const affected = `SELECT customer_id FROM orders WHERE updated_at > ${since}
                        UNION SELECT customer_id FROM customer_merges ${mergedSince} UNION SELECT merged_id FROM customer_merges ${mergedSince}`;
      await tx.execute(`DELETE FROM ${FIRST_PURCHASES} WHERE buyer_id IN (${affected})`);
      await tx.execute(firsts(`AND customer_id IN (${affected})`));
    }
    const value: Seen = { ...now, builtAt: rebuilt || !seen ? new Date().toISOString() : seen.builtAt };
    await tx.execute(`DELETE FROM analytics_state WHERE key = $1`, [STATE_KEY]);
    await tx.execute(`INSERT INTO analytics_state (key, value, updated_at) VALUES ($1, $2, CAST($3 AS TIMESTAMPTZ))`, [STATE_KEY, JSON.stringify(value), new Date()]);
  });
}
