import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createUser, startSession, type DataScope } from '../../src/access/index.ts';
import type { Store } from '../../src/store/index.ts';

export const PASSWORD = 'correct horse battery';

/**
 * Five customers across stores, channels and regions, and one merged away (c4 → c1):
 * c1 上海, registered on wecom, bought at S1 (pos); c2 杭州 (浙江 in traits), bought at S2 (mini);
 * c3 北京, app, no orders; c5 no city, bought at S1 (taobao).
 */
export async function loadCustomers(store: Store): Promise<void> {
  const at = new Date('2026-07-01T00:00:00Z');
  await store.insertRows(
    'customers',
    ['customer_id', 'name', 'phone', 'city', 'channel', 'traits', 'merged_into', 'created_at', 'updated_at'],
    [
      ['c1', '王芳', '+8613800138000', '上海', 'wecom', '{}', null, at, at],
      ['c2', '李雷', '+8613900139000', '杭州', 'mini', '{"province":"浙江"}', null, at, at],
      ['c3', '张伟', '+8613700137000', '北京', 'app', '{}', null, at, at],
      ['c4', null, null, null, null, '{}', 'c1', at, at],
      ['c5', '赵敏', '+8613600136000', null, 'taobao', '{}', null, at, at],
    ],
  );
  await store.insertRows(
    'orders',
    ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'channel', 'store_id', 'updated_at'],
    [
      ['c1', 'o1', at, 'completed', 10_000, 0, 0, 'CNY', 'pos', 'S1', at],
      ['c2', 'o2', at, 'completed', 20_000, 0, 0, 'CNY', 'mini', 'S2', at],
      ['c5', 'o5', at, 'completed', 5_000, 0, 0, 'CNY', 'taobao', 'S1', at],
    ],
  );
}

/** A user with one role (and a data scope), and a session opened for them directly: cookie and CSRF headers. */
export async function sessionFor(store: Store, role: string, dataScope?: DataScope, username = `${role}-${Math.random().toString(36).slice(2, 8)}`) {
  const user = await createUser(store, { username, password: PASSWORD, roles: [role], dataScope }, 'test');
  const session = await startSession(store, user.userId, { ip: '127.0.0.1' });
  return { user, cookie: `siyu_session=${session.sessionId}`, csrf: session.csrfToken, headers: { cookie: `siyu_session=${session.sessionId}`, 'x-csrf-token': session.csrfToken } };
}

/** Signs in over HTTP; returns the session cookie and CSRF token the server handed out. */
export async function signInOverHttp(app: FastifyInstance, username: string, password = PASSWORD, extra: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { username, password, ...extra } });
  assert.equal(res.statusCode, 200, res.body);
  const cookie = res.cookies.find((c) => c.name === 'siyu_session');
  assert.ok(cookie, 'a session cookie is set');
  return { res, cookie: `siyu_session=${cookie.value}`, csrf: res.json().csrfToken as string, setCookie: cookie };
}

/** Runs `siyu ARGS…` in this process against an open store (as the server runs a remote CLI's command). */
export async function runCli(store: Store, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const { Command } = await import('commander');
  const { runWithIo } = await import('../../src/cli/io.ts');
  const { registerAudit } = await import('../../src/cli/audit.ts');
  const { registerUsers } = await import('../../src/cli/users.ts');
  const { registerRoles } = await import('../../src/cli/roles.ts');
  const { registerKeys } = await import('../../src/cli/keys.ts');
  const { registerCustomer } = await import('../../src/cli/customer.ts');
  const program = new Command('siyu').exitOverride();
  for (const register of [registerAudit, registerUsers, registerRoles, registerKeys, registerCustomer]) register(program);
  let stdout = '';
  let stderr = '';
  const cliIo = { stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, cwd: process.cwd(), exitCode: 0, store };
  await runWithIo(cliIo, () => program.parseAsync(['node', 'siyu', ...args]));
  return { stdout, stderr, exitCode: cliIo.exitCode };
}
