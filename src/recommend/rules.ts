import { SiyuError } from '../core/errors.ts';
import { PURCHASES, type Queryable } from '../store/index.ts';
import { createCoder } from './data.ts';

export interface RuleOptions {
  /** Smallest share of baskets holding both items. Default 0.0005 (5 in 10,000 orders). */
  minSupport?: number;
  /** And at least this many baskets, so tiny shops do not get rules from one or two orders. Default 3. */
  minOrders?: number;
  /** Smallest P(consequent | antecedent). Default 0.05. */
  minConfidence?: number;
  /** Smallest lift; above 1 means bought together more often than by chance. Default 1. */
  minLift?: number;
}

/** "Bought X → also bought Y" over baskets (orders): one pair rule in one direction. */
export interface AssociationRule {
  antecedent: string;
  consequent: string;
  /** Baskets holding both. */
  orders: number;
  /** orders / all baskets. */
  support: number;
  /** orders / baskets holding the antecedent. */
  confidence: number;
  /** confidence / (share of baskets holding the consequent). */
  lift: number;
}

/**
 * Mines pair rules X → Y from baskets (Agrawal, Imieliński & Swami 1993, restricted to one item on each side,
 * which is what "frequently bought together" shows). A basket counts an item once however many units it holds.
 * Rules come sorted by antecedent, then confidence, lift and consequent, all descending except the ids.
 */
export function mineRules(baskets: readonly (readonly string[])[], options: RuleOptions = {}): AssociationRule[] {
  const minSupport = options.minSupport ?? 0.0005;
  const minOrders = options.minOrders ?? 3;
  const minConfidence = options.minConfidence ?? 0.05;
  const minLift = options.minLift ?? 1;
  for (const [name, value] of Object.entries({ minSupport, minConfidence })) {
    if (!(value >= 0 && value <= 1)) throw new SiyuError('validation', 'invalid_param', `${name} must be between 0 and 1, not ${value}`);
  }
  const { ids, code } = createCoder();
  const pairs = new Map<number, number>();
  const encoded = baskets.map((b) => [...new Set(b.map(code))].sort((x, y) => x - y));
  const n = ids.length;
  const itemCount = new Array<number>(n).fill(0);
  for (const basket of encoded) {
    for (let p = 0; p < basket.length; p++) {
      const i = basket[p]!;
      itemCount[i]!++;
      for (let q = p + 1; q < basket.length; q++) {
        const key = i * n + basket[q]!;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
    }
  }
  const total = baskets.length;
  const rules: AssociationRule[] = [];
  for (const [key, both] of pairs) {
    if (both < minOrders || both / total < minSupport) continue;
    const i = Math.floor(key / n);
    const j = key % n;
    for (const [a, c] of [[i, j], [j, i]] as const) {
      const confidence = both / itemCount[a]!;
      const lift = confidence / (itemCount[c]! / total);
      if (confidence >= minConfidence && lift >= minLift) rules.push({ antecedent: ids[a]!, consequent: ids[c]!, orders: both, support: both / total, confidence, lift });
    }
  }
  const byId = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return rules.sort((x, y) => byId(x.antecedent, y.antecedent) || y.confidence - x.confidence || y.lift - x.lift || byId(x.consequent, y.consequent));
}

/** Every purchase basket in the store: the distinct SKUs of each order that counts as a purchase. */
export async function loadBaskets(db: Queryable): Promise<string[][]> {
  const rows = await db.query<{ customer_id: string; order_id: string; sku: string }>(
    `SELECT DISTINCT i.customer_id, i.order_id, i.sku
     FROM order_items i JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = i.order_id
     WHERE o.${PURCHASES} AND i.quantity > 0
     ORDER BY i.customer_id, i.order_id`,
  );
  const baskets: string[][] = [];
  let key = '';
  for (const r of rows) {
    const k = `${r.customer_id}\u0000${r.order_id}`;
    if (k !== key) {
      baskets.push([]);
      key = k;
    }
    baskets[baskets.length - 1]!.push(r.sku);
  }
  return baskets;
}
