import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { siyuInProcess as siyu } from '../helpers/cli.ts';

for (const backend of BACKENDS) {
  describe(`siyu keys on ${backend}`, () => {
    test('create takes --origin, list shows the origins, update replaces, adds to, removes from and clears them', () =>
      withStore(backend, async (store) => {
        const created = JSON.parse((await siyu(store, 'keys', 'create', 'web', '--origin', 'https://shop.example', '--origin', 'http://localhost:5173', '--json')).stdout);
        assert.deepEqual(created.allowedOrigins, ['http://localhost:5173', 'https://shop.example']);
        const id: string = created.keyId;
        await siyu(store, 'keys', 'create', 'pos');
        const listed = (await siyu(store, 'keys', 'list')).stdout.split('\n');
        assert.match(listed[0]!, /^ID\s+NAME\s+SCOPES\s+DATA SCOPE\s+LAST USED\s+STATUS\s+BROWSER ORIGINS$/);
        assert.match(listed.find((l) => l.startsWith(id))!, /web .* active\s+http:\/\/localhost:5173 https:\/\/shop\.example$/);
        assert.match(listed.find((l) => l.includes(' pos '))!, /active\s+-$/);

        const added = await siyu(store, 'keys', 'update', id, '--add-origin', 'https://M.shop.example', '--remove-origin', 'http://localhost:5173');
        assert.equal(added.stdout, `write key ${id} allows browser pages at https://m.shop.example, https://shop.example\n`);
        assert.deepEqual(JSON.parse((await siyu(store, 'keys', 'update', id, '--origin', '*', '--json')).stdout), { keyId: id, allowedOrigins: ['*'] });
        assert.equal((await siyu(store, 'keys', 'update', id, '--clear-origins')).stdout, `write key ${id} allows no browser origin\n`);
      }));

    test('a bad origin, an unknown key or no change is one clear error with exit code 2 or 3', () =>
      withStore(backend, async (store) => {
        const bad = await siyu(store, 'keys', 'create', 'web', '--origin', 'https://shop.example/app');
        assert.equal(bad.exitCode, 2);
        assert.match(bad.stderr, /origins\[0\]: "https:\/\/shop\.example\/app" is not an origin; write an origin as scheme:\/\/host\[:port\]/);
        const unknown = await siyu(store, 'keys', 'update', 'nope', '--add-origin', 'https://a.example');
        assert.deepEqual([unknown.exitCode, unknown.stderr.split('\n')[0]], [3, 'siyu: no active write key with id nope (see: siyu keys list)']);
        const nothing = await siyu(store, 'keys', 'update', 'nope');
        assert.equal(nothing.exitCode, 2);
        assert.match(nothing.stderr, /nothing to change/);
      }));
  });
}
