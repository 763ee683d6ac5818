import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  authenticateSession,
  beginTotpEnrolment,
  confirmTotp,
  createApiKey,
  CreateApiKeyInput,
  createUser,
  CreateUserInput,
  deleteRole,
  formatDataScope,
  getUser,
  grants,
  listApiKeys,
  listAudit,
  listRoles,
  listUsers,
  PERMISSION_CODES,
  PERMISSIONS,
  permissionsOfRoles,
  principalActor,
  resetPassword,
  resetTotp,
  revokeApiKey,
  saveRole,
  SaveRoleInput,
  signIn,
  signOut,
  updateUser,
  UpdateUserInput,
  verifyAudit,
  type Permission,
  type Principal,
} from '../../access/index.ts';
import { SiyuError } from '../../core/errors.ts';
import type { Store } from '../../store/index.ts';
import { principalOf, SESSION_COOKIE, SIGN_IN_RATE, type AuthOptions } from '../plugins/auth.ts';
import { ApiKey, AuditEntry, AuditVerification, Role, Roles, User } from './access-schemas.ts';

/** The readable cookie holding the CSRF token, so the console finds it again after a reload (double submit). */
const CSRF_COOKIE = 'siyu_csrf';

const Me = z.object({
  kind: z.enum(['user', 'key']),
  name: z.string(),
  roles: z.array(z.string()),
  permissions: z.array(z.string()),
  dataScope: z.string().describe('all, own, stores:…, channels:… or regions:…'),
  mustEnrolTotp: z.boolean(),
});

const Reset = z.object({ reset: z.literal(true) });

const describe = (p: Principal) => ({ kind: p.kind, name: p.name, roles: p.roles, permissions: [...p.permissions].sort(), dataScope: formatDataScope(p.dataScope), mustEnrolTotp: p.mustEnrolTotp });

/** No one hands out more than they hold: a role or key may only carry permissions its creator has. */
function assertMayGrant(principal: Principal, permissions: Iterable<Permission>): void {
  const beyond = [...permissions].filter((p) => !grants(principal.permissions, p));
  if (beyond.length) {
    throw new SiyuError('forbidden', 'cannot_grant', `${principalActor(principal)} cannot grant ${beyond.join(', ')}, which it does not hold itself`, { details: beyond.map((p) => ({ path: 'permission', message: p })) });
  }
}

function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
}

/** Sign-in and sign-out, who am I, TOTP enrolment, and the administration of users, roles, API keys and the audit log. */
export function registerAccessRoutes(app: FastifyInstance, store: Store, options: AuthOptions = {}): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['access'];

  api.post(
    '/v1/auth/sign-in',
    {
      config: { permission: 'public', rateLimit: SIGN_IN_RATE(options) },
      schema: {
        tags,
        summary: 'Sign in with a user name and password (and a TOTP code when enrolled); sets the HttpOnly session cookie and returns the CSRF token for unsafe requests',
        body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256), totp: z.string().max(10).optional() }).strict(),
        response: { 200: z.object({ user: Me, csrfToken: z.string(), expiresAt: z.date() }) },
      },
    },
    async (request, reply) => {
      const { session, user } = await signIn(store, { ...request.body, ip: request.ip, userAgent: request.headers['user-agent'] });
      const cookie = { path: '/', sameSite: 'lax', secure: 'auto', expires: session.expiresAt } as const;
      reply.setCookie(SESSION_COOKIE, session.sessionId, { ...cookie, httpOnly: true }).setCookie(CSRF_COOKIE, session.csrfToken, { ...cookie, httpOnly: false });
      // The session as every later request will see it: the same permissions and second-factor duty.
      const active = await authenticateSession(store, session.sessionId);
      if (!active) throw new SiyuError('internal', 'session_not_found', `the session just opened for ${user.username} was not found`);
      return { user: describe(active.principal), csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    },
  );
  api.post(
    '/v1/auth/sign-out',
    { config: { permission: 'signed_in' }, schema: { tags, summary: 'End this session: its cookie is refused from now on', response: { 200: z.object({ signedOut: z.literal(true) }) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      if (!principal.sessionHash) throw new SiyuError('validation', 'not_a_session', 'sign-out ends a console session; an API key is revoked instead (DELETE /v1/keys/:id)');
      await signOut(store, principal.sessionHash, principal.name);
      clearSessionCookies(reply);
      return { signedOut: true as const };
    },
  );
  api.get('/v1/auth/me', { config: { permission: 'signed_in' }, schema: { tags, summary: 'Who this session or key is: roles, permissions and data scope', response: { 200: Me } } }, async (request) => describe(principalOf(request)));

  const userOnly = (principal: Principal) => {
    if (principal.kind !== 'user') throw new SiyuError('validation', 'not_a_user', 'only a signed-in user has a second factor');
    return principal.name;
  };
  api.post(
    '/v1/auth/totp',
    { config: { permission: 'signed_in' }, schema: { tags, summary: 'Start TOTP enrolment: a new secret and its otpauth:// URI (show it as a QR code); confirm with a code to enable it', response: { 200: z.object({ secret: z.string(), uri: z.string() }) } } },
    async (request) => beginTotpEnrolment(store, userOnly(principalOf(request))),
  );
  api.post(
    '/v1/auth/totp/confirm',
    { config: { permission: 'signed_in' }, schema: { tags, summary: 'Enable the pending second factor by entering its current code', body: z.object({ code: z.string().regex(/^\d{6}$/, 'six digits') }).strict(), response: { 200: z.object({ enabled: z.literal(true) }) } } },
    async (request) => {
      const principal = principalOf(request);
      await confirmTotp(store, userOnly(principal), request.body.code, principalActor(principal));
      return { enabled: true as const };
    },
  );

  api.get('/v1/users', { config: { permission: 'users:read' }, schema: { tags, summary: 'Console users with their roles, data scopes and whether they have a second factor', response: { 200: z.object({ users: z.array(User) }) } } }, async () => ({ users: await listUsers(store) }));
  const assertMayAssign = async (principal: Principal, roles: readonly string[] | undefined) => {
    if (roles) assertMayGrant(principal, await permissionsOfRoles(store, roles));
  };
  api.post('/v1/users', { config: { permission: 'users:write' }, schema: { tags, summary: 'Create a console user (audited)', body: CreateUserInput, response: { 201: User } } }, async (request, reply) => {
    const principal = principalOf(request);
    await assertMayAssign(principal, request.body.roles);
    return reply.code(201).send(await createUser(store, request.body, principalActor(principal)));
  });
  const userParams = z.object({ username: z.string().min(1).max(64) });
  api.patch(
    '/v1/users/:username',
    { config: { permission: 'users:write' }, schema: { tags, summary: "Change a user's roles, data scope, display name, or disable them (ends their sessions); audited", params: userParams, body: UpdateUserInput, response: { 200: User } } },
    async (request) => {
      const principal = principalOf(request);
      await assertMayAssign(principal, (await getUser(store, request.params.username)).roles);
      await assertMayAssign(principal, request.body.roles);
      return updateUser(store, request.params.username, request.body, principalActor(principal));
    },
  );
  api.post(
    '/v1/users/:username/reset-password',
    { config: { permission: 'users:write' }, schema: { tags, summary: "Set a user's password; ends their sessions and clears a lock-out (audited)", params: userParams, body: z.object({ password: z.string() }).strict(), response: { 200: Reset } } },
    async (request) => {
      const principal = principalOf(request);
      await assertMayAssign(principal, (await getUser(store, request.params.username)).roles);
      await resetPassword(store, request.params.username, request.body.password, principalActor(principal));
      return { reset: true as const };
    },
  );
  api.post('/v1/users/:username/totp-reset', { config: { permission: 'users:write' }, schema: { tags, summary: "Remove a user's second factor, e.g. after a lost phone (audited)", params: userParams, response: { 200: Reset } } }, async (request) => {
    const principal = principalOf(request);
    await assertMayAssign(principal, (await getUser(store, request.params.username)).roles);
    await resetTotp(store, request.params.username, principalActor(principal));
    return { reset: true as const };
  });

  api.get('/v1/roles', { config: { permission: 'users:read' }, schema: { tags, summary: 'Built-in and brand roles with their permissions, and every permission code', response: { 200: Roles } } }, async () => ({
    roles: await listRoles(store),
    permissions: PERMISSION_CODES.map((code) => ({ code, description: PERMISSIONS[code] })),
  }));
  const roleParams = z.object({ name: z.string().min(1).max(40) });
  api.put(
    '/v1/roles/:name',
    { config: { permission: 'users:write' }, schema: { tags, summary: 'Create or replace a brand role (the built-in roles cannot change); audited', params: roleParams, body: SaveRoleInput.omit({ name: true }), response: { 200: Role } } },
    async (request) => {
      const principal = principalOf(request);
      assertMayGrant(principal, request.body.permissions);
      return saveRole(store, { ...request.body, name: request.params.name }, principalActor(principal));
    },
  );
  api.delete('/v1/roles/:name', { config: { permission: 'users:write' }, schema: { tags, summary: 'Delete a brand role no user holds (audited)', params: roleParams, response: { 200: z.object({ deleted: z.string() }) } } }, async (request) => {
    await deleteRole(store, request.params.name, principalActor(principalOf(request)));
    return { deleted: request.params.name };
  });

  api.get('/v1/keys', { config: { permission: 'keys:read' }, schema: { tags, summary: 'API keys: ids, names, scopes, expiry and last use (never the keys)', response: { 200: z.object({ keys: z.array(ApiKey) }) } } }, async () => ({ keys: await listApiKeys(store) }));
  api.post(
    '/v1/keys',
    { config: { permission: 'keys:write' }, schema: { tags, summary: 'Create an API key; the key is in this response only (audited)', body: CreateApiKeyInput, response: { 201: ApiKey.extend({ key: z.string().describe('the key itself (syk_…): shown in this answer only') }) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertMayGrant(principal, request.body.scopes ?? ['ingest:write']);
      return reply.code(201).send(await createApiKey(store, request.body, principalActor(principal)));
    },
  );
  api.delete('/v1/keys/:id', { config: { permission: 'keys:write' }, schema: { tags, summary: 'Revoke an API key (audited)', params: z.object({ id: z.string().min(1).max(16) }), response: { 200: z.object({ revoked: z.string() }) } } }, async (request) => {
    await revokeApiKey(store, request.params.id, principalActor(principalOf(request)));
    return { revoked: request.params.id };
  });

  api.get(
    '/v1/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags,
        summary: 'The audit log, newest first: sign-ins and failures, keys, users and roles, personal-data reveals, exports, settings',
        querystring: z.object({
          actor: z.string().optional().describe('user:NAME, key:ID, cli:OS_USER, anonymous or system'),
          action: z.string().optional().describe('an action, or a prefix ending in "." (auth.)'),
          since: z.iso.datetime({ offset: true }).optional(),
          until: z.iso.datetime({ offset: true }).optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(100),
        }),
        response: { 200: z.object({ entries: z.array(AuditEntry) }) },
      },
    },
    async (request) => {
      const q = request.query;
      return { entries: await listAudit(store, { actor: q.actor, action: q.action, since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined, limit: q.limit }) };
    },
  );
  api.get('/v1/audit/verify', { config: { permission: 'audit:read' }, schema: { tags, summary: 'Recompute the hash chain: ok, or the first modified or missing row', response: { 200: AuditVerification } } }, async () => verifyAudit(store));
}
