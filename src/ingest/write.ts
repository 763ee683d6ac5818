import { dialect, type BackendKind, type Queryable } from '../store/index.ts';
import { parseOrderChange, type OrderChange } from './ecommerce.ts';
import type { PreparedMessage } from './prepare.ts';
import { IdentityResolver } from './resolve.ts';

export type WriteStatus = 'accepted' | 'duplicate';

/** A validated message and where it came from (a write key's name, or an import file). */
export interface SourcedMessage {
  message: PreparedMessage;
  source: string;
}

const PROFILE_COLUMNS = ['phone', 'email', 'name', 'gender', 'birthday', 'city', 'registered_at', 'channel'] as const;
const CASTS: Record<(typeof PROFILE_COLUMNS)[number], string> = {
  phone: 'TEXT',
  email: 'TEXT',
  name: 'TEXT',
  gender: 'TEXT',
  birthday: 'DATE',
  city: 'TEXT',
  registered_at: 'TIMESTAMPTZ',
  channel: 'TEXT',
};

/**
 * Stores validated messages inside the caller's transaction: dedupes on messageId, resolves identities,
 * then writes events, profile traits and order changes. Returns one status per message, in order.
 * A messageId seen before (in the store or earlier in `messages`) is a duplicate and changes nothing.
 */
export async function writeMessages(tx: Queryable, kind: BackendKind, entries: readonly SourcedMessage[], receivedAt: Date): Promise<WriteStatus[]> {
  const statuses: WriteStatus[] = entries.map(() => 'duplicate');
  const seen = await existingMessageIds(tx, entries.map((e) => e.message.messageId));
  const fresh: { message: PreparedMessage; source: string; customerId: string }[] = [];
  for (const [index, { message, source }] of entries.entries()) {
    if (seen.has(message.messageId)) continue;
    seen.add(message.messageId);
    statuses[index] = 'accepted';
    fresh.push({ message, source, customerId: '' });
  }
  if (fresh.length === 0) return statuses;

  const resolver = new IdentityResolver(tx, receivedAt);
  await resolver.preload(fresh.flatMap((f) => f.message.identifiers));
  for (const entry of fresh) {
    const { message, source } = entry;
    entry.customerId = message.alias
      ? await resolver.alias(message.alias.previousId, message.alias.userId, message.messageId, source)
      : await resolver.resolve(message.identifiers, message.messageId, source);
  }
  await resolver.flush();
  for (const entry of fresh) entry.customerId = resolver.canonical(entry.customerId);

  await tx.insertRows(
    'messages',
    ['message_id', 'customer_id', 'received_at'],
    fresh.map((f) => [f.message.messageId, f.customerId, receivedAt]),
  );
  await tx.insertRows(
    'events',
    ['customer_id', 'message_id', 'type', 'name', 'properties', 'context', 'user_id', 'anonymous_id', 'ts', 'received_at', 'source'],
    fresh.map(({ message: m, customerId, source }) => [customerId, m.messageId, m.type, m.name, m.properties, m.context, m.userId, m.anonymousId, m.ts, receivedAt, source]),
    '(customer_id, message_id) DO NOTHING',
  );
  await updateProfiles(tx, kind, fresh, receivedAt);
  const orders = fresh.filter((f) => f.message.order).map((f) => ({ customerId: f.customerId, change: f.message.order!, ts: f.message.ts, source: f.source }));
  if (orders.length > 0) await applyOrderChanges(tx, orders, receivedAt);
  return statuses;
}

async function existingMessageIds(tx: Queryable, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const unique = [...new Set(ids)];
  for (let start = 0; start < unique.length; start += 5000) {
    const chunk = unique.slice(start, start + 5000);
    const rows = await tx.query<{ message_id: string }>(
      `SELECT message_id FROM messages WHERE message_id IN (${chunk.map((_, i) => `$${i + 1}`).join(',')})`,
      chunk,
    );
    for (const row of rows) found.add(row.message_id);
  }
  return found;
}

/** identify: later traits win over earlier ones, key by key; profile columns take the latest non-empty value. */
async function updateProfiles(tx: Queryable, kind: BackendKind, fresh: readonly { message: PreparedMessage; customerId: string }[], at: Date): Promise<void> {
  const byCustomer = new Map<string, { traits: Record<string, unknown>; profile: Record<string, unknown> }>();
  for (const { message, customerId } of fresh) {
    if (!message.traits) continue;
    const current = byCustomer.get(customerId) ?? { traits: {}, profile: {} };
    Object.assign(current.traits, message.traits);
    for (const [key, value] of Object.entries(message.profile ?? {})) if (value !== undefined) current.profile[key] = value;
    byCustomer.set(customerId, current);
  }
  const rows = [...byCustomer.entries()];
  const width = 2 + PROFILE_COLUMNS.length;
  for (let start = 0; start < rows.length; start += 1000) {
    const chunk = rows.slice(start, start + 1000);
    const values = chunk.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 2}`).join(',')})`).join(',');
    const params = chunk.flatMap(([id, { traits, profile }]) => [id, traits, ...PROFILE_COLUMNS.map((c) => profile[c] ?? null)]);
    await tx.execute(
      `UPDATE customers SET
         traits = ${dialect(kind).jsonMerge('customers.traits', 'v.traits')},
         ${PROFILE_COLUMNS.map((c) => `${c} = COALESCE(v.${c}::${CASTS[c]}, customers.${c})`).join(',\n         ')},
         updated_at = $1::TIMESTAMPTZ
       FROM (VALUES ${values}) AS v(customer_id, traits, ${PROFILE_COLUMNS.join(', ')})
       WHERE customers.customer_id = v.customer_id`,
      [at, ...params],
    );
  }
}

interface OrderWrite {
  customerId: string;
  change: OrderChange;
  ts: Date;
  source: string;
}

/**
 * Order Completed creates or replaces an order and its lines; Order Updated changes the fields it carries.
 * Refund and cancellation state is then recomputed from the stored Order Refunded / Order Cancelled events,
 * so it is right whatever order the events arrive in (a refund sent before its order still counts).
 */
async function applyOrderChanges(tx: Queryable, writes: readonly OrderWrite[], at: Date): Promise<void> {
  const touched = new Map<string, { customerId: string; orderId: string }>();
  for (const { customerId, change, ts, source } of writes) {
    // Order Updated leaves the status alone: an imported order may carry a status no event explains.
    if (change.event !== 'Order Updated') touched.set(`${customerId}\u0000${change.orderId}`, { customerId, orderId: change.orderId });
    if (change.event !== 'Order Completed' && change.event !== 'Order Updated') continue;
    const completed = change.event === 'Order Completed';
    await tx.execute(
      `INSERT INTO orders (customer_id, order_id, placed_at, status, total_fen, discount_fen, currency, channel, store_id, coupon_code, source, updated_at)
       VALUES ($1, $2, $3, 'completed', $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (customer_id, order_id) DO UPDATE SET
         placed_at = ${completed ? 'excluded.placed_at' : 'orders.placed_at'},
         total_fen = ${change.totalFen === undefined ? 'orders.total_fen' : 'excluded.total_fen'},
         discount_fen = ${change.discountFen === undefined ? 'orders.discount_fen' : 'excluded.discount_fen'},
         currency = ${change.currency === undefined ? 'orders.currency' : 'excluded.currency'},
         channel = COALESCE(excluded.channel, orders.channel),
         store_id = COALESCE(excluded.store_id, orders.store_id),
         coupon_code = COALESCE(excluded.coupon_code, orders.coupon_code),
         updated_at = excluded.updated_at`,
      [customerId, change.orderId, ts, change.totalFen ?? 0, change.discountFen ?? 0, change.currency ?? 'CNY', change.channel ?? null, change.storeId ?? null, change.couponCode ?? null, source, at],
    );
    if (change.items) {
      await tx.execute('DELETE FROM order_items WHERE customer_id = $1 AND order_id = $2', [customerId, change.orderId]);
      await tx.insertRows(
        'order_items',
        ['customer_id', 'order_id', 'line', 'sku', 'name', 'quantity', 'unit_price_fen', 'category', 'brand'],
        change.items.map((item, i) => [customerId, change.orderId, i + 1, item.sku, item.name, item.quantity, item.unitPriceFen, item.category, item.brand]),
      );
    }
  }
  await recomputeOrderStatus(tx, [...touched.values()], at);
}

async function recomputeOrderStatus(tx: Queryable, orders: readonly { customerId: string; orderId: string }[], at: Date): Promise<void> {
  if (orders.length === 0) return;
  const key = (customerId: string, orderId: string) => `${customerId}\u0000${orderId}`;
  const customers = [...new Set(orders.map((o) => o.customerId))];
  const list = customers.map((_, i) => `$${i + 1}`).join(',');
  const events = await tx.query<{ customer_id: string; name: 'Order Refunded' | 'Order Cancelled'; properties: unknown }>(
    `SELECT customer_id, name, properties FROM events WHERE customer_id IN (${list}) AND name IN ('Order Refunded', 'Order Cancelled')`,
    customers,
  );
  // Per order: refunds with an amount, whether one refund had none (a full refund), whether it was cancelled.
  const state = new Map<string, { refundedFen: number; fullRefund: boolean; cancelled: boolean }>();
  for (const event of events) {
    const { change } = parseOrderChange(event.name, event.properties);
    if (!change) continue;
    const k = key(event.customer_id, change.orderId);
    const s = state.get(k) ?? { refundedFen: 0, fullRefund: false, cancelled: false };
    if (event.name === 'Order Cancelled') s.cancelled = true;
    else if (change.totalFen === undefined) s.fullRefund = true;
    else s.refundedFen += change.totalFen;
    state.set(k, s);
  }
  const totals = await tx.query<{ customer_id: string; order_id: string; total_fen: number }>(
    `SELECT customer_id, order_id, total_fen FROM orders WHERE customer_id IN (${list})`,
    customers,
  );
  const totalOf = new Map(totals.map((t) => [key(t.customer_id, t.order_id), t.total_fen]));
  for (const { customerId, orderId } of orders) {
    const totalFen = totalOf.get(key(customerId, orderId));
    if (totalFen === undefined) continue; // a refund or cancellation for an order not seen yet: kept as an event, applied when the order arrives
    const s = state.get(key(customerId, orderId)) ?? { refundedFen: 0, fullRefund: false, cancelled: false };
    const refundedFen = s.fullRefund ? totalFen : Math.min(s.refundedFen, totalFen);
    const status = s.cancelled ? 'cancelled' : refundedFen > 0 && refundedFen >= totalFen ? 'refunded' : refundedFen > 0 ? 'partially_refunded' : 'completed';
    await tx.execute('UPDATE orders SET status = $3, refunded_fen = $4, updated_at = $5 WHERE customer_id = $1 AND order_id = $2', [customerId, orderId, status, refundedFen, at]);
  }
}
