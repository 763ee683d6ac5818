import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { createGzip, deflateSync, gzipSync } from 'node:zlib';
import { decodeBody } from '../../src/server/plugins/body-decoding.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { drain } from '../ingest/helpers.ts';
import { basic, countEvents, withServer } from './helpers.ts';

/** `megabytes` MB of zeros, gzip-compressed as a stream so the test itself never holds them (about 1,000:1). */
async function gzipBomb(megabytes: number): Promise<Buffer> {
  const zeros = Buffer.alloc(1024 * 1024);
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  for (let i = 0; i < megabytes; i++) if (!gzip.write(zeros)) await once(gzip, 'drain');
  gzip.end();
  await once(gzip, 'end');
  return Buffer.concat(chunks);
}

describe('decoding a compressed body', () => {
  test('a gzip bomb fails as too large after inflating little more than the limit, having read a fraction of its input', async () => {
    const bomb = await gzipBomb(200);
    const input = Readable.from(Array.from({ length: Math.ceil(bomb.length / 16384) }, (_, i) => bomb.subarray(i * 16384, (i + 1) * 16384)));
    const decoded = decodeBody(input, 'gzip', 500 * 1024) as Readable & { receivedEncodedLength: number };
    let inflatedBytes = 0;
    decoded.on('data', (chunk: Buffer) => (inflatedBytes += chunk.length));
    const [error] = (await once(decoded, 'error')) as [{ kind: string; message: string }];
    assert.equal(error.kind, 'too_large');
    assert.match(error.message, /512000 byte limit once decompressed/);
    assert.ok(inflatedBytes <= 500 * 1024, `passed on ${inflatedBytes} bytes`);
    assert.ok(decoded.receivedEncodedLength < bomb.length / 4, `read ${decoded.receivedEncodedLength} of the bomb's ${bomb.length} bytes before stopping`);
  });
});

for (const backend of BACKENDS) {
  describe(`request bodies on ${backend}`, () => {
    test('gzip- and deflate-compressed bodies are inflated and stored as sent', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const headers = { authorization: basic(key), 'content-type': 'application/json' };
          const track = { userId: 'u1', event: 'Product Viewed', messageId: 'g1', properties: { sku: 'SKU-1', title: '婴儿湿巾 80 抽' } };
          const gz = await app.inject({ method: 'POST', url: '/v1/track', headers: { ...headers, 'content-encoding': 'gzip' }, payload: gzipSync(JSON.stringify(track)) });
          assert.deepEqual([gz.statusCode, gz.json().accepted], [200, 1], gz.body);
          const batch = { batch: [{ type: 'identify', userId: 'u1', messageId: 'd1', traits: { name: '李雷' } }, { type: 'track', userId: 'u1', event: 'Cart Viewed', messageId: 'd2' }] };
          const df = await app.inject({ method: 'POST', url: '/v1/batch', headers: { ...headers, 'content-encoding': 'deflate' }, payload: deflateSync(JSON.stringify(batch)) });
          assert.deepEqual([df.statusCode, df.json().accepted], [200, 2]);
          const xg = await app.inject({ method: 'POST', url: '/v1/page', headers: { ...headers, 'content-encoding': 'X-Gzip' }, payload: gzipSync(JSON.stringify({ userId: 'u1', name: '首页', messageId: 'x1' })) });
          assert.equal(xg.statusCode, 200);
          await drain(store);
          const events = await store.query<{ message_id: string; name: string; properties: unknown }>('SELECT message_id, name, properties FROM events ORDER BY message_id');
          assert.deepEqual(
            events.map((e) => [e.message_id, e.name]),
            [['d1', null], ['d2', 'Cart Viewed'], ['g1', 'Product Viewed'], ['x1', '首页']],
          );
          assert.deepEqual(events.find((e) => e.message_id === 'g1')!.properties, track.properties);
        }),
      ));

    test('a JSON document is accepted as application/json, text/plain or application/x-www-form-urlencoded, and nothing else', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const types = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded'];
          for (const [i, type] of types.entries()) {
            const res = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(key), 'content-type': type }, payload: JSON.stringify({ userId: 'u1', event: 'Viewed', messageId: `ct${i}` }) });
            assert.deepEqual([type, res.statusCode, res.json().accepted], [type, 200, 1], res.body);
          }
          const form = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(key), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'userId=u1&event=Viewed' });
          assert.equal(form.statusCode, 400, 'form fields are not a JSON document');
          const xml = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(key), 'content-type': 'application/xml' }, payload: '<track/>' });
          assert.equal(xml.statusCode, 415);
          await drain(store);
          assert.equal(await countEvents(store), types.length);
        }),
      ));

    test('a write key in a text/plain body authenticates, as browser SDKs send it; a compressed body without a key gets 401', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const inBody = await app.inject({ method: 'POST', url: '/v1/track', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ writeKey: key, anonymousId: 'a1', event: 'Viewed' }) });
          assert.equal(inBody.statusCode, 200);
          const noKey = await app.inject({ method: 'POST', url: '/v1/track', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: gzipSync(JSON.stringify({ anonymousId: 'a1', event: 'Viewed' })) });
          assert.deepEqual([noKey.statusCode, noKey.json().code], [401, 'missing_write_key']);
        }),
      ));

    test('the short paths browser SDKs post to (/v1/t, /v1/i, /v1/p, /v1/s, /v1/g, /v1/a, /v1/b) are the same routes', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const headers = { authorization: basic(key), 'content-type': 'text/plain' };
          const calls: [string, Record<string, unknown>][] = [
            ['t', { userId: 'u1', event: 'Viewed' }],
            ['i', { userId: 'u1', traits: { name: '韩梅梅' } }],
            ['p', { userId: 'u1', name: '首页' }],
            ['s', { userId: 'u1', name: 'Home' }],
            ['g', { userId: 'u1', groupId: 'g1' }],
            ['a', { userId: 'u1', previousId: 'anon-1' }],
            ['b', { batch: [{ type: 'track', userId: 'u1', event: 'Batched' }] }],
          ];
          for (const [path, body] of calls) {
            const res = await app.inject({ method: 'POST', url: `/v1/${path}`, headers, payload: JSON.stringify(body) });
            assert.deepEqual([path, res.statusCode], [path, 200]);
          }
          const wrongType = await app.inject({ method: 'POST', url: '/v1/t', headers, payload: JSON.stringify({ type: 'identify', userId: 'u1' }) });
          assert.equal(wrongType.statusCode, 400);
          await drain(store);
          const types = await store.query<{ type: string }>('SELECT type FROM events ORDER BY type');
          assert.deepEqual(types.map((t) => t.type), ['alias', 'group', 'identify', 'page', 'screen', 'track', 'track']);
        }),
      ));

    test('the 32 KB and 500 KB limits apply to the inflated body: over them gets 413 however small it was compressed', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const headers = { authorization: basic(key), 'content-type': 'application/json', 'content-encoding': 'gzip' };
          const big = { userId: 'u1', event: 'A', properties: { blob: 'x'.repeat(40 * 1024) } };
          const single = await app.inject({ method: 'POST', url: '/v1/track', headers, payload: gzipSync(JSON.stringify(big)) });
          assert.deepEqual([single.statusCode, single.json().code], [413, 'too_large']);
          assert.match(single.json().message, /32768 byte limit once decompressed/);
          const batch = { batch: Array.from({ length: 20 }, (_, i) => ({ type: 'track', userId: 'u1', event: 'A', messageId: `m${i}`, properties: { blob: 'x'.repeat(30 * 1024) } })) };
          const compressed = gzipSync(JSON.stringify(batch));
          assert.ok(compressed.length < 32 * 1024);
          const huge = await app.inject({ method: 'POST', url: '/v1/batch', headers, payload: compressed });
          assert.deepEqual([huge.statusCode, huge.json().code], [413, 'too_large']);
          const fits = await app.inject({ method: 'POST', url: '/v1/batch', headers, payload: gzipSync(JSON.stringify({ batch: batch.batch.slice(0, 10) })) });
          assert.deepEqual([fits.statusCode, fits.json().accepted], [200, 10]);
        }),
      ));

    test('corrupt gzip gets 400, an unknown Content-Encoding gets 415, and neither stores anything', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const headers = { authorization: basic(key), 'content-type': 'application/json' };
          const body = JSON.stringify({ userId: 'u1', event: 'A' });
          const notGzip = await app.inject({ method: 'POST', url: '/v1/track', headers: { ...headers, 'content-encoding': 'gzip' }, payload: body });
          assert.deepEqual([notGzip.statusCode, notGzip.json().code], [400, 'invalid_body_encoding']);
          assert.match(notGzip.json().message, /not valid gzip data/);
          const truncated = gzipSync(body).subarray(0, 20);
          const cut = await app.inject({ method: 'POST', url: '/v1/track', headers: { ...headers, 'content-encoding': 'gzip' }, payload: truncated });
          assert.deepEqual([cut.statusCode, cut.json().code], [400, 'invalid_body_encoding']);
          const empty = await app.inject({ method: 'POST', url: '/v1/track', headers: { ...headers, 'content-encoding': 'gzip' }, payload: Buffer.alloc(0) });
          assert.equal(empty.statusCode, 400);
          const brotli = await app.inject({ method: 'POST', url: '/v1/track', headers: { ...headers, 'content-encoding': 'br' }, payload: body });
          assert.deepEqual([brotli.statusCode, brotli.json().code], [415, 'unsupported_content_encoding']);
          assert.match(brotli.json().message, /Content-Encoding "br" is not supported/);
          await drain(store);
          assert.equal(await countEvents(store), 0);
        }),
      ));

    test('a 200 MB gzip bomb sent over HTTP gets 413 without the server’s memory growing, and the server goes on serving', () =>
      withStore(backend, (store) =>
        withServer(store, async (app, key) => {
          const host = await app.listen({ port: 0, host: '127.0.0.1' });
          const bomb = await gzipBomb(200);
          const headers = { authorization: basic(key), 'content-type': 'application/json', 'content-encoding': 'gzip' };
          const rssBefore = process.memoryUsage().rss;
          for (const url of ['/v1/batch', '/v1/b']) {
            const res = await fetch(`${host}${url}`, { method: 'POST', headers, body: bomb });
            assert.equal(res.status, 413);
            assert.equal(((await res.json()) as { code: string }).code, 'too_large');
          }
          // Sent in chunks without a Content-Length, 600 KB that compression cannot shrink: refused on the compressed bytes.
          const noise = gzipSync(randomBytes(600 * 1024));
          const chunks = Array.from({ length: Math.ceil(noise.length / 65536) }, (_, i) => noise.subarray(i * 65536, (i + 1) * 65536));
          const streamed = await fetch(`${host}/v1/batch`, { method: 'POST', headers, body: Readable.toWeb(Readable.from(chunks)) as ReadableStream, duplex: 'half' } as RequestInit);
          assert.equal(streamed.status, 413);
          assert.match(((await streamed.json()) as { message: string }).message, /512000 byte limit even compressed/);
          const grownMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
          // Inflated, the bomb would add 200 MB; the process's own churn (GC timing, other suites in this process) is
          // tens of MB on a loaded machine, so the bound sits between the two.
          assert.ok(grownMb < 60, `RSS grew by ${grownMb.toFixed(1)} MB`);
          const after = await fetch(`${host}/v1/track`, { method: 'POST', headers: { ...headers, 'content-encoding': 'identity' }, body: JSON.stringify({ userId: 'u1', event: 'After' }) });
          assert.equal(after.status, 200);
        }),
      ));
  });
}
