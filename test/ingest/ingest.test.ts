import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { prepareMessage } from '../../src/ingest/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { send } from './helpers.ts';

const now = new Date('2026-11-01T00:00:00Z');

describe('message validation', () => {
  const cases: { title: string; message: unknown; path: string; message_: RegExp }[] = [
    { title: 'a track without userId or anonymousId', message: { type: 'track', event: 'X' }, path: 'userId', message_: /userId or anonymousId/ },
    { title: 'a track without an event name', message: { type: 'track', userId: 'u' }, path: 'event', message_: /expected string/ },
    { title: 'an unknown type', message: { type: 'purchase', userId: 'u' }, path: 'type', message_: /./ },
    { title: 'an unparseable timestamp', message: { type: 'track', userId: 'u', event: 'X', timestamp: 'yesterday' }, path: 'timestamp', message_: /ISO-8601/ },
    { title: 'a bad phone in traits', message: { type: 'identify', userId: 'u', traits: { phone: 'call me' } }, path: 'traits.phone', message_: /phone/ },
    { title: 'a bad email in context.traits', message: { type: 'track', userId: 'u', event: 'X', context: { traits: { email: 'x@' } } }, path: 'context.traits.email', message_: /email/ },
    { title: 'an Order Completed without order_id', message: { type: 'track', userId: 'u', event: 'Order Completed', properties: { total: 10 } }, path: 'properties.order_id', message_: /./ },
    { title: 'a negative order total', message: { type: 'track', userId: 'u', event: 'Order Completed', properties: { order_id: 'o', total: -1 } }, path: 'properties.total', message_: /negative/ },
    { title: 'a product line without sku or product_id', message: { type: 'track', userId: 'u', event: 'Order Completed', properties: { order_id: 'o', products: [{ price: 1 }] } }, path: 'properties.products[0].sku', message_: /product_id or sku/ },
    { title: 'an alias without previousId', message: { type: 'alias', userId: 'u' }, path: 'previousId', message_: /./ },
  ];
  for (const c of cases) {
    test(`rejects ${c.title} at ${c.path}`, () => {
      const result = prepareMessage(c.message, now);
      assert.equal(result.ok, false);
      if (result.ok) return;
      const detail = result.errors.find((e) => e.path === c.path);
      assert.ok(detail, `no error at ${c.path}: ${JSON.stringify(result.errors)}`);
      assert.match(detail.message, c.message_);
    });
  }

  test('rejects a message over 32 KB as too large', () => {
    const result = prepareMessage({ type: 'track', userId: 'u', event: 'X', properties: { blob: 'x'.repeat(33_000) } }, now);
    assert.ok(!result.ok && result.tooLarge);
  });

  test('a single-message route supplies the type, and refuses a message of another type', () => {
    assert.ok(prepareMessage({ userId: 'u', event: 'X' }, now, 'track').ok);
    const wrong = prepareMessage({ type: 'identify', userId: 'u' }, now, 'track');
    assert.ok(!wrong.ok && wrong.errors[0]?.path === 'type');
  });

  test('order money in yuan becomes integer fen without float drift', () => {
    const result = prepareMessage({ type: 'track', userId: 'u', event: 'Order Completed', properties: { order_id: 'o', total: 19.9, discount: '0.3', products: [{ sku: 'S', price: 10.1, quantity: 2 }] } }, now);
    assert.ok(result.ok);
    assert.equal(result.message.order?.totalFen, 1990);
    assert.equal(result.message.order?.discountFen, 30);
    assert.equal(result.message.order?.items?.[0]?.unitPriceFen, 1010);
  });
});

const completed = (orderId: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  userId: 'u1',
  event: 'Order Completed',
  timestamp: '2026-10-01T02:00:00Z',
  properties: { order_id: orderId, total: 99.5, discount: 10, coupon: 'NEW10', currency: 'cny', channel: '小程序商城', products: [{ product_id: 'SKU-1', name: '燕麦奶', price: 24.9, quantity: 2, category: '乳品' }, { sku: 'SKU-2', price: 59.7, category: '零食' }] },
  ...extra,
});

for (const backend of BACKENDS) {
  describe(`ingest on ${backend}`, () => {
    test('a repeated messageId is acknowledged as a duplicate and stored once', () =>
      withStore(backend, async (store) => {
        const message = { messageId: 'fixed-1', type: 'track', userId: 'u1', event: 'Cart Viewed' };
        assert.deepEqual(await send(store, message, message), { accepted: 1, duplicates: 1, rejected: [] });
        assert.deepEqual(await send(store, message), { accepted: 0, duplicates: 1, rejected: [] });
        const [{ n }] = (await store.query<{ n: number }>('SELECT count(*)::INTEGER AS n FROM events')) as [{ n: number }];
        assert.equal(n, 1);
      }));

    test('a batch stores its good messages and reports the bad ones by index', () =>
      withStore(backend, async (store) => {
        const report = await send(store, { type: 'track', userId: 'u1', event: 'A' }, { type: 'track', event: 'B' }, { type: 'page', anonymousId: 'x', name: '首页' });
        assert.equal(report.accepted, 2);
        assert.deepEqual(report.rejected.map((r) => [r.index, r.errors[0]?.path]), [[1, 'userId']]);
      }));

    test('Order Completed creates the order and its lines in fen, and keeps the event', () =>
      withStore(backend, async (store) => {
        await send(store, completed('o-1'));
        const orders = await store.query('SELECT customer_id, order_id, placed_at, status, total_fen, discount_fen, refunded_fen, currency, channel, coupon_code FROM orders');
        assert.deepEqual(orders, [
          { customer_id: 'u1', order_id: 'o-1', placed_at: new Date('2026-10-01T02:00:00Z'), status: 'completed', total_fen: 9950, discount_fen: 1000, refunded_fen: 0, currency: 'CNY', channel: '小程序商城', coupon_code: 'NEW10' },
        ]);
        const items = await store.query('SELECT line, sku, quantity, unit_price_fen, category FROM order_items ORDER BY line');
        assert.deepEqual(items, [
          { line: 1, sku: 'SKU-1', quantity: 2, unit_price_fen: 2490, category: '乳品' },
          { line: 2, sku: 'SKU-2', quantity: 1, unit_price_fen: 5970, category: '零食' },
        ]);
        const events = await store.query('SELECT name FROM events');
        assert.deepEqual(events, [{ name: 'Order Completed' }]);
      }));

    test('refunds and cancellations update the order whatever order the events arrive in', () =>
      withStore(backend, async (store) => {
        await send(store, completed('o-1'), completed('o-2'), completed('o-3'));
        await send(store, { type: 'track', userId: 'u1', event: 'Order Refunded', properties: { order_id: 'o-1', total: 20 } });
        await send(store, { type: 'track', userId: 'u1', event: 'Order Refunded', properties: { order_id: 'o-2' } });
        await send(store, { type: 'track', userId: 'u1', event: 'Order Cancelled', properties: { order_id: 'o-3' } });
        // a refund that arrives before its order
        await send(store, { type: 'track', userId: 'u1', event: 'Order Refunded', properties: { order_id: 'o-4', total: 99.5 } });
        await send(store, completed('o-4'));
        await send(store, { type: 'track', userId: 'u1', event: 'Order Updated', properties: { order_id: 'o-1', coupon: 'VIP' } });
        const rows = await store.query('SELECT order_id, status, total_fen, refunded_fen, coupon_code FROM orders ORDER BY order_id');
        assert.deepEqual(rows, [
          { order_id: 'o-1', status: 'partially_refunded', total_fen: 9950, refunded_fen: 2000, coupon_code: 'VIP' },
          { order_id: 'o-2', status: 'refunded', total_fen: 9950, refunded_fen: 9950, coupon_code: 'NEW10' },
          { order_id: 'o-3', status: 'cancelled', total_fen: 9950, refunded_fen: 0, coupon_code: 'NEW10' },
          { order_id: 'o-4', status: 'refunded', total_fen: 9950, refunded_fen: 9950, coupon_code: 'NEW10' },
        ]);
      }));

    test('ecommerce browse events are stored as events without touching orders', () =>
      withStore(backend, async (store) => {
        const names = ['Product Viewed', 'Product Added', 'Cart Viewed', 'Checkout Started', 'Coupon Applied'];
        await send(store, ...names.map((event) => ({ type: 'track', anonymousId: 'a', event, properties: { product_id: 'SKU-1' } })));
        const rows = await store.query<{ name: string }>('SELECT name FROM events ORDER BY name');
        assert.deepEqual(rows.map((r) => r.name), [...names].sort());
        assert.deepEqual(await store.query('SELECT * FROM orders'), []);
      }));
  });
}
