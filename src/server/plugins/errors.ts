import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isSiyuError, type ErrorDetail, type ErrorKind } from '../../core/errors.ts';

const STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unavailable: 503,
  internal: 500,
};

/** The one error body every route returns: a stable code, a sentence, and where the problem is. */
export interface ErrorBody {
  code: string;
  message: string;
  errors: ErrorDetail[];
}

/** The single place errors become HTTP responses. Routes throw; they never build error replies themselves. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isSiyuError(error)) {
      const status = STATUS[error.kind];
      if (status >= 500) request.log.error({ err: error }, error.message);
      return reply.code(status).send({ code: error.code, message: error.message, errors: error.details } satisfies ErrorBody);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = error.validation.map((v) => ({ path: v.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)', message: v.message ?? 'invalid' }));
      return reply.code(400).send({ code: 'invalid_request', message: `invalid request ${error.validationContext ?? ''}`.trim(), errors } satisfies ErrorBody);
    }
    const status = error.statusCode ?? 500;
    if (status === 413) {
      return reply.code(413).send({ code: 'too_large', message: `request body is over the ${request.routeOptions.bodyLimit ?? 0} byte limit for ${request.url}`, errors: [] } satisfies ErrorBody);
    }
    if (status < 500) return reply.code(status).send({ code: error.code ?? 'bad_request', message: error.message, errors: [] } satisfies ErrorBody);
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ code: 'internal', message: 'internal error; see the server log', errors: [] } satisfies ErrorBody);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'route_not_found', message: `no route ${request.method} ${request.url}; see GET /docs`, errors: [] } satisfies ErrorBody),
  );
}
