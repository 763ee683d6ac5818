import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { localDay, PURCHASES, readBrandSettings, type Queryable } from '../store/index.ts';
import type { Interaction } from './data.ts';

export interface PurchaseWindow {
  /** First day included (YYYY-MM-DD, brand timezone). */
  from?: string;
  /** First day excluded. */
  before?: string;
}

/**
 * Purchases as interactions: one per order line of an order that counts as a purchase (not cancelled, not refunded
 * in full), weight 1 and the order's time in unix seconds, optionally limited to days of the brand calendar.
 * Lines of the same SKU merge into one affinity when the matrix is built, each decayed from its own order time.
 */
export async function loadPurchases(db: Queryable, window: PurchaseWindow = {}): Promise<Interaction[]> {
  if (window.from !== undefined) parseDay(window.from, 'from');
  if (window.before !== undefined) parseDay(window.before, 'before');
  const { timezone } = await readBrandSettings(db);
  const day = localDay(timezone, 'o.placed_at');
  const rows = await db.query<{ customer_id: string; sku: string; ts: number }>(
    `SELECT i.customer_id, i.sku, CAST(extract(epoch FROM o.placed_at) AS DOUBLE PRECISION) AS ts
     FROM order_items i JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = i.order_id
     WHERE o.${PURCHASES} AND i.quantity > 0
       AND (CAST($1 AS DATE) IS NULL OR ${day} >= CAST($1 AS DATE)) AND (CAST($2 AS DATE) IS NULL OR ${day} < CAST($2 AS DATE))`,
    [window.from ?? null, window.before ?? null],
  );
  return rows.map((r) => ({ user: r.customer_id, item: r.sku, weight: 1, timestamp: Number(r.ts) }));
}

/** Train on purchases before `splitDate`, test on purchases from it (to `testEnd`, exclusive, if given). */
export async function loadTimeSplit(db: Queryable, splitDate: string, testEnd?: string): Promise<{ train: Interaction[]; test: Interaction[] }> {
  parseDay(splitDate, '--split-date');
  if (testEnd !== undefined && parseDay(testEnd, '--test-end') <= splitDate) throw new SiyuError('validation', 'invalid_split', `--test-end (${testEnd}) must be after --split-date (${splitDate})`);
  const train = await loadPurchases(db, { before: splitDate });
  const test = await loadPurchases(db, { from: splitDate, before: testEnd });
  if (train.length === 0) throw new SiyuError('validation', 'empty_split', `no purchases before --split-date ${splitDate} to train on`);
  if (test.length === 0) throw new SiyuError('validation', 'empty_split', `no purchases on or after --split-date ${splitDate}${testEnd ? ` and before ${testEnd}` : ''} to test on`);
  return { train, test };
}
