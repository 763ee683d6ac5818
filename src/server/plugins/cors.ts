import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SiyuError } from '../../core/errors.ts';
import { isOriginAllowed, type VerifiedWriteKey } from '../../ingest/index.ts';

/** How long a browser may reuse a preflight answer; Chromium caps it at two hours. */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

/**
 * CORS for browser SDKs on the ingest routes, in two halves. A preflight (OPTIONS) carries no write key, so it is
 * answered the same for every origin: POST with whatever headers the page asks for. The origin is enforced on the
 * actual request, against the allowed origins of the write key it carries (`allowOrigin`).
 */
export function registerPreflight(scope: FastifyInstance, paths: readonly string[]): void {
  for (const path of paths) {
    scope.options(path, { config: { permission: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const origin = request.headers.origin;
      reply.header('vary', 'Origin, Access-Control-Request-Headers');
      if (origin) {
        reply.header('access-control-allow-origin', origin);
        reply.header('access-control-allow-methods', 'POST, OPTIONS');
        reply.header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, Content-Encoding');
        reply.header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS));
      }
      return reply.code(204).send();
    });
  }
}

/**
 * A request with an `Origin` header comes from a browser page: it is let through, with the headers that let the
 * page read the answer, only when the write key allows that origin; otherwise 403 and no CORS headers. A request
 * without `Origin` (a server SDK, a mini-program) is not a CORS request and passes.
 */
export function allowOrigin(request: FastifyRequest, reply: FastifyReply, key: VerifiedWriteKey): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  if (!isOriginAllowed(key.allowedOrigins, origin)) {
    throw new SiyuError(
      'forbidden',
      'origin_not_allowed',
      `write key "${key.name}" does not allow requests from ${origin}; allow it with: siyu keys update ${key.keyId} --add-origin ${origin}`,
    );
  }
  reply.header('access-control-allow-origin', origin);
  reply.header('vary', 'Origin');
}
