import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWriteKey, isOriginAllowed, listWriteKeys, revokeWriteKey, updateWriteKeyOrigins, WriteKeyVerifier } from '../../src/ingest/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const rejects = async (promise: Promise<unknown>, code: string, path?: string) => {
  await assert.rejects(promise, (error: { code: string; details: { path?: string }[] }) => {
    assert.equal(error.code, code);
    if (path) assert.deepEqual(error.details.map((d) => d.path), [path]);
    return true;
  });
};

describe('allowed origins', () => {
  const cases: [title: string, allowed: string[], origin: string, expected: boolean][] = [
    ['an exact match', ['https://shop.example'], 'https://shop.example', true],
    ['another scheme', ['https://shop.example'], 'http://shop.example', false],
    ['another port', ['http://localhost:5173'], 'http://localhost:5174', false],
    ['a subdomain', ['https://shop.example'], 'https://m.shop.example', false],
    ['any origin under "*"', ['*'], 'https://whatever.example', true],
    ['an empty list', [], 'https://shop.example', false],
    ['a browser that writes the host in capitals', ['https://shop.example'], 'https://SHOP.example', true],
  ];
  for (const [title, allowed, origin, expected] of cases) {
    test(`${title} is ${expected ? 'allowed' : 'refused'}`, () => assert.equal(isOriginAllowed(allowed, origin), expected));
  }
});

for (const backend of BACKENDS) {
  describe(`write key origins on ${backend}`, () => {
    test('origins given at creation are normalised, listed with the key, and seen by the verifier', () =>
      withStore(backend, async (store) => {
        const created = await createWriteKey(store, 'web', { allowedOrigins: ['https://Shop.Example/', 'http://localhost:5173', '*', 'https://shop.example'] });
        assert.deepEqual(created.allowedOrigins, ['*', 'http://localhost:5173', 'https://shop.example']);
        const plain = await createWriteKey(store, 'pos');
        assert.deepEqual(plain.allowedOrigins, []);
        const listed = (await listWriteKeys(store)).sort((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(listed.map((k) => [k.name, k.allowedOrigins]), [['pos', []], ['web', ['*', 'http://localhost:5173', 'https://shop.example']]]);
        const verified = await new WriteKeyVerifier(store).verify(created.key);
        assert.deepEqual(verified, { keyId: created.keyId, name: 'web', allowedOrigins: ['*', 'http://localhost:5173', 'https://shop.example'] });
      }));

    test('origins are replaced, added to and removed from; an unknown or revoked key is not found', () =>
      withStore(backend, async (store) => {
        const { keyId } = await createWriteKey(store, 'web', { allowedOrigins: ['https://a.example'] });
        assert.deepEqual(await updateWriteKeyOrigins(store, keyId, { add: ['https://b.example', 'https://a.example'] }), ['https://a.example', 'https://b.example']);
        assert.deepEqual(await updateWriteKeyOrigins(store, keyId, { remove: ['https://a.example'] }), ['https://b.example']);
        assert.deepEqual(await updateWriteKeyOrigins(store, keyId, { set: ['https://c.example'], add: ['https://d.example'] }), ['https://c.example', 'https://d.example']);
        assert.deepEqual(await updateWriteKeyOrigins(store, keyId, { set: [] }), []);
        assert.deepEqual((await listWriteKeys(store))[0]!.allowedOrigins, []);
        await rejects(updateWriteKeyOrigins(store, 'nope', { add: ['https://a.example'] }), 'write_key_not_found');
        await revokeWriteKey(store, keyId);
        await rejects(updateWriteKeyOrigins(store, keyId, { add: ['https://a.example'] }), 'write_key_not_found');
      }));

    describe('an origin that is not one is refused, naming it, and nothing is written', () => {
      const bad: [title: string, origins: string[], path: string][] = [
        ['a URL with a path', ['https://shop.example/app'], 'origins[0]'],
        ['a host without a scheme', ['https://ok.example', 'shop.example'], 'origins[1]'],
        ['a scheme other than http or https', ['ftp://shop.example'], 'origins[0]'],
        ['a wildcard inside a host', ['https://*.shop.example'], 'origins[0]'],
        ['an empty string', [''], 'origins[0]'],
        ['a query string', ['https://shop.example?x=1'], 'origins[0]'],
      ];
      for (const [title, origins, path] of bad) {
        test(title, () =>
          withStore(backend, async (store) => {
            await rejects(createWriteKey(store, 'web', { allowedOrigins: origins }), 'invalid_origin', path);
            assert.deepEqual(await listWriteKeys(store), []);
          }));
      }
    });
  });
}
