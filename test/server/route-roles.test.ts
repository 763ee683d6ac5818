import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILT_IN_ROLES, createApiKey, createUser, grants, PERMISSION_CODES, saveRole, startSession, type Permission } from '../../src/access/index.ts';
import { computeAttributes } from '../../src/segment/index.ts';
import { buildServer } from '../../src/server/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { RouteAccess, RouteAccessEntry } from '../../src/server/plugins/auth.ts';
import { loadCustomers } from '../access/helpers.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const DENIED = new Set([401, 403]);
const SPECIAL = new Set(['public', 'signed_in', 'write_key']);

/** A concrete URL for a route pattern: every path parameter becomes `x`. */
const urlOf = (pattern: string) => pattern.replace(/:[A-Za-z_]+/g, 'x');
const hasBody = (method: string) => ['POST', 'PUT', 'PATCH'].includes(method);
/** The error code of a refusal; HEAD answers carry no body. */
const codeOf = (res: { body: string; json: () => { code?: string; errors?: { message: string }[] } }) => (res.body ? res.json() : {});
/** The permissions a route accepts, any one of which will do (most routes name one). */
const anyOf = (access: RouteAccess | undefined): readonly Permission[] => (typeof access === 'string' ? [access as Permission] : (access ?? []));

/** A few customers with their attributes computed, so the computations have something to work on. */
async function seed(store: Store): Promise<void> {
  await loadCustomers(store);
  await computeAttributes(store, { asOf: '2026-07-01' });
}

// Every route the app registered, seen by the auth plugin's onRoute hook: a route added later without a permission
// shows up here and fails the first test; one with a permission is walked by the others.
for (const backend of BACKENDS) {
  describe(`every route × every built-in role on ${backend}`, () => {
    test('every route declares who may call it, and the OpenAPI document shows it with the security schemes', () =>
      withStore(backend, async (store) => {
        const app = await buildServer({ store });
        try {
          assert.ok(app.routeAccess.length >= 40, `only ${app.routeAccess.length} routes seen`);
          const undeclared = app.routeAccess.filter((r) => r.permission === undefined).map((r) => `${r.method} ${r.url}`);
          assert.deepEqual(undeclared, [], 'routes without config.permission');
          const doc = (await app.inject('/docs')).json();
          assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearerKey', 'sessionCookie', 'writeKey']);
          const documented = Object.entries(doc.paths as Record<string, Record<string, { 'x-permission': unknown; security: unknown[]; description: string }>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
          assert.ok(documented.length >= 35);
          for (const { path, method, op } of documented) {
            const route = app.routeAccess.find((r) => r.method === method.toUpperCase() && r.url.replace(/:(\w+)/g, '{$1}') === path);
            assert.ok(route, `${method} ${path} is a registered route`);
            assert.deepEqual(op['x-permission'], route.permission, `${method} ${path}`);
            assert.equal(op.security.length === 0, route.permission === 'public', `${method} ${path}: security`);
            if (!SPECIAL.has(route.permission as string)) for (const p of anyOf(route.permission)) assert.match(op.description, new RegExp(`\`${p}\``), `${method} ${path} names ${p}`);
          }
        } finally {
          await app.close();
        }
      }));

    test('each role is allowed exactly the routes its permissions cover, and anyone without a credential gets 401', () =>
      withStore(backend, async (store) => {
        await seed(store);
        const app = await buildServer({ store });
        try {
          const users = new Map<string, string>();
          for (const role of BUILT_IN_ROLES) users.set(role.name, (await createUser(store, { username: `u-${role.name}`, password: 'route role test', roles: [role.name] }, 'test')).userId);
          const routes = app.routeAccess.filter((r) => r.method !== 'OPTIONS');
          const problems: string[] = [];
          const call = (route: RouteAccessEntry, headers: Record<string, string>) =>
            app.inject({ method: route.method as 'GET', url: urlOf(route.url), headers, ...(hasBody(route.method) ? { payload: {} } : {}) });
          for (const route of routes) {
            const where = `${route.method} ${route.url}`;
            const anonymous = await call(route, {});
            if (route.permission === 'public' ? DENIED.has(anonymous.statusCode) : anonymous.statusCode !== 401) problems.push(`${where} without a credential: ${anonymous.statusCode}`);
            for (const role of BUILT_IN_ROLES) {
              // A fresh session for every request: sign-out ends the one it is called with.
              const session = await startSession(store, users.get(role.name)!);
              const res = await call(route, { cookie: `siyu_session=${session.sessionId}`, 'x-csrf-token': session.csrfToken });
              const allowed =
                route.permission === 'public' || route.permission === 'signed_in' ? true
                : route.permission === 'write_key' ? false
                : anyOf(route.permission).some((p) => grants(role.permissions, p));
              if (res.statusCode >= 500) problems.push(`${where} as ${role.name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
              else if (allowed && DENIED.has(res.statusCode)) problems.push(`${where} as ${role.name}: refused ${res.statusCode} ${codeOf(res).code}`);
              else if (!allowed && route.permission === 'write_key' && res.statusCode !== 401) problems.push(`${where} as ${role.name}: ${res.statusCode}, not 401 for a session on an ingest route`);
              else if (!allowed && route.permission !== 'write_key') {
                const body = codeOf(res);
                const named = body.errors?.map((e) => e.message).join(' ');
                if (res.statusCode !== 403 || (route.method !== 'HEAD' && (body.code !== 'missing_permission' || named !== anyOf(route.permission).join(' ')))) problems.push(`${where} as ${role.name}: ${res.statusCode} ${body.code}, expected 403 naming ${anyOf(route.permission).join(' or ')}`);
              }
            }
          }
          assert.deepEqual(problems, []);
        } finally {
          await app.close();
        }
      }));

    test('an API key passes exactly where its scopes cover the route', () =>
      withStore(backend, async (store) => {
        await seed(store);
        const app = await buildServer({ store });
        try {
          const problems: string[] = [];
          for (const route of app.routeAccess.filter((r) => !SPECIAL.has(r.permission as string) && r.method !== 'HEAD')) {
            // A key with any one of the route's permissions passes; one with every other permission does not.
            const accepted = anyOf(route.permission);
            const keys: [name: string, scopes: Permission[], allowed: boolean][] = [
              ...accepted.map((p): [string, Permission[], boolean] => [`only ${p}`, [p], true]),
              [`all but ${accepted.join(', ')}`, PERMISSION_CODES.filter((p) => !accepted.includes(p) && p !== 'admin'), false],
            ];
            for (const [name, scopes, allowed] of keys) {
              const { key } = await createApiKey(store, { name, scopes }, 'test');
              const res = await app.inject({ method: route.method as 'GET', url: urlOf(route.url), headers: { authorization: `Bearer ${key}` }, ...(hasBody(route.method) ? { payload: {} } : {}) });
              if (allowed ? DENIED.has(res.statusCode) || res.statusCode >= 500 : res.statusCode !== 403) problems.push(`${route.method} ${route.url} with ${name}: ${res.statusCode}`);
            }
          }
          assert.deepEqual(problems, []);
        } finally {
          await app.close();
        }
      }));

    test('the segment catalogue is open to journey writers without segment rights (the condition editor), and nothing else of segments is', () =>
      withStore(backend, async (store) => {
        await seed(store);
        const app = await buildServer({ store });
        try {
          const users = new Map<string, string>();
          for (const [role, permissions] of [['journey_writer', ['journeys:read', 'journeys:write']], ['journey_reader', ['journeys:read']]] as const) {
            await saveRole(store, { name: role, permissions: [...permissions] }, 'test');
            users.set(role, (await createUser(store, { username: `u-${role}`, password: 'route role test', roles: [role] }, 'test')).userId);
          }
          const as = async (role: string, url: string) => {
            const session = await startSession(store, users.get(role)!);
            return app.inject({ method: 'GET', url, headers: { cookie: `siyu_session=${session.sessionId}` } });
          };
          const catalogue = await as('journey_writer', '/v1/segments/catalogue');
          assert.equal(catalogue.statusCode, 200, catalogue.body);
          assert.ok(Array.isArray(catalogue.json().fields) && catalogue.json().fields.length > 0, 'the fields conditions are built from');
          assert.equal((await as('journey_writer', '/v1/segments')).statusCode, 403, 'the saved segments stay segments:read');
          const refused = await as('journey_reader', '/v1/segments/catalogue');
          assert.equal(refused.statusCode, 403);
          assert.deepEqual(refused.json().errors.map((e: { message: string }) => e.message), ['segments:read', 'journeys:write']);
          assert.match(refused.json().message, /segments:read .* or journeys:write/);
        } finally {
          await app.close();
        }
      }));
  });
}
