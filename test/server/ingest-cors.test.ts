import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWriteKey } from '../../src/ingest/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { drain } from '../ingest/helpers.ts';
import { basic, countEvents, withServer } from './helpers.ts';

const SHOP = 'https://shop.example';
const track = (messageId: string) => JSON.stringify({ userId: 'u1', event: 'Viewed', messageId });

for (const backend of BACKENDS) {
  describe(`CORS on the ingest routes on ${backend}`, () => {
    test('a preflight is answered for every ingest path and any origin, since it carries no write key', () =>
      withStore(backend, (store) =>
        withServer(store, async (app) => {
          for (const url of ['/v1/track', '/v1/t', '/v1/identify', '/v1/batch', '/v1/b']) {
            const res = await app.inject({
              method: 'OPTIONS',
              url,
              headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-retry-count' },
            });
            assert.equal(res.statusCode, 204, url);
            assert.equal(res.headers['access-control-allow-origin'], 'https://anywhere.example');
            assert.equal(res.headers['access-control-allow-methods'], 'POST, OPTIONS');
            assert.equal(res.headers['access-control-allow-headers'], 'authorization,content-type,x-retry-count');
            assert.equal(res.headers['access-control-max-age'], '7200');
          }
          const resource = await app.inject({ method: 'OPTIONS', url: '/v1/customers/u1', headers: { origin: SHOP, 'access-control-request-method': 'GET' } });
          assert.equal(resource.statusCode, 404, 'only the ingest routes get CORS');
          assert.equal(resource.headers['access-control-allow-origin'], undefined);
        }),
      ));

    test("a request from an origin the write key allows is stored and readable by the page; any other origin gets 403 without CORS headers", () =>
      withStore(backend, (store) =>
        withServer(
          store,
          async (app, key) => {
            const send = (origin: string, messageId: string) =>
              app.inject({ method: 'POST', url: '/v1/t', headers: { origin, 'content-type': 'text/plain', authorization: basic(key) }, payload: track(messageId) });
            const allowed = await send(SHOP, 'c1');
            assert.equal(allowed.statusCode, 200);
            assert.equal(allowed.headers['access-control-allow-origin'], SHOP);
            assert.match(String(allowed.headers.vary), /Origin/);
            for (const [origin, id] of [['https://evil.example', 'c2'], ['http://shop.example', 'c3'], ['https://shop.example:8443', 'c4'], ['null', 'c5']] as const) {
              const refused = await send(origin, id);
              assert.deepEqual([origin, refused.statusCode, refused.json().code], [origin, 403, 'origin_not_allowed']);
              assert.equal(refused.headers['access-control-allow-origin'], undefined);
            }
            assert.match((await send('https://evil.example', 'c6')).json().message, /does not allow requests from https:\/\/evil\.example; allow it with: siyu keys update [\w-]+ --add-origin https:\/\/evil\.example/);
            const invalid = await app.inject({ method: 'POST', url: '/v1/track', headers: { origin: SHOP, 'content-type': 'text/plain', authorization: basic(key) }, payload: JSON.stringify({ event: 'No one' }) });
            assert.equal(invalid.statusCode, 400);
            assert.equal(invalid.headers['access-control-allow-origin'], SHOP, 'the page can read why its message was refused');
            await drain(store);
            assert.deepEqual((await store.query<{ message_id: string }>('SELECT message_id FROM events')).map((e) => e.message_id), ['c1']);
          },
          [SHOP, 'https://m.shop.example'],
        ),
      ));

    test('a key with no origins refuses every browser request, "*" allows every origin, and requests without Origin pass either way', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, closedKey) => {
          const open = await createWriteKey(store, 'any-site', { allowedOrigins: ['*'] });
          const send = (key: string, origin: string | undefined, messageId: string) =>
            app.inject({ method: 'POST', url: '/v1/track', headers: { 'content-type': 'application/json', authorization: basic(key), ...(origin ? { origin } : {}) }, payload: track(messageId) });
          assert.equal((await send(closedKey, SHOP, 'n1')).statusCode, 403);
          assert.equal((await send(closedKey, undefined, 'n2')).statusCode, 200);
          const anywhere = await send(open.key, 'https://whatever.example', 'n3');
          assert.equal(anywhere.statusCode, 200);
          assert.equal(anywhere.headers['access-control-allow-origin'], 'https://whatever.example');
          assert.equal((await send(open.key, undefined, 'n4')).statusCode, 200);
          const badKey = await send('syk_unknown', SHOP, 'n5');
          assert.equal(badKey.statusCode, 401);
          assert.equal(badKey.headers['access-control-allow-origin'], undefined);
          await drain(store);
          assert.equal(await countEvents(store), 3);
        }),
      ));
  });
}
