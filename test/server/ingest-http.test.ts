import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Analytics } from '@segment/analytics-node';
import { createWriteKey, revokeWriteKey } from '../../src/ingest/index.ts';
import { buildServer } from '../../src/server/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { drain } from '../ingest/helpers.ts';

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

async function withServer(store: Store, fn: (app: Awaited<ReturnType<typeof buildServer>>, key: string) => Promise<void>) {
  const { key } = await createWriteKey(store, 'mini-program');
  const app = await buildServer({ store });
  try {
    await fn(app, key);
  } finally {
    await app.close();
  }
}

const count = async (store: Store, sql: string) => ((await store.query<{ n: number }>(sql))[0] as { n: number }).n;

for (const backend of BACKENDS) {
  describe(`HTTP ingest on ${backend}`, () => {
    test('a track with a good write key is stored and acknowledged with 200', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const res = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(key) }, payload: { userId: 'u1', event: 'Cart Viewed', messageId: 'm1' } });
          assert.equal(res.statusCode, 200);
          assert.deepEqual(res.json(), { success: true, accepted: 1, duplicates: 0, rejected: [] });
          await drain(store);
          const [event] = await store.query('SELECT customer_id, type, name, source FROM events');
          assert.deepEqual(event, { customer_id: 'u1', type: 'track', name: 'Cart Viewed', source: 'mini-program' });
        }),
      ));

    test('a missing, unknown or revoked write key gets 401 and stores nothing', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const payload = { userId: 'u1', event: 'X' };
          const missing = await app.inject({ method: 'POST', url: '/v1/track', payload });
          const unknown = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic('syk_nope') }, payload });
          assert.deepEqual([missing.statusCode, missing.json().code], [401, 'missing_write_key']);
          assert.deepEqual([unknown.statusCode, unknown.json().code], [401, 'invalid_write_key']);
          const other = await createWriteKey(store, 'pos');
          await revokeWriteKey(store, other.keyId);
          const revoked = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(other.key) }, payload });
          assert.equal(revoked.statusCode, 401);
          assert.equal(await count(store, 'SELECT count(*)::INTEGER AS n FROM events'), 0);
          const ok = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(key) }, payload });
          assert.equal(ok.statusCode, 200);
        }),
      ));

    test('an invalid message gets 400 with every problem as {path, message}', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const res = await app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic(key) }, payload: { traits: { phone: 'abc' } } });
          assert.equal(res.statusCode, 400);
          const body = res.json();
          assert.equal(body.code, 'invalid_message');
          assert.deepEqual(body.errors.map((e: { path: string }) => e.path), ['userId']);
          const bad = await app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic(key) }, payload: { userId: 'u', traits: { phone: 'abc' } } });
          assert.deepEqual(bad.json().errors, [{ path: 'traits.phone', message: 'not a valid phone number: "abc"' }]);
        }),
      ));

    test('a batch keeps its good messages and names the bad ones by index', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const batch = [
            { type: 'track', userId: 'u1', event: 'A', messageId: 'b1' },
            { type: 'track', userId: 'u1', messageId: 'b2' },
            { type: 'identify', anonymousId: 'x', messageId: 'b3', traits: { email: 'nope' } },
            { type: 'page', anonymousId: 'x', messageId: 'b4' },
          ];
          const res = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(key) }, payload: { batch } });
          assert.equal(res.statusCode, 200);
          const body = res.json();
          assert.equal(body.accepted, 2);
          assert.deepEqual(body.rejected, [
            { index: 1, errors: [{ path: 'batch[1].event', message: 'Invalid input: expected string, received undefined' }] },
            { index: 2, errors: [{ path: 'batch[2].traits.email', message: 'not a valid email address: "nope"' }] },
          ]);
          const allBad = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(key) }, payload: { batch: [{ type: 'track' }] } });
          assert.equal(allBad.statusCode, 400);
          assert.deepEqual(allBad.json().errors.map((e: { path: string }) => e.path), ['batch[0].userId', 'batch[0].event']);
          const notBatch = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(key) }, payload: { messages: [] } });
          assert.deepEqual([notBatch.statusCode, notBatch.json().errors[0].path], [400, 'batch']);
        }),
      ));

    test('a duplicate messageId is acknowledged with 200 but stored once', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const send = () => app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(key) }, payload: { userId: 'u1', event: 'A', messageId: 'same' } });
          assert.equal((await send()).json().accepted, 1);
          const again = await send();
          assert.deepEqual([again.statusCode, again.json().duplicates], [200, 1], 'a duplicate of a message still in the inbox');
          await drain(store);
          const third = await send();
          assert.deepEqual([third.statusCode, third.json().duplicates], [200, 1], 'a duplicate of a processed message');
          await drain(store);
          assert.equal(await count(store, 'SELECT count(*)::INTEGER AS n FROM events'), 1);
        }),
      ));

    test('over 32 KB per message or 500 KB per batch gets 413', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const headers = { authorization: basic(key) };
          const big = { userId: 'u1', event: 'A', properties: { blob: 'x'.repeat(33 * 1024) } };
          const single = await app.inject({ method: 'POST', url: '/v1/track', headers, payload: big });
          assert.equal(single.statusCode, 413);
          const inBatch = await app.inject({ method: 'POST', url: '/v1/batch', headers, payload: { batch: [{ type: 'track', ...big }] } });
          assert.deepEqual([inBatch.statusCode, inBatch.json().code], [413, 'message_too_large']);
          const batch = Array.from({ length: 20 }, (_, i) => ({ type: 'track', userId: 'u1', event: 'A', messageId: `m${i}`, properties: { blob: 'x'.repeat(30 * 1024) } }));
          const huge = await app.inject({ method: 'POST', url: '/v1/batch', headers, payload: { batch } });
          assert.equal(huge.statusCode, 413);
          assert.equal(await count(store, 'SELECT count(*)::INTEGER AS n FROM events'), 0);
        }),
      ));

    test('GET /health answers with the backend, and GET /docs serves the OpenAPI document', () =>
      withStore(backend, (store) =>
        withServer(store, async (app) => {
          const health = await app.inject('/health');
          assert.equal(health.statusCode, 200);
          assert.equal(health.json().backend, backend);
          assert.deepEqual(health.json().inbox, { pending: 0 });
          const docs = await app.inject('/docs');
          const doc = docs.json();
          assert.match(doc.openapi, /^3\./);
          for (const path of ['/v1/identify', '/v1/track', '/v1/page', '/v1/screen', '/v1/group', '/v1/alias', '/v1/batch', '/health']) assert.ok(doc.paths[path], path);
          assert.ok(doc.paths['/v1/track'].post.requestBody.content['application/json'].schema.properties.event);
        }),
      ));

    test('the official @segment/analytics-node client works unchanged against Siyu', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const host = await app.listen({ port: 0, host: '127.0.0.1' });
          const errors: unknown[] = [];
          const analytics = new Analytics({ writeKey: key, host, flushAt: 3, maxRetries: 0 });
          analytics.on('error', (error) => errors.push(error));
          analytics.identify({ userId: 'u7', traits: { phone: '13700137000', name: '赵敏' } });
          analytics.track({ anonymousId: 'anon-7', event: 'Product Viewed', properties: { product_id: 'SKU-9', category: '母婴' } });
          analytics.alias({ previousId: 'anon-7', userId: 'u7' });
          analytics.page({ userId: 'u7', name: '会员中心' });
          analytics.track({ userId: 'u7', event: 'Order Completed', properties: { order_id: 'A-1', total: 128, products: [{ product_id: 'SKU-9', price: 64, quantity: 2 }] } });
          await analytics.closeAndFlush({ timeout: 10_000 });
          assert.deepEqual(errors, []);
          await drain(store);
          const events = await store.query<{ customer_id: string; type: string }>('SELECT customer_id, type FROM events ORDER BY type');
          assert.deepEqual(events.map((e) => `${e.customer_id}/${e.type}`), ['u7/alias', 'u7/identify', 'u7/page', 'u7/track', 'u7/track']);
          const [order] = await store.query('SELECT customer_id, total_fen FROM orders');
          assert.deepEqual(order, { customer_id: 'u7', total_fen: 12800 });
        }),
      ));
  });
}
