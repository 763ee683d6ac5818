import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createUser, deleteRole, ensureAdmin, getUser, listAudit, permissionsOfRoles, saveRole, updateUser, verifyAudit } from '../../src/access/index.ts';
import { isSiyuError } from '../../src/core/errors.ts';
import { buildServer } from '../../src/server/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { PASSWORD, runCli, sessionFor, signInOverHttp } from './helpers.ts';

const paths = (e: unknown) => (isSiyuError(e) ? e.details.map((d) => d.path) : []);

for (const backend of BACKENDS) {
  describe(`users and roles on ${backend}`, () => {
    test('users are created with an Argon2id hash; bad input is refused field by field', () =>
      withStore(backend, async (store) => {
        const user = await createUser(store, { username: 'wang.fang', password: PASSWORD, roles: ['operator'], dataScope: { kind: 'regions', regions: ['上海'] } }, 'cli:root');
        assert.deepEqual([user.username, user.roles, user.dataScope, user.hasTotp, user.isDisabled], ['wang.fang', ['operator'], { kind: 'regions', regions: ['上海'] }, false, false]);
        const [row] = await store.query<{ password_hash: string }>('SELECT password_hash FROM users');
        assert.match(row!.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
        const cases: [string, object, string[]][] = [
          ['upper case and a space', { username: 'Wang Fang', password: PASSWORD, roles: ['viewer'] }, ['username']],
          ['a short password and no role', { username: 'li', password: 'short', roles: [] }, ['password', 'roles']],
          ['an unknown role', { username: 'li', password: PASSWORD, roles: ['viewer', 'boss'] }, ['roles[1]']],
          ['a bad data scope', { username: 'li', password: PASSWORD, roles: ['viewer'], dataScope: { kind: 'stores', stores: [] } }, ['dataScope.stores']],
        ];
        for (const [title, input, expected] of cases) await assert.rejects(createUser(store, input as never, 'test'), (e: unknown) => assert.deepEqual(paths(e), expected, title) === undefined);
        await assert.rejects(createUser(store, { username: 'wang.fang', password: PASSWORD, roles: ['viewer'] }, 'test'), (e: unknown) => isSiyuError(e) && e.kind === 'conflict');
        assert.deepEqual((await listAudit(store)).map((e) => [e.actor, e.action, e.target]), [['cli:root', 'user.create', 'wang.fang']]);
      }));

    test('role changes are audited and apply to open sessions at their next request; disabling ends them', () =>
      withStore(backend, async (store) => {
        const app = await buildServer({ store });
        try {
          const viewer = await sessionFor(store, 'viewer', undefined, 'xiaoli');
          const save = () => app.inject({ method: 'PUT', url: '/v1/segments/vip', headers: viewer.headers, payload: { definition: { field: 'city', op: '=', value: '上海' } } });
          assert.equal((await save()).statusCode, 403);
          await updateUser(store, 'xiaoli', { roles: ['operator'] }, 'user:admin');
          assert.equal((await save()).statusCode, 200);
          const [change] = await listAudit(store, { action: 'user.update' });
          assert.deepEqual([change!.actor, change!.target, change!.details], ['user:admin', 'xiaoli', { roles: { from: ['viewer'], to: ['operator'] } }]);
          await updateUser(store, 'xiaoli', { isDisabled: true }, 'user:admin');
          assert.equal((await app.inject({ url: '/v1/auth/me', headers: viewer.headers })).statusCode, 401);
        } finally {
          await app.close();
        }
      }));

    test('brand roles: defined from permission codes, held by users, not deletable while held; built-in roles are fixed', () =>
      withStore(backend, async (store) => {
        const role = await saveRole(store, { name: 'store_manager', label: '门店店长', permissions: ['customers:read', 'segments:read', 'customers:read'] }, 'cli:root');
        assert.deepEqual(role.permissions, ['customers:read', 'segments:read']);
        await assert.rejects(saveRole(store, { name: 'admin', permissions: ['customers:read'] }, 'x'), (e: unknown) => isSiyuError(e) && e.code === 'built_in_role');
        await assert.rejects(saveRole(store, { name: 'x1', permissions: ['customers:delete' as never] }, 'x'), (e: unknown) => assert.deepEqual(paths(e), ['permissions[0]']) === undefined);
        await createUser(store, { username: 'dianzhang', password: PASSWORD, roles: ['store_manager'], dataScope: { kind: 'stores', stores: ['S1'] } }, 'x');
        assert.deepEqual([...(await permissionsOfRoles(store, ['store_manager', 'viewer']))].sort(), ['analytics:read', 'coupons:read', 'customers:read', 'jobs:read', 'journeys:read', 'layers:read', 'loyalty:read', 'points:read', 'predictions:read', 'recommendations:read', 'segments:read', 'settings:read']);
        await assert.rejects(deleteRole(store, 'store_manager', 'x'), (e: unknown) => isSiyuError(e) && e.code === 'role_in_use' && /dianzhang/.test(e.message));
        await updateUser(store, 'dianzhang', { roles: ['viewer'] }, 'x');
        await deleteRole(store, 'store_manager', 'x');
        assert.deepEqual((await listAudit(store, { action: 'role.' })).map((e) => e.action), ['role.delete', 'role.create']);
      }));

    test('over HTTP: users and roles are managed by users:write, which cannot hand out more than it holds', () =>
      withStore(backend, async (store) => {
        await saveRole(store, { name: 'hr', permissions: ['users:read', 'users:write', 'customers:read'] }, 'x');
        const app = await buildServer({ store });
        try {
          const hr = await sessionFor(store, 'hr');
          const post = (url: string, payload: object, method: 'POST' | 'PUT' | 'PATCH' = 'POST') => app.inject({ method, url, headers: hr.headers, payload });
          const made = await post('/v1/users', { username: 'ana', password: PASSWORD, roles: ['hr'] });
          assert.equal(made.statusCode, 201, made.body);
          const admin = await post('/v1/users', { username: 'boss', password: PASSWORD, roles: ['admin'] });
          assert.deepEqual([admin.statusCode, admin.json().code], [403, 'cannot_grant']);
          assert.equal((await post('/v1/roles/superhr', { permissions: ['audit:read'] }, 'PUT')).json().code, 'cannot_grant');
          assert.equal((await post('/v1/users/ana', { roles: ['viewer'] }, 'PATCH')).json().code, 'cannot_grant', 'viewer reads segments and predictions, which hr lacks');
          await createUser(store, { username: 'root', password: PASSWORD, roles: ['admin'] }, 'x');
          assert.equal((await post('/v1/users/root/reset-password', { password: 'taken over now!' })).json().code, 'cannot_grant', 'nor take over an account that holds more');
          const listed = await app.inject({ url: '/v1/users', headers: hr.headers });
          assert.ok(listed.json().users.every((u: object) => !('passwordHash' in u) && !('password_hash' in u)));
          assert.equal((await app.inject({ url: '/v1/roles', headers: hr.headers })).json().roles.length, 6);
          const { cookie } = await signInOverHttp(app, 'ana');
          assert.equal((await app.inject({ url: '/v1/auth/me', headers: { cookie } })).json().roles[0], 'hr');
        } finally {
          await app.close();
        }
      }));

    test('the first admin comes from ensureAdmin (the demo) or siyu users create; the CLI manages users and settings', () =>
      withStore(backend, async (store) => {
        const first = await ensureAdmin(store);
        assert.deepEqual([first.username, first.created, first.password?.length], ['admin', true, 20]);
        assert.deepEqual(await ensureAdmin(store), { username: 'admin', created: false });
        const made = await runCli(store, ['users', 'create', 'ops', '--role', 'operator', '--role', 'service', '--data-scope', 'stores:S1', '--generate-password', '--json']);
        assert.equal(made.exitCode, 0, made.stderr);
        assert.equal(JSON.parse(made.stdout).password.length, 20);
        assert.match((await runCli(store, ['users', 'list'])).stdout, /ops\s+operator,service\s+stores:S1\s+-\s+active/);
        assert.equal((await runCli(store, ['users', 'disable', 'ops'])).exitCode, 0);
        assert.equal((await getUser(store, 'ops')).isDisabled, true);
        const prompt = await runCli(store, ['users', 'reset-password', 'ops']);
        assert.deepEqual([prompt.exitCode, /cannot read your terminal/.test(prompt.stderr)], [2, true], 'no terminal inside the server');
        const settings = await runCli(store, ['users', 'settings', '--set', 'lockout_failures=8', '--set', 'require_admin_totp=true']);
        assert.match(settings.stdout, /lockout_failures\s+8/);
        assert.equal((await runCli(store, ['users', 'settings', '--set', 'lockout_sometimes=1'])).exitCode, 2);
        assert.deepEqual((await listAudit(store, { action: 'settings.update' }))[0]!.details, { 'access.lockout_failures': { from: 5, to: 8 }, 'access.require_admin_totp': { from: false, to: true } });
        assert.equal((await verifyAudit(store)).ok, true);
      }));
  });
}
