import { dialect, jsonRowsParam, type BackendKind, type Queryable } from '../store/index.ts';
import { parseOrderChange, type OrderChange } from './ecommerce.ts';

export interface OrderWrite {
  customerId: string;
  change: OrderChange;
  ts: Date;
  source: string;
}

interface OrderRow {
  customer_id: string;
  order_id: string;
  placed_at: Date;
  status: string;
  total_fen: number;
  discount_fen: number;
  refunded_fen: number;
  currency: string;
  channel: string | null;
  store_id: string | null;
  coupon_code: string | null;
  source: string | null;
  updated_at: Date;
}

const ORDER_COLUMNS = ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'channel', 'store_id', 'coupon_code', 'source', 'updated_at'] as const;
const ITEM_COLUMNS = ['customer_id', 'order_id', 'line', 'sku', 'name', 'quantity', 'unit_price_fen', 'category', 'brand'];

const keyOf = (customerId: string, orderId: string): string => `${customerId}\u0000${orderId}`;

/**
 * Applies a batch of order events in a few set-based statements, whatever the batch size:
 * - Order Completed creates or replaces an order and its lines; Order Updated changes only the fields it carries
 *   (an Updated for an unknown order creates it).
 * - Refund and cancellation state is recomputed from the stored Order Refunded / Order Cancelled events, so it is
 *   right whatever order the events arrive in (a refund sent before its order counts once the order arrives).
 * Changed orders are deleted and re-inserted rather than upserted: the fact tables have no key constraint on DuckDB.
 */
export async function applyOrderChanges(tx: Queryable, kind: BackendKind, writes: readonly OrderWrite[], at: Date): Promise<void> {
  const keys = new Map(writes.map((w) => [keyOf(w.customerId, w.change.orderId), [w.customerId, w.change.orderId]]));
  const orders = await loadOrders(tx, kind, [...keys.values()]);
  const changed = new Set<string>();
  const statusTouched = new Set<string>();
  const items = new Map<string, unknown[][]>();
  for (const { customerId, change, ts, source } of writes) {
    const key = keyOf(customerId, change.orderId);
    // Order Updated leaves the status alone: an imported order may carry a status no event explains.
    if (change.event !== 'Order Updated') statusTouched.add(key);
    if (change.event !== 'Order Completed' && change.event !== 'Order Updated') continue;
    orders.set(key, overlay(orders.get(key), customerId, change, ts, source, at));
    changed.add(key);
    if (change.items) {
      items.set(key, change.items.map((item, i) => [customerId, change.orderId, i + 1, item.sku, item.name, item.quantity, item.unitPriceFen, item.category, item.brand]));
    }
  }
  for (const key of await recomputeStatus(tx, kind, orders, statusTouched, at)) changed.add(key);
  if (changed.size > 0) {
    const rows = [...changed].map((key) => orders.get(key)!);
    await deleteByKeys(tx, kind, 'orders', rows.map((r) => [r.customer_id, r.order_id]));
    await tx.insertRows('orders', ORDER_COLUMNS, rows.map((r) => ORDER_COLUMNS.map((c) => r[c])));
  }
  if (items.size > 0) {
    await deleteByKeys(tx, kind, 'order_items', [...items.keys()].map((k) => keys.get(k)!));
    await tx.insertRows('order_items', ITEM_COLUMNS, [...items.values()].flat());
  }
}

async function loadOrders(tx: Queryable, kind: BackendKind, keys: readonly string[][]): Promise<Map<string, OrderRow>> {
  const rows = await tx.query<OrderRow>(
    `SELECT o.* FROM orders o JOIN ${dialect(kind).jsonRows('$1', ['c', 'o'])} k ON o.customer_id = k.c AND o.order_id = k.o`,
    [jsonRowsParam(keys)],
  );
  return new Map(rows.map((r) => [keyOf(r.customer_id, r.order_id), r]));
}

async function deleteByKeys(tx: Queryable, kind: BackendKind, table: 'orders' | 'order_items', keys: readonly string[][]): Promise<void> {
  await tx.execute(
    `DELETE FROM ${table} WHERE EXISTS (SELECT 1 FROM ${dialect(kind).jsonRows('$1', ['c', 'o'])} k WHERE k.c = ${table}.customer_id AND k.o = ${table}.order_id)`,
    [jsonRowsParam(keys)],
  );
}

/** An order after one Completed or Updated event. Completed replaces what it carries; both keep unsent fields. */
function overlay(prev: OrderRow | undefined, customerId: string, change: OrderChange, ts: Date, source: string, at: Date): OrderRow {
  const completed = change.event === 'Order Completed';
  return {
    customer_id: customerId,
    order_id: change.orderId,
    placed_at: completed || !prev ? ts : prev.placed_at,
    status: prev?.status ?? 'completed',
    total_fen: change.totalFen ?? prev?.total_fen ?? 0,
    discount_fen: change.discountFen ?? prev?.discount_fen ?? 0,
    refunded_fen: prev?.refunded_fen ?? 0,
    currency: change.currency ?? prev?.currency ?? 'CNY',
    channel: change.channel ?? prev?.channel ?? null,
    store_id: change.storeId ?? prev?.store_id ?? null,
    coupon_code: change.couponCode ?? prev?.coupon_code ?? null,
    source: prev?.source ?? source,
    updated_at: at,
  };
}

/** Sets status and refunded_fen of the touched orders from their refund and cancel events; returns the keys it changed. */
async function recomputeStatus(tx: Queryable, kind: BackendKind, orders: Map<string, OrderRow>, touched: ReadonlySet<string>, at: Date): Promise<string[]> {
  const present = [...touched].filter((key) => orders.has(key)); // a refund for an order not seen yet waits, as an event, for its order
  if (present.length === 0) return [];
  const customers = [...new Set(present.map((key) => orders.get(key)!.customer_id))];
  const events = await tx.query<{ customer_id: string; name: 'Order Refunded' | 'Order Cancelled'; properties: unknown }>(
    `SELECT e.customer_id, e.name, e.properties FROM events e JOIN ${dialect(kind).jsonRows('$1', ['c'])} k ON e.customer_id = k.c
     WHERE e.name IN ('Order Refunded', 'Order Cancelled')`,
    [jsonRowsParam(customers.map((c) => [c]))],
  );
  // Per order: refunds with an amount, whether one refund had none (a full refund), whether it was cancelled.
  const state = new Map<string, { refundedFen: number; fullRefund: boolean; cancelled: boolean }>();
  for (const event of events) {
    const { change } = parseOrderChange(event.name, event.properties);
    if (!change) continue;
    const key = keyOf(event.customer_id, change.orderId);
    const s = state.get(key) ?? { refundedFen: 0, fullRefund: false, cancelled: false };
    if (event.name === 'Order Cancelled') s.cancelled = true;
    else if (change.totalFen === undefined) s.fullRefund = true;
    else s.refundedFen += change.totalFen;
    state.set(key, s);
  }
  for (const key of present) {
    const order = orders.get(key)!;
    const s = state.get(key) ?? { refundedFen: 0, fullRefund: false, cancelled: false };
    const refundedFen = s.fullRefund ? order.total_fen : Math.min(s.refundedFen, order.total_fen);
    order.status = s.cancelled ? 'cancelled' : refundedFen > 0 && refundedFen >= order.total_fen ? 'refunded' : refundedFen > 0 ? 'partially_refunded' : 'completed';
    order.refunded_fen = refundedFen;
    order.updated_at = at;
  }
  return present;
}
