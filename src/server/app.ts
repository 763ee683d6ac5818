import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { InboxProcessor, IngestWriter, WriteKeyVerifier } from '../ingest/index.ts';
import { SnapshotServing } from '../recommend/index.ts';
import { ChannelSet, dispatchDue, pollChannels, recoverSending } from '../channels/index.ts';
import { Loop } from '../core/loop.ts';
import { RepeatingFailures } from '../core/repeating-failures.ts';
import { JobScheduler } from '../jobs/index.ts';
import { runJourneys } from '../journey/index.ts';
import { RealtimeTagger } from '../segment/index.ts';
import { keyRingFor } from '../privacy/index.ts';
import type { Store } from '../store/index.ts';
import { VERSION } from '../core/version.ts';
import { registerAuth, type AuthOptions } from './plugins/auth.ts';
import { registerErrorHandler } from './plugins/errors.ts';
import { registerAccessRoutes } from './routes/access.ts';
import { registerAdminRoutes, type AdminOptions } from './routes/admin.ts';
import { registerAnalyticsRoutes } from './routes/analytics.ts';
import { registerChannelRoutes } from './routes/channels.ts';
import { registerChurnRoutes } from './routes/churn.ts';
import { registerCustomerRoutes } from './routes/customers.ts';
import { registerLayerRoutes } from './routes/layers.ts';
import { registerPrivacyRoutes } from './routes/privacy.ts';
import { registerSegmentRoutes } from './routes/segments.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { registerJourneyRoutes } from './routes/journeys.ts';
import { registerLoyaltyRoutes } from './routes/loyalty.ts';
import { BATCH_BODY_LIMIT, registerIngestRoutes } from './routes/ingest.ts';
import { registerRecommendRoutes } from './routes/recommend.ts';
import { registerModelRoutes } from './routes/models.ts';
import { registerSettingsRoutes } from './routes/settings.ts';
import { registerWriteKeyRoutes } from './routes/write-keys.ts';
import { registerConsole } from './plugins/console.ts';

export interface ServerOptions {
  store: Store;
  /** Fastify log level; 'silent' in tests. */
  logLevel?: string;
  /** Rate limits of the sign-in and expensive routes (defaults in plugins/auth.ts). */
  rateLimits?: AuthOptions;
  /** Trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy (for client addresses and Secure cookies). */
  trustProxy?: boolean;
  /** Run the recurring jobs on their schedules (`siyu serve` does unless --no-jobs); off by default, as in tests. */
  schedule?: boolean;
  /** The local admin endpoint for CLI commands (`siyu serve` on an embedded file turns it on). */
  admin?: AdminOptions;
  /** The built console's folder to serve at `/`: found beside the package by default; false serves none. */
  consoleDir?: string | false;
}

/** Builds the HTTP API over an open, migrated store. The caller listens and closes; closing flushes pending writes. */
export async function buildServer({ store, logLevel = 'silent', rateLimits = {}, trustProxy = false, schedule = false, admin, consoleDir }: ServerOptions): Promise<FastifyInstance> {
  // The key ring first, once: ingest seals what it acknowledges, and the inbox processor and the first requests
  // would otherwise race to create a new store's keys.
  await keyRingFor(store);
  const app = Fastify({ logger: { level: logLevel }, bodyLimit: BATCH_BODY_LIMIT, trustProxy });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  // Before any route: every route declares who may call it, and one hook checks it (docs/security.md).
  await registerAuth(app, store, rateLimits);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Siyu API', version: VERSION, description: 'Segment-compatible ingest and the Siyu customer API.' },
      components: {
        securitySchemes: {
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'siyu_session', description: 'The console session from POST /v1/auth/sign-in; unsafe methods also need its CSRF token in X-CSRF-Token' },
          bearerKey: { type: 'http', scheme: 'bearer', description: 'An API key (syk_…) with the scopes the route needs' },
          writeKey: { type: 'http', scheme: 'basic', description: 'Segment style: a key with ingest:write as user name, empty password' },
        },
      },
    },
    transform: jsonSchemaTransform,
    // Schemas registered with an id (zod's global registry) are components, referenced where routes use them.
    transformObject: jsonSchemaTransformObject,
  });

  // Appends to the inbox run on their own connection, so a long processing batch never delays an acknowledgement.
  const inboxStore = await store.fork();
  // What follows an ingest batch (processing the inbox, real-time tags, the journey engine) shares a connection of
  // its own, so requests to the API never queue in front of it (on DuckDB a connection runs one statement at a
  // time); these three still take turns with each other, as a merge and a journey step must not interleave.
  const pipeline = await store.fork();
  // Real-time tags are re-evaluated for the customers in each batch the processor commits.
  const tagger = new RealtimeTagger(pipeline, (error) => app.log.error({ err: error }, 'real-time tagging failed'));
  // The journey engine reacts to each committed batch (its triggers were queued with the events) and runs every
  // second for due steps; it wakes the dispatcher, which hands queued messages to their channels.
  const channels = new ChannelSet(store);
  await channels.reload();
  const dispatcher = new Loop(() => dispatchDue(store, channels.list), { everyMs: 1000, onError: (error) => app.log.error({ err: error }, 'dispatching messages failed; trying again') });
  // Receipts, replies and bounces pulled from the providers every 10 s, so an unsubscribe counts within a minute. A
  // provider that stays unreachable is logged once, then every 10 minutes, and once more when it answers again.
  const pollFailures = new RepeatingFailures({
    failed: (channel, error, repeat) =>
      app.log.error({ err: error, channel, ...repeat }, repeat ? `pulling receipts from ${channel} still fails (${repeat.held} more failures not logged); trying again every 10 s` : `pulling receipts from ${channel} failed; trying again every 10 s`),
    recovered: (channel, failedForMs) => app.log.info({ channel, failedForMs }, `pulling receipts from ${channel} works again`),
  });
  const feedback = new Loop(async () => {
    const polled = await pollChannels(store, channels.list, (error, channel) => pollFailures.failed(channel, error));
    for (const channel of Object.keys(polled)) pollFailures.succeeded(channel);
  }, {
    everyMs: 10_000,
    onError: (error) => app.log.error({ err: error }, 'pulling receipts failed; trying again'),
  });
  // Woken by a batch, a run takes the queued events and the steps they made due; once a second it also looks for
  // waits that ended and broadcasts that are due (under steady ingest the loop is woken before its timer fires).
  let lastFullRun = 0;
  const journeys = new Loop(
    async () => {
      const isEventsOnly = Date.now() - lastFullRun < 1000;
      if (!isEventsOnly) lastFullRun = Date.now();
      const run = await runJourneys(pipeline, { isEventsOnly });
      if (run.advanced.steps > 0) dispatcher.wake();
    },
    { everyMs: 1000, onError: (error) => app.log.error({ err: error }, 'the journey engine failed; trying again') },
  );
  const processor = new InboxProcessor(pipeline, {
    onError: (error) => app.log.error({ err: error }, 'inbox processing failed; retrying'),
    onProcessed: () => {
      tagger.wake();
      journeys.wake();
    },
  });
  const writer = new IngestWriter(inboxStore, { onCommit: () => processor.wake() });
  processor.start();
  registerIngestRoutes(app, { writer, verifier: new WriteKeyVerifier(store) });
  // Lists are served from an in-memory snapshot of the precomputed tables, loaded in the background at start.
  const serving = new SnapshotServing(store, (error) => app.log.error({ err: error }, 'loading the recommendation snapshot failed; serving from SQL'));
  void serving.start();
  // Recurring jobs (the nightly layers, incremental updates, segment refreshes, model scoring…) run on their
  // schedules when `schedule` is on; jobs can always be run on demand.
  const scheduler = new JobScheduler(store, {
    onFinished: (run) => app.log[run.status === 'failed' ? 'error' : 'info']({ job: run.job, runId: run.runId, status: run.status, rows: run.rowsTouched, error: run.error }, `job ${run.job} ${run.status}`),
    onError: (error, job) => app.log.error({ err: error, job }, 'job scheduling failed; trying again at the next check'),
  });
  if (schedule) {
    await scheduler.start();
    // On the embedded store nothing else can be sending: every message left `sending` was cut short.
    await recoverSending(store, new Date(), store.kind === 'duckdb' ? 0 : undefined);
    journeys.start();
    dispatcher.start();
    feedback.start();
  } else await scheduler.recover();
  registerHealthRoutes(app, store, VERSION, serving);
  registerJobRoutes(app, store, scheduler);
  registerChannelRoutes(app, store, channels);
  if (admin) registerAdminRoutes(app, { store, scheduler }, admin);
  registerRecommendRoutes(app, store, serving);
  registerChurnRoutes(app, store);
  registerSegmentRoutes(app, store);
  registerLayerRoutes(app, store);
  registerCustomerRoutes(app, store);
  registerAccessRoutes(app, store, rateLimits);
  registerPrivacyRoutes(app, store);
  registerModelRoutes(app, store);
  registerLoyaltyRoutes(app, store);
  registerWriteKeyRoutes(app, store);
  registerSettingsRoutes(app, store, VERSION);
  registerAnalyticsRoutes(app, store);
  registerJourneyRoutes(app, store, () => journeys.wake());
  await registerConsole(app, consoleDir);
  app.get('/docs', { config: { permission: 'public' }, schema: { hide: true } }, async () => app.swagger());
  app.addHook('onClose', async () => {
    await serving.close();
    await scheduler.close(); // waits for running jobs
    await journeys.stop();
    await dispatcher.stop();
    await feedback.stop();
    channels.close();
    await writer.flush();
    await processor.stop(); // drains the inbox
    await tagger.idle();
    await pipeline.close();
    await inboxStore.close();
  });
  return app;
}
