import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SiyuError } from '../../core/errors.ts';
import { BatchBody, ingestMessages, MessageTypes, RouteSchemas, type IngestReport, type IngestWriter, type MessageType, type WriteKeyVerifier } from '../../ingest/index.ts';
import { registerBodyDecoding } from '../plugins/body-decoding.ts';
import { allowOrigin, registerPreflight } from '../plugins/cors.ts';
import { authenticateWriteKey } from '../plugins/write-key.ts';

/** Segment's limits: 32 KB per message, 500 KB per batch. */
export const MESSAGE_BODY_LIMIT = 32 * 1024;
export const BATCH_BODY_LIMIT = 500 * 1024;

const Detail = z.object({ path: z.string().optional(), message: z.string() });
const IngestResponse = z.object({
  success: z.literal(true),
  accepted: z.number().int().describe('messages stored by this request'),
  duplicates: z.number().int().describe('messages whose messageId was already stored; acknowledged, not stored again'),
  rejected: z.array(z.object({ index: z.number().int(), errors: z.array(Detail) })).describe('batch elements that were not stored, by position'),
});
const ErrorResponse = z.object({ code: z.string(), message: z.string(), errors: z.array(Detail) });

// Messages are validated one by one by the ingest domain (so a batch keeps its good messages); the route
// schemas document the API and are not enforced by Fastify.
const documentOnly: FastifySchemaCompiler<unknown> = () => (data) => ({ value: data });

export interface IngestRouteDeps {
  writer: IngestWriter;
  verifier: WriteKeyVerifier;
}

/** The one-letter paths analytics.js and @segment/analytics-next post to (`/v1/t`, `/v1/b`…); Segment's API takes both. */
const SHORT_PATHS: Record<MessageType | 'batch', string> = { identify: 'i', track: 't', page: 'p', screen: 's', group: 'g', alias: 'a', batch: 'b' };

/**
 * The Segment-compatible ingest routes, in a scope of their own: only they decode compressed and text/plain bodies
 * (plugins/body-decoding.ts) and answer CORS (plugins/cors.ts).
 */
export function registerIngestRoutes(app: FastifyInstance, deps: IngestRouteDeps): void {
  void app.register(async (scope) => {
    registerBodyDecoding(scope);
    const paths = (type: MessageType | 'batch') => [`/v1/${type}`, `/v1/${SHORT_PATHS[type]}`];
    registerPreflight(scope, [...MessageTypes, 'batch' as const].flatMap(paths));
    for (const type of MessageTypes) for (const [i, url] of paths(type).entries()) registerMessageRoute(scope, deps, type, url, i > 0);
    for (const [i, url] of paths('batch').entries()) registerBatchRoute(scope, deps, url, i > 0);
  });
}

const responses = { 200: IngestResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse };

function registerMessageRoute(scope: FastifyInstance, { writer, verifier }: IngestRouteDeps, type: MessageType, url: string, isAlias: boolean): void {
  scope.withTypeProvider<ZodTypeProvider>().post(
    url,
    {
      bodyLimit: MESSAGE_BODY_LIMIT,
      config: { permission: 'write_key' },
      validatorCompiler: documentOnly,
      schema: { hide: isAlias, tags: ['ingest'], summary: `Segment ${type} call`, body: RouteSchemas[type], response: responses },
    },
    async (request, reply) => {
      const key = await authenticateWriteKey(request, verifier);
      allowOrigin(request, reply, key);
      const report = await ingestMessages(writer, [request.body], { source: key.name, impliedType: type });
      return respond(report, '');
    },
  );
}

function registerBatchRoute(scope: FastifyInstance, { writer, verifier }: IngestRouteDeps, url: string, isAlias: boolean): void {
  scope.withTypeProvider<ZodTypeProvider>().post(
    url,
    {
      bodyLimit: BATCH_BODY_LIMIT,
      config: { permission: 'write_key' },
      validatorCompiler: documentOnly,
      schema: { hide: isAlias, tags: ['ingest'], summary: 'Segment batch: up to 500 KB of messages of any type', body: BatchBody, response: responses },
    },
    async (request, reply) => {
      const key = await authenticateWriteKey(request, verifier);
      allowOrigin(request, reply, key);
      const parsed = BatchBody.safeParse(request.body);
      if (!parsed.success) {
        throw new SiyuError('validation', 'invalid_batch', 'a batch is an object with a "batch" array of messages', {
          details: parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
        });
      }
      const report = await ingestMessages(writer, parsed.data.batch, { source: key.name, context: parsed.data.context });
      return respond(report, 'batch');
    },
  );
}

/**
 * 200 when anything was stored or acknowledged (bad batch elements are listed by index); when nothing was,
 * 413 if every rejection was for size and 400 otherwise, with paths prefixed by the element's position.
 */
function respond(report: IngestReport, prefix: string) {
  const stored = report.accepted + report.duplicates;
  const rejected = report.rejected.map((r) => ({
    index: r.index,
    errors: r.errors.map((e) => ({ path: prefixPath(prefix, r.index, e.path), message: e.message })),
  }));
  if (stored === 0 && rejected.length > 0) {
    const details = rejected.flatMap((r) => r.errors);
    if (report.rejected.every((r) => r.tooLarge)) throw new SiyuError('too_large', 'message_too_large', details[0]?.message ?? 'message too large', { details });
    throw new SiyuError('validation', 'invalid_message', `${rejected.length} invalid message${rejected.length > 1 ? 's' : ''}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
  }
  return { success: true as const, accepted: report.accepted, duplicates: report.duplicates, rejected };
}

function prefixPath(prefix: string, index: number, path: string | undefined): string {
  const inner = path && path !== '(root)' ? path : '';
  if (!prefix) return inner || '(root)';
  return `${prefix}[${index}]${inner ? (inner.startsWith('[') ? inner : `.${inner}`) : ''}`;
}
