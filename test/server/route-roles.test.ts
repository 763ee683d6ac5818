import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILT_IN_ROLES, createApiKey, createUser, grants, PERMISSION_CODES, startSession, type Permission } from '../../src/access/index.ts';
import { computeAttributes } from '../../src/segment/index.ts';
import { buildServer } from '../../src/server/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { RouteAccessEntry } from '../../src/server/plugins/auth.ts';
import { loadCustomers } from '../access/helpers.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const DENIED = new Set([401, 403]);
const SPECIAL = new Set(['public', 'signed_in', 'write_key']);

/** A concrete URL for a route pattern: every path parameter becomes `x`. */
const urlOf = (pattern: string) => pattern.replace(/:[A-Za-z_]+/g, 'x');
const hasBody = (method: string) => ['POST', 'PUT', 'PATCH'].includes(method);
/** The error code of a refusal; HEAD answers carry no body. */
const codeOf = (res: { body: string; json: () => { code?: string; errors?: { message: string }[] } }) => (res.body ? res.json() : {});

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
          const documented = Object.entries(doc.paths as Record<string, Record<string, { 'x-permission': string; security: unknown[]; description: string }>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
          assert.ok(documented.length >= 35);
          for (const { path, method, op } of documented) {
            const route = app.routeAccess.find((r) => r.method === method.toUpperCase() && r.url.replace(/:(\w+)/g, '{$1}') === path);
            assert.ok(route, `${method} ${path} is a registered route`);
            assert.equal(op['x-permission'], route.permission, `${method} ${path}`);
            assert.equal(op.security.length === 0, route.permission === 'public', `${method} ${path}: security`);
            if (!SPECIAL.has(route.permission!)) assert.match(op.description, new RegExp(`Needs \`${route.permission}\``));
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
                : grants(role.permissions, route.permission as Permission);
              if (res.statusCode >= 500) problems.push(`${where} as ${role.name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
              else if (allowed && DENIED.has(res.statusCode)) problems.push(`${where} as ${role.name}: refused ${res.statusCode} ${codeOf(res).code}`);
              else if (!allowed && route.permission === 'write_key' && res.statusCode !== 401) problems.push(`${where} as ${role.name}: ${res.statusCode}, not 401 for a session on an ingest route`);
              else if (!allowed && route.permission !== 'write_key') {
                const body = codeOf(res);
                if (res.statusCode !== 403 || (route.method !== 'HEAD' && (body.code !== 'missing_permission' || body.errors?.[0]?.message !== route.permission))) problems.push(`${where} as ${role.name}: ${res.statusCode} ${body.code}, expected 403 naming ${route.permission}`);
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
          for (const route of app.routeAccess.filter((r) => !SPECIAL.has(r.permission!) && r.method !== 'HEAD')) {
            const permission = route.permission as Permission;
            const only = await createApiKey(store, { name: `only ${permission}`, scopes: [permission] }, 'test');
            const allBut = await createApiKey(store, { name: `all but ${permission}`, scopes: PERMISSION_CODES.filter((p) => p !== permission && p !== 'admin') }, 'test');
            for (const [key, allowed] of [[only.key, true], [allBut.key, false]] as const) {
              const res = await app.inject({ method: route.method as 'GET', url: urlOf(route.url), headers: { authorization: `Bearer ${key}` }, ...(hasBody(route.method) ? { payload: {} } : {}) });
              if (allowed ? DENIED.has(res.statusCode) || res.statusCode >= 500 : res.statusCode !== 403) problems.push(`${route.method} ${route.url} with ${allowed ? 'only' : 'all but'} ${permission}: ${res.statusCode}`);
            }
          }
          assert.deepEqual(problems, []);
        } finally {
          await app.close();
        }
      }));
  });
}
