import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { InboxProcessor, IngestWriter, WriteKeyVerifier } from '../ingest/index.ts';
import { SnapshotServing } from '../recommend/index.ts';
import { RealtimeTagger, SegmentScheduler } from '../segment/index.ts';
import type { Store } from '../store/index.ts';
import { VERSION } from '../core/version.ts';
import { registerErrorHandler } from './plugins/errors.ts';
import { registerChurnRoutes } from './routes/churn.ts';
import { registerCustomerRoutes } from './routes/customers.ts';
import { registerLayerRoutes } from './routes/layers.ts';
import { registerSegmentRoutes } from './routes/segments.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { BATCH_BODY_LIMIT, registerIngestRoutes } from './routes/ingest.ts';
import { registerRecommendRoutes } from './routes/recommend.ts';

export interface ServerOptions {
  store: Store;
  /** Fastify log level; 'silent' in tests. */
  logLevel?: string;
  /**
   * Whether a request may see personal data unmasked (GET /v1/customers/:id). Roles will decide this; until they
   * exist it is false unless the operator starts the server with `--reveal-pii` on a trusted network.
   */
  piiAccess?: (request: FastifyRequest) => boolean;
}

/** Builds the HTTP API over an open, migrated store. The caller listens and closes; closing flushes pending writes. */
export async function buildServer({ store, logLevel = 'silent', piiAccess = () => false }: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: logLevel }, bodyLimit: BATCH_BODY_LIMIT });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Siyu API', version: VERSION, description: 'Segment-compatible ingest and the Siyu customer API.' },
      components: { securitySchemes: { writeKey: { type: 'http', scheme: 'basic', description: 'The write key as user name, empty password' } } },
      security: [{ writeKey: [] }],
    },
    transform: jsonSchemaTransform,
  });

  // Appends to the inbox run on their own connection, so a long processing batch never delays an acknowledgement.
  const inboxStore = await store.fork();
  // Real-time tags are re-evaluated for the customers in each batch the processor commits.
  const tagger = new RealtimeTagger(store, (error) => app.log.error({ err: error }, 'real-time tagging failed'));
  const processor = new InboxProcessor(store, { onError: (error) => app.log.error({ err: error }, 'inbox processing failed; retrying'), onProcessed: () => tagger.wake() });
  const writer = new IngestWriter(inboxStore, { onCommit: () => processor.wake() });
  processor.start();
  registerIngestRoutes(app, { writer, verifier: new WriteKeyVerifier(store) });
  // Lists are served from an in-memory snapshot of the precomputed tables, loaded in the background at start.
  const serving = new SnapshotServing(store, (error) => app.log.error({ err: error }, 'loading the recommendation snapshot failed; serving from SQL'));
  void serving.start();
  // Saved segments with a schedule refresh on their own (checked every minute).
  const scheduler = new SegmentScheduler(store, {
    onRefreshed: (r) => app.log.info({ segment: r.segment, members: r.members, entered: r.entered, exited: r.exited }, 'scheduled segment refresh'),
    onError: (error, segment) => app.log.error({ err: error, segment }, 'scheduled segment refresh failed; trying again at the next check'),
  });
  scheduler.start();
  registerHealthRoutes(app, store, VERSION, serving);
  registerRecommendRoutes(app, store, serving);
  registerChurnRoutes(app, store);
  registerSegmentRoutes(app, store, piiAccess);
  registerLayerRoutes(app, store);
  registerCustomerRoutes(app, store, piiAccess);
  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());
  app.addHook('onClose', async () => {
    await serving.close();
    await scheduler.close();
    await writer.flush();
    await processor.stop(); // drains the inbox
    await tagger.idle();
    await inboxStore.close();
  });
  return app;
}
