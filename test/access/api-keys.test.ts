import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { createApiKey, listApiKeys, listAudit, parseExpiry, revokeApiKey } from '../../src/access/index.ts';
import { isSiyuError } from '../../src/core/errors.ts';
import { buildServer } from '../../src/server/index.ts';
import { migrate, openStore } from '../../src/store/index.ts';
import { BACKENDS, freshLocation, withStore } from '../helpers/backends.ts';
import { runCli } from './helpers.ts';

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

test('--expires-in takes days, weeks or hours, or never', () => {
  assert.deepEqual([parseExpiry('90d'), parseExpiry('2w'), parseExpiry('36h'), parseExpiry('7'), parseExpiry('never')], [90, 14, 1.5, 7, undefined]);
  for (const bad of ['0d', '-3d', '3m', 'soon']) assert.throws(() => parseExpiry(bad), (e: unknown) => isSiyuError(e) && e.code === 'invalid_expiry', bad);
});

for (const backend of BACKENDS) {
  describe(`API keys on ${backend}`, () => {
    test('migration 025 turns write keys into ingest:write keys that keep working with Segment Basic auth', async () => {
      const { location, cleanup } = freshLocation(backend);
      const store = await openStore(location);
      try {
        await migrate(store, { through: 24 });
        // A write key as `siyu keys create` made them before 025: syk_ + 32 characters, id the 8 after the prefix.
        const key = 'syk_Oldkey01abcdefghijklmnopqrstuvwx';
        const hash = createHash('sha256').update(key).digest('hex');
        const at = new Date('2026-01-01T00:00:00Z');
        await store.execute('INSERT INTO write_keys (key_id, name, key_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, NULL), ($5, $6, $7, $4, $4)', ['Oldkey01', 'mini-program', hash, at, 'Gonekey1', 'old pos', 'x'.repeat(64)]);
        await migrate(store);
        const keys = await listApiKeys(store);
        assert.deepEqual(keys.map((k) => [k.keyId, k.name, k.scopes, k.revokedAt !== null, k.createdAt.toISOString()]), [
          ['Gonekey1', 'old pos', ['ingest:write'], true, at.toISOString()],
          ['Oldkey01', 'mini-program', ['ingest:write'], false, at.toISOString()],
        ]);
        const app = await buildServer({ store });
        try {
          const res = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(key) }, payload: { userId: 'u1', event: 'Cart Viewed', messageId: 'm1' } });
          assert.equal(res.statusCode, 200, res.body);
          assert.ok((await listApiKeys(store)).find((k) => k.keyId === 'Oldkey01')!.lastUsedAt, 'last use recorded');
          const asBearer = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: `Bearer ${key}` }, payload: { userId: 'u1', event: 'Cart Viewed', messageId: 'm2' } });
          assert.equal(asBearer.statusCode, 200, 'ingest takes the key as Bearer too');
          const onResource = await app.inject({ url: '/v1/segments', headers: { authorization: `Bearer ${key}` } });
          assert.deepEqual([onResource.statusCode, onResource.json().code], [403, 'missing_permission'], 'a write key reads nothing');
          assert.match(onResource.json().message, /segments:read/);
        } finally {
          await app.close();
        }
      } finally {
        await store.close();
        await cleanup();
      }
    });

    test('a missing, unknown, expired or revoked key gets 401; a key without the scope gets 403 naming it', () =>
      withStore(backend, async (store) => {
        const reader = await createApiKey(store, { name: 'crm sync', scopes: ['customers:read', 'segments:read'], expiresInDays: 30 }, 'test');
        assert.match(reader.key, /^syk_[\w-]{32}$/);
        assert.equal(reader.keyId, reader.key.slice(4, 12));
        const app = await buildServer({ store });
        try {
          const get = (authorization?: string, url = '/v1/segments') => app.inject({ url, headers: authorization ? { authorization } : {} });
          assert.equal((await get(`Bearer ${reader.key}`)).statusCode, 200);
          const cases: [string, string | undefined, number, string][] = [
            ['no credential', undefined, 401, 'unauthenticated'],
            ['an unknown key', 'Bearer syk_unknownkeyunknownkeyunknownkeyab', 401, 'invalid_key'],
            ['a key with the right id and wrong rest', `Bearer ${reader.key.slice(0, 12)}${'A'.repeat(24)}`, 401, 'invalid_key'],
            ['Basic auth off the ingest routes', basic(reader.key), 401, 'unsupported_authorization'],
            ['a key without the scope', `Bearer ${reader.key}`, 403, 'missing_permission'],
          ];
          for (const [title, authorization, status, code] of cases) {
            const res = await get(authorization, title === 'a key without the scope' ? '/v1/churn/warnings' : '/v1/segments');
            assert.deepEqual([res.statusCode, res.json().code], [status, code], title);
          }
          assert.deepEqual((await get(`Bearer ${reader.key}`, '/v1/churn/warnings')).json().errors, [{ path: 'permission', message: 'predictions:read' }]);

          const brief = await createApiKey(store, { name: 'brief', scopes: ['segments:read'], expiresInDays: 0.5 / 86_400 }, 'test');
          assert.equal((await get(`Bearer ${brief.key}`)).statusCode, 200, 'within its half second');
          await new Promise((resolve) => setTimeout(resolve, 600));
          const expired = await get(`Bearer ${brief.key}`);
          assert.deepEqual([expired.statusCode, expired.json().code], [401, 'key_expired'], 'expiry is checked on every request, cached or not');
          await revokeApiKey(store, reader.keyId, 'user:admin');
          assert.equal((await get(`Bearer ${reader.key}`)).json().code, 'key_revoked', 'refused at once, not after a cache expires');
          await assert.rejects(revokeApiKey(store, reader.keyId, 'user:admin'), (e: unknown) => isSiyuError(e) && e.kind === 'not_found');
          assert.deepEqual((await listAudit(store, { action: 'key.' })).filter((e) => e.target === reader.keyId).map((e) => [e.action, e.actor]), [['key.revoke', 'user:admin'], ['key.create', 'test']]);

          const pii = await createApiKey(store, { name: 'events only', scopes: ['customers:read'] }, 'test');
          const ingest = await app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(pii.key) }, payload: { userId: 'u1', event: 'x' } });
          assert.deepEqual([ingest.statusCode, ingest.json().code], [403, 'missing_permission'], 'ingest needs ingest:write');
        } finally {
          await app.close();
        }
      }));

    test('keys are created, listed and revoked over HTTP and by siyu keys; nobody grants a scope they lack', () =>
      withStore(backend, async (store) => {
        const admin = await createApiKey(store, { name: 'ops', scopes: ['keys:read', 'keys:write', 'customers:read'] }, 'test');
        const app = await buildServer({ store });
        try {
          const headers = { authorization: `Bearer ${admin.key}` };
          const created = await app.inject({ method: 'POST', url: '/v1/keys', headers, payload: { name: 'kiosk', scopes: ['customers:read'], expiresInDays: 7 } });
          assert.equal(created.statusCode, 201, created.body);
          assert.match(created.json().key, /^syk_/);
          const beyond = await app.inject({ method: 'POST', url: '/v1/keys', headers, payload: { name: 'escalate', scopes: ['admin'] } });
          assert.deepEqual([beyond.statusCode, beyond.json().code], [403, 'cannot_grant']);
          const listed = (await app.inject({ url: '/v1/keys', headers })).json().keys as { keyId: string; name: string; key?: string; key_hash?: string }[];
          assert.deepEqual(listed.map((k) => k.name), ['ops', 'kiosk']);
          assert.ok(listed.every((k) => k.key === undefined && k.key_hash === undefined), 'never the key or its hash');
          assert.equal((await app.inject({ method: 'DELETE', url: `/v1/keys/${created.json().keyId}`, headers })).statusCode, 200);
        } finally {
          await app.close();
        }
        const cli = await runCli(store, ['keys', 'create', 'pos', '--scope', 'ingest:write', '--scope', 'customers:read', '--expires-in', '90d', '--json']);
        assert.equal(cli.exitCode, 0, cli.stderr);
        const made = JSON.parse(cli.stdout);
        assert.deepEqual(made.scopes, ['customers:read', 'ingest:write']);
        assert.ok(Math.abs(new Date(made.expiresAt).getTime() - Date.now() - 90 * 86_400_000) < 60_000);
        const list = await runCli(store, ['keys', 'list']);
        assert.match(list.stdout, new RegExp(`${made.keyId}\\s+pos\\s+customers:read ingest:write\\s+all\\s+never\\s+active until`));
        assert.match(list.stdout, /kiosk .* revoked/);
        const bad = await runCli(store, ['keys', 'create', 'x', '--scope', 'everything']);
        assert.equal(bad.exitCode, 2);
        assert.match(bad.stderr, /scopes\[0\]/);
        assert.equal((await runCli(store, ['keys', 'create', 'default'])).exitCode, 0);
        assert.deepEqual((await listApiKeys(store)).find((k) => k.name === 'default')!.scopes, ['ingest:write'], 'the default scope keeps old usage working');
      }));
  });
}
