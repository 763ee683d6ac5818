import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getUser, listApiKeys, listAudit, listRoles, listUsers, PERMISSION_CODES, verifyAudit } from '../../src/access/index.ts';
import { buildServerAs, jsonCaller } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

// The administration routes answer through their response schemas: each answer is what the domain returns (as JSON),
// and none carries a password hash, a TOTP secret or a key, except the one answer that creates a key.

const json = (value: unknown) => JSON.parse(JSON.stringify(value));

for (const backend of BACKENDS) {
  describe(`the access routes on ${backend}`, () => {
    test('users, roles, API keys and the audit log answer what the domain returns, and no secret', () =>
      withStore(backend, async (store) => {
        const app = await buildServerAs(store);
        try {
          const call = jsonCaller(app);

          const created = await call('POST', '/v1/users', { username: 'ana', password: 'a long passphrase', roles: ['analyst'], dataScope: { kind: 'stores', stores: ['S1'] } }, 201);
          assert.deepEqual(created, json(await getUser(store, 'ana')));
          assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'dataScope', 'displayName', 'hasTotp', 'isDisabled', 'roles', 'updatedAt', 'userId', 'username']);
          assert.deepEqual((await call('PATCH', '/v1/users/ana', { displayName: '安娜' })).displayName, '安娜');
          assert.deepEqual(await call('POST', '/v1/users/ana/reset-password', { password: 'another passphrase' }), { reset: true });
          assert.deepEqual(await call('POST', '/v1/users/ana/totp-reset'), { reset: true });
          assert.deepEqual(await call('GET', '/v1/users'), json({ users: await listUsers(store) }));

          const role = await call('PUT', '/v1/roles/auditor', { permissions: ['audit:read', 'users:read'] });
          assert.deepEqual(role, { name: 'auditor', label: 'auditor', permissions: ['audit:read', 'users:read'], isBuiltIn: false });
          const roles = await call('GET', '/v1/roles');
          assert.deepEqual(roles.roles, json(await listRoles(store)));
          assert.deepEqual(roles.permissions.map((p: { code: string }) => p.code), PERMISSION_CODES);
          assert.deepEqual(await call('DELETE', '/v1/roles/auditor'), { deleted: 'auditor' });

          const key = await call('POST', '/v1/keys', { name: 'pos', scopes: ['coupons:read'], expiresInDays: 30 }, 201);
          assert.match(key.key, /^syk_/);
          const { keys } = await call('GET', '/v1/keys');
          assert.deepEqual(keys, json(await listApiKeys(store)));
          assert.ok(keys.every((k: Record<string, unknown>) => !('key' in k) && !('keyHash' in k)), 'a listing never carries a key');
          assert.deepEqual(await call('DELETE', `/v1/keys/${key.keyId}`), { revoked: key.keyId });

          const audit = await call('GET', '/v1/audit?limit=5');
          assert.deepEqual(audit, json({ entries: await listAudit(store, { limit: 5 }) }));
          assert.deepEqual(audit.entries.slice(0, 4).map((e: { action: string; target: string }) => [e.action, e.target]), [['key.revoke', key.keyId], ['key.create', key.keyId], ['role.delete', 'auditor'], ['role.create', 'auditor']]);
          const verified = await call('GET', '/v1/audit/verify');
          assert.deepEqual(verified, json(await verifyAudit(store)));
          assert.equal(verified.ok, true);
        } finally {
          await app.close();
        }
      }));
  });
}
