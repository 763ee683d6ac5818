import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiKeyAuthenticator, assertCan, authenticateSession, csrfMatches, PERMISSIONS, principalActor, type Permission, type Principal } from '../../access/index.ts';
import { SiyuError } from '../../core/errors.ts';
import type { Store } from '../../store/index.ts';

/**
 * Who may call a route: a permission; several, any of which will do; `signed_in`, any principal (who am I, sign out,
 * TOTP enrolment); `write_key`, the route checks an ingest key itself (Segment's Basic auth); or `public`.
 */
export type RouteAccess = Permission | readonly Permission[] | 'signed_in' | 'write_key' | 'public';

/** The requirement in words, as each operation's description in the OpenAPI document opens. */
function requirement(permission: RouteAccess | undefined, allCustomersOnly: boolean): string {
  if (permission === undefined) return 'Refused: declares no permission.';
  if (permission === 'public') return 'Public.';
  if (permission === 'write_key') return 'Needs a key with `ingest:write` (Basic or Bearer).';
  if (permission === 'signed_in') return 'Needs any session or key.';
  const anyOf: readonly Permission[] = typeof permission === 'string' ? [permission] : permission;
  const needs = anyOf.map((p) => `\`${p}\`: ${PERMISSIONS[p]}`).join('; or ');
  return `Needs ${needs}.${allCustomersOnly ? ' Only for principals whose data scope is all customers.' : ''}`;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (docs/security.md). A route that declares nothing is refused to everyone. */
    permission?: RouteAccess;
    /** The route returns customers without applying data scopes yet: only principals that see every customer may call it. */
    allCustomersOnly?: boolean;
    /** Costly work (layer computations, segment refreshes and exports): rate-limited per principal. */
    expensive?: boolean;
  }
  interface FastifyRequest {
    /** Who the request acts as; set before the handler on every route that is not public or write-key. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every route as registered, with what it declared: for the route × role test and reviews. */
    routeAccess: RouteAccessEntry[];
  }
}

export interface RouteAccessEntry {
  method: string;
  url: string;
  permission: RouteAccess | undefined;
  allCustomersOnly: boolean;
}

export const SESSION_COOKIE = 'siyu_session';
export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuthOptions {
  /** Sign-in attempts per minute per address before 429 (on top of lock-out); default 20. */
  signInPerMinute?: number;
  /** Calls per minute per principal to expensive routes; default 60. */
  expensivePerMinute?: number;
}

export const SIGN_IN_RATE = (options: AuthOptions) => ({ max: options.signInPerMinute ?? 20, timeWindow: 60_000 });

/**
 * Default-deny protection for every route. Each route declares `config.permission`; one onRequest hook resolves the
 * principal (a Bearer API key, else the session cookie, which must carry its CSRF token on unsafe methods) and
 * checks the permission. The OpenAPI document shows each route's permission (`x-permission`) and security schemes.
 * Registers helmet's security headers, cookies and the rate limiter too. Call before any route is added.
 */
export async function registerAuth(app: FastifyInstance, store: Store, options: AuthOptions = {}): Promise<void> {
  // Keys are remembered for 5 s: the recommendation API serves thousands of requests a second with one key.
  const keys = new ApiKeyAuthenticator(store, { cacheMs: 5_000 });
  app.decorate('routeAccess', [] as RouteAccessEntry[]);
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const config = (route.config ??= {});
    const permission = config.permission;
    for (const method of [route.method].flat()) app.routeAccess.push({ method, url: route.url, permission, allCustomersOnly: config.allCustomersOnly === true });
    if (config.expensive && config.rateLimit === undefined) config.rateLimit = { max: options.expensivePerMinute ?? 60, timeWindow: 60_000 };
    if (!route.schema || route.schema.hide) return;
    const security: Record<string, string[]>[] = permission === 'public' ? [] : permission === 'write_key' ? [{ writeKey: [] }, { bearerKey: [] }] : [{ sessionCookie: [] }, { bearerKey: [] }];
    const needs = requirement(permission, config.allCustomersOnly === true);
    // `x-` keys pass through @fastify/swagger into the operation as OpenAPI extensions.
    const extension: Record<string, unknown> = { 'x-permission': permission ?? 'undeclared' };
    route.schema = { ...route.schema, ...extension, security, description: [needs, route.schema.description].filter(Boolean).join('\n\n') };
  });

  await app.register(fastifyCookie);
  // The console may be served over plain HTTP on a private network: no upgrade-insecure-requests there.
  await app.register(fastifyHelmet, { global: true, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  await app.register(fastifyRateLimit, {
    global: false,
    hook: 'preHandler', // after authentication, so limits count per principal where there is one
    keyGenerator: (request) => (request.principal ? principalActor(request.principal) : request.ip),
    errorResponseBuilder: (_request, context) => new SiyuError('rate_limited', 'rate_limited', `too many requests; try again in ${context.after}`),
  });

  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const config = request.routeOptions.config;
    const permission = config.permission;
    if (permission === undefined) {
      request.log.error({ url: request.routeOptions.url }, 'route declares no permission; refused');
      throw new SiyuError('forbidden', 'route_not_declared', `${request.method} ${request.routeOptions.url} declares no permission, so it is refused (a bug: routes declare config.permission)`);
    }
    if (permission === 'public' || permission === 'write_key') return;
    const principal = await authenticate(request, store, keys);
    if (principal.mustEnrolTotp && permission !== 'signed_in') {
      throw new SiyuError('forbidden', 'totp_enrolment_required', 'admins must enrol a second factor first: POST /v1/auth/totp, then confirm a code at POST /v1/auth/totp/confirm');
    }
    if (permission !== 'signed_in') assertCan(principal, permission);
    if (config.allCustomersOnly && principal.dataScope.kind !== 'all') {
      throw new SiyuError('forbidden', 'data_scope_unsupported', `${request.method} ${request.routeOptions.url} does not apply data scopes yet, so only principals that see all customers may call it`);
    }
    request.principal = principal;
  });
}

async function authenticate(request: FastifyRequest, store: Store, keys: ApiKeyAuthenticator): Promise<Principal> {
  const header = request.headers.authorization;
  if (header) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (!bearer) throw new SiyuError('unauthorized', 'unsupported_authorization', 'send an API key as Authorization: Bearer syk_…; Basic auth is only for the ingest routes');
    const checked = await keys.check(bearer[1]!);
    if (!checked.ok) {
      const message = { invalid_key: 'the API key is unknown', key_revoked: 'the API key was revoked', key_expired: 'the API key has expired' }[checked.refusal];
      throw new SiyuError('unauthorized', checked.refusal, `${message} (see: siyu keys list)`);
    }
    return checked.principal;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie) throw new SiyuError('unauthorized', 'unauthenticated', 'sign in (POST /v1/auth/sign-in) or send an API key as Authorization: Bearer syk_…');
  const session = await authenticateSession(store, cookie);
  if (!session) throw new SiyuError('unauthorized', 'session_ended', 'the session has ended (signed out, expired or idle too long); sign in again');
  if (UNSAFE.has(request.method)) {
    const token = request.headers[CSRF_HEADER];
    if (!csrfMatches(session, typeof token === 'string' ? token : undefined)) {
      throw new SiyuError('forbidden', 'csrf_token_invalid', `a ${request.method} with a session cookie needs the session's CSRF token in the ${CSRF_HEADER} header (given at sign-in)`);
    }
  }
  return session.principal;
}

/** The request's principal; only for routes that declare a permission (the hook has set it). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new SiyuError('internal', 'no_principal', `${request.routeOptions.url} read the principal, but it declares no permission that sets one`);
  return request.principal;
}

/** The query parameters of routes that can reveal personal data. */
export const RevealQuery = {
  reveal: z.enum(['true', 'false']).transform((v) => v === 'true').optional().describe('true: show personal data unmasked (needs customers:read_pii and a reason)'),
  reason: z.string().max(500).optional().describe('why personal data is revealed (or the X-Reveal-Reason header, URI-encoded); kept in the audit log'),
};

/**
 * Whether the caller asked to see personal data unmasked (`reveal=true`), and if so that they may: the
 * customers:read_pii permission and a reason (the `X-Reveal-Reason` header, URI-encoded for non-ASCII text, or a
 * `reason` query parameter). The caller audits the reveal once it has the data.
 */
export function revealRequest(request: FastifyRequest, query: { reveal?: boolean; reason?: string }): { reveal: boolean; reason?: string } {
  if (!query.reveal) return { reveal: false };
  assertCan(principalOf(request), 'customers:read_pii');
  const header = request.headers['x-reveal-reason'];
  let reason = query.reason ?? (typeof header === 'string' ? header : undefined);
  try {
    reason = reason === undefined ? undefined : decodeURIComponent(reason);
  } catch {
    // Not URI-encoded: kept as sent.
  }
  reason = reason?.trim();
  if (!reason || reason.length < 4) {
    throw new SiyuError('validation', 'reveal_reason_required', 'revealing personal data needs a reason of at least 4 characters: the X-Reveal-Reason header or a reason query parameter', { details: [{ path: 'reason', message: 'required' }] });
  }
  return { reveal: true, reason: reason.slice(0, 500) };
}
