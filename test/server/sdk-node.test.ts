import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { openedEvents, openedTraits } from '../helpers/pii.ts';
import { drain } from '../ingest/helpers.ts';
import { withServer } from './helpers.ts';

type Stored = { type: string; name: string | null; customer_id: string; properties: Record<string, unknown>; context: Record<string, unknown>; source: string };

for (const backend of BACKENDS) {
  describe(`Segment-compatible Node SDKs on ${backend}`, () => {
    // RudderStack's client gzips each batch and posts the Buffer through axios, which labels it
    // application/x-www-form-urlencoded: the request Siyu answered with 415 before it decoded bodies as Segment does.
    test('RudderStack’s Node SDK, gzip on by default, delivers every call type unchanged', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const seen: string[] = [];
          app.addHook('onRequest', async (request) => {
            seen.push(`${request.method} ${request.url} ${request.headers['content-type']} ${request.headers['content-encoding']}`);
          });
          const host = await app.listen({ port: 0, host: '127.0.0.1' });
          const errors: unknown[] = [];
          const analytics = new RudderAnalytics(key, { dataPlaneUrl: host, flushAt: 100, flushInterval: 60_000, retryCount: 0, logLevel: 'error', errorHandler: (error) => errors.push(error) });
          analytics.identify({ userId: 'u9', traits: { phone: '13900139000', name: '钱多多', city: '杭州' } });
          analytics.track({ anonymousId: 'anon-9', event: 'Product Viewed', properties: { product_id: 'SKU-9', category: '母婴', price: 64 } });
          analytics.alias({ previousId: 'anon-9', userId: 'u9' });
          analytics.page({ userId: 'u9', name: '会员中心', properties: { path: '/member', title: '会员中心' } });
          analytics.screen({ userId: 'u9', name: 'Cart', properties: { items: 2 } });
          analytics.group({ userId: 'u9', groupId: 'store-101', traits: { name: '西湖店' } });
          analytics.track({ userId: 'u9', event: 'Order Completed', properties: { order_id: 'R-1', total: 128, currency: 'CNY', products: [{ product_id: 'SKU-9', price: 64, quantity: 2 }] } });
          await analytics.flush();
          assert.deepEqual(errors, []);
          // It sends its first message at once and the rest in a second batch.
          assert.deepEqual(new Set(seen), new Set(['POST /v1/batch application/x-www-form-urlencoded gzip']));
          await drain(store);

          const events = await openedEvents(store, await store.query<Stored & { message_id: string }>('SELECT type, name, customer_id, properties, context, source, message_id FROM events'));
          assert.deepEqual(
            events.map((e) => `${e.customer_id}/${e.type}/${e.name}`).sort(),
            ['u9/alias/null', 'u9/group/null', 'u9/identify/null', 'u9/page/会员中心', 'u9/screen/Cart', 'u9/track/Order Completed', 'u9/track/Product Viewed'],
          );
          const byName = (name: string) => events.find((e) => e.name === name)!;
          assert.deepEqual(byName('Product Viewed').properties, { product_id: 'SKU-9', category: '母婴', price: 64 });
          assert.deepEqual(byName('会员中心').properties, { path: '/member', title: '会员中心' });
          assert.deepEqual(byName('Cart').properties, { items: 2 });
          assert.deepEqual(events.find((e) => e.type === 'group')!.properties, { groupId: 'store-101', traits: { name: '西湖店' } });
          assert.deepEqual(events.find((e) => e.type === 'alias')!.properties, { previousId: 'anon-9' });
          assert.equal((byName('Product Viewed').context.library as { name: string }).name, 'analytics-node', 'RudderStack names its library after Segment’s');
          assert.ok(events.every((e) => e.source === 'web'));
          const [customer] = await store.query<{ traits: Record<string, unknown> }>(`SELECT traits FROM customers WHERE customer_id = 'u9'`);
          assert.deepEqual(await openedTraits(store, customer!.traits), { phone: '13900139000', name: '钱多多', city: '杭州' });
          const [order] = await store.query('SELECT customer_id, order_id, total_fen FROM orders');
          assert.deepEqual(order, { customer_id: 'u9', order_id: 'R-1', total_fen: 12800 });
        }),
      ));
  });
}
