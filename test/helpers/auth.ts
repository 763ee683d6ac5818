import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createApiKey, type Permission } from '../../src/access/index.ts';
import { buildServer, type ServerOptions } from '../../src/server/index.ts';
import type { Store } from '../../src/store/index.ts';

/** An API key with these scopes, as an Authorization header. */
export async function bearer(store: Store, scopes: Permission[] = ['admin'], name = 'test'): Promise<string> {
  const { key } = await createApiKey(store, { name, scopes }, 'test');
  return `Bearer ${key}`;
}

/**
 * The server, with every `inject` sending a key with these scopes unless the request sets its own Authorization
 * header: for tests of what routes do, not of who may call them (test/access and test/server test that).
 */
export async function buildServerAs(store: Store, scopes: Permission[] = ['admin'], options: Omit<ServerOptions, 'store'> = {}): Promise<FastifyInstance> {
  const app = await buildServer({ store, ...options });
  const authorization = await bearer(store, scopes);
  const inject = app.inject.bind(app) as (opts: InjectOptions | string) => ReturnType<FastifyInstance['inject']>;
  const withKey = (opts: InjectOptions | string) => {
    const o = typeof opts === 'string' ? { url: opts } : opts;
    return inject({ ...o, headers: { authorization, ...(o.headers ?? {}) } });
  };
  (app as { inject: unknown }).inject = withKey;
  return app;
}

/** A JSON call to `app` that asserts the answer's status (200 unless given) and returns its parsed body. */
export function jsonCaller(app: FastifyInstance) {
  return async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, status = 200) => {
    const response = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    assert.equal(response.statusCode, status, `${method} ${url}: ${response.body}`);
    return response.json();
  };
}
