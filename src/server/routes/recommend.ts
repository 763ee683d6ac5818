import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  boughtTogetherFor,
  clearMerchandisingRule,
  listExperiments,
  listMerchandisingRules,
  listRecommendationRuns,
  MERCHANDISING_ACTIONS,
  POPULAR_SCOPES,
  popularItems,
  REASON_KINDS,
  recommendationPerformance,
  setMerchandisingRule,
  similarItemsFor,
  startExperiment,
  stopExperiment,
  type SnapshotServing,
} from '../../recommend/index.ts';
import type { Store } from '../../store/index.ts';

const Count = z.coerce.number().int().min(1).max(100).default(10).describe('how many items, 1-100');

const Reason = z.object({
  kind: z.enum(REASON_KINDS),
  sku: z.string().optional().describe('bought_with: the bought item behind the pick'),
  due: z.string().optional().describe('restock: the predicted day the customer runs out (YYYY-MM-DD)'),
  zh: z.string(),
  en: z.string(),
});

const RecommendationList = z.object({
  customerId: z.string(),
  known: z.boolean(),
  personalized: z.boolean(),
  notice: z.enum(['unknown_customer', 'opted_out', 'no_candidates']).nullable().describe('why the list is not personalised'),
  algorithm: z.string().nullable(),
  runId: z.string().nullable(),
  tracking: z
    .object({ recommendation_id: z.string(), algorithm: z.string().nullable(), experiment: z.string().nullable(), variant: z.string().nullable(), slot: z.string().nullable() })
    .describe('send as the properties of Recommendation Viewed / Recommendation Clicked (adding sku to a click)'),
  items: z.array(z.object({ sku: z.string(), name: z.string().nullable(), category: z.string().nullable(), score: z.number(), reason: Reason })),
});

const SimilarItems = z.object({
  sku: z.string(),
  basis: z.enum(['model', 'content']).describe('content: by category, brand and price, for a SKU the model never saw'),
  items: z.array(z.object({ sku: z.string(), name: z.string().nullable(), category: z.string().nullable(), score: z.number() })),
});

const BoughtTogether = z.object({
  sku: z.string(),
  items: z.array(
    z.object({
      sku: z.string(),
      name: z.string().nullable(),
      category: z.string().nullable(),
      orders: z.number().int().describe('baskets holding both'),
      support: z.number(),
      confidence: z.number().describe('share of the baskets with the SKU that also hold this item'),
      lift: z.number(),
    }),
  ),
});

const PopularList = z.object({
  scope: z.enum(POPULAR_SCOPES),
  value: z.string(),
  items: z.array(z.object({ sku: z.string(), name: z.string().nullable(), category: z.string().nullable(), buyers: z.number().int(), score: z.number() })),
});

/** Serving of the precomputed recommendations (docs/recommend.md). */
export function registerRecommendRoutes(app: FastifyInstance, store: Store, serving: SnapshotServing): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/recommendations/:customerId',
    {
      config: { permission: 'recommendations:read', allCustomersOnly: true },
      schema: {
        tags: ['recommend'],
        summary: "A customer's recommendations; unknown or opted-out customers get the popular items",
        params: z.object({ customerId: z.string().min(1) }),
        querystring: z.object({ n: Count, context: z.string().optional().describe('where the list is shown (slot name), for reporting') }),
        response: { 200: RecommendationList },
      },
    },
    async (request) => serving.list(request.params.customerId, { n: request.query.n, slot: request.query.context }),
  );
  api.get(
    '/v1/items/popular',
    {
      config: { permission: 'recommendations:read' },
      schema: {
        tags: ['recommend'],
        summary: 'Best-sellers overall, trending (7-day half-life), per channel or per value tier',
        querystring: z.object({ scope: z.enum(POPULAR_SCOPES).default('global'), value: z.string().optional().describe('the channel or tier, for those scopes'), n: Count }),
        response: { 200: PopularList },
      },
    },
    async (request) => popularItems(store, request.query.scope, request.query.value, request.query.n),
  );
  api.get(
    '/v1/items/:sku/similar',
    {
      config: { permission: 'recommendations:read' },
      schema: {
        tags: ['recommend'],
        summary: 'Items most similar to a SKU by the last trained model',
        params: z.object({ sku: z.string().min(1) }),
        querystring: z.object({ n: Count }),
        response: { 200: SimilarItems },
      },
    },
    async (request) => similarItemsFor(store, request.params.sku, { n: request.query.n }),
  );
  api.get(
    '/v1/items/:sku/bought-together',
    {
      config: { permission: 'recommendations:read' },
      schema: {
        tags: ['recommend'],
        summary: 'Frequently bought together: pair rules from baskets, by confidence',
        params: z.object({ sku: z.string().min(1) }),
        querystring: z.object({ n: Count }),
        response: { 200: BoughtTogether },
      },
    },
    async (request) => boughtTogetherFor(store, request.params.sku, { n: request.query.n }),
  );
  registerRecommendAdminRoutes(app, store);
}

const Rule = z.object({ sku: z.string(), action: z.enum(MERCHANDISING_ACTIONS), factor: z.number(), note: z.string().nullable(), createdAt: z.date() });
const ExperimentShape = z.object({ experiment: z.string(), variants: z.array(z.object({ variant: z.string(), algorithm: z.string(), share: z.number() })), startedAt: z.date(), endedAt: z.date().nullable() });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');

/** Merchandising rules, experiments, training runs and the click-to-purchase report (`siyu recommend rule|experiment|report`). */
function registerRecommendAdminRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/v1/recommend/rules', { config: { permission: 'recommendations:read' }, schema: { tags: ['recommend'], summary: 'Merchandising rules: pinned, boosted and buried SKUs', response: { 200: z.object({ rules: z.array(Rule) }) } } }, async () => ({ rules: await listMerchandisingRules(store) }));
  api.put(
    '/v1/recommend/rules/:sku',
    { config: { permission: 'recommendations:write' },
      schema: {
        tags: ['recommend'],
        summary: "Set a SKU's rule (replacing its earlier one): pin shows it first, boost divides its rank by the factor, bury never shows it",
        params: z.object({ sku: z.string().min(1) }),
        body: z.object({ action: z.enum(MERCHANDISING_ACTIONS), factor: z.number().positive().optional(), note: z.string().max(500).optional() }).strict(),
        response: { 200: Rule },
      },
    },
    async (request) => setMerchandisingRule(store, { sku: request.params.sku, ...request.body }),
  );
  api.delete('/v1/recommend/rules/:sku', { config: { permission: 'recommendations:write' }, schema: { tags: ['recommend'], summary: "Clear a SKU's rule", params: z.object({ sku: z.string().min(1) }), response: { 200: z.object({ cleared: z.boolean() }) } } }, async (request) => ({
    cleared: await clearMerchandisingRule(store, request.params.sku),
  }));
  api.get('/v1/recommend/experiments', { config: { permission: 'recommendations:read' }, schema: { tags: ['recommend'], summary: 'Every A/B experiment between algorithms, newest first', response: { 200: z.object({ experiments: z.array(ExperimentShape) }) } } }, async () => ({
    experiments: await listExperiments(store),
  }));
  api.post(
    '/v1/recommend/experiments',
    { config: { permission: 'recommendations:write' },
      schema: {
        tags: ['recommend'],
        summary: "Start an A/B experiment: a customer's variant is a fixed hash of the experiment and their id",
        body: z.object({ name: z.string().min(1).max(64), variants: z.array(z.object({ algorithm: z.string().min(1), share: z.number().gt(0).max(1) }).strict()).min(2) }).strict(),
        response: { 200: ExperimentShape },
      },
    },
    async (request) => startExperiment(store, request.body.name, request.body.variants),
  );
  api.post('/v1/recommend/experiments/:name/stop', { config: { permission: 'recommendations:write' }, schema: { tags: ['recommend'], summary: 'Stop a running experiment; lists go back to the latest run', params: z.object({ name: z.string() }), response: { 200: z.object({ stopped: z.string() }) } } }, async (request) => {
    await stopExperiment(store, request.params.name);
    return { stopped: request.params.name };
  });
  api.get(
    '/v1/recommend/runs',
    { config: { permission: 'recommendations:read' },
      schema: {
        tags: ['recommend'],
        summary: 'The latest training runs: algorithm, settings and what each was trained on',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(20) }),
        response: { 200: z.object({ runs: z.array(z.object({ runId: z.string(), algorithm: z.string(), params: z.record(z.string(), z.unknown()), interactions: z.number().int(), customers: z.number().int(), items: z.number().int(), trainedAt: z.date() })) }) },
      },
    },
    async (request) => ({ runs: await listRecommendationRuns(store, request.query.limit) }),
  );
  api.get(
    '/v1/recommend/report',
    { config: { permission: 'recommendations:read' },
      schema: {
        tags: ['recommend'],
        summary: 'Views, clicks, CTR, conversions within the attribution window and credited revenue per algorithm and slot',
        querystring: z.object({ from: day.optional(), to: day.optional().describe('exclusive'), experiment: z.string().optional() }),
        response: {
          200: z.object({
            from: z.string().nullable(),
            to: z.string().nullable(),
            experiment: z.string().nullable(),
            attributionDays: z.number().int(),
            rows: z.array(z.object({ algorithm: z.string(), slot: z.string(), views: z.number().int(), clicks: z.number().int(), ctr: z.number(), conversions: z.number().int(), conversionRate: z.number(), revenueFen: z.number().int() })),
          }),
        },
      },
    },
    async (request) => recommendationPerformance(store, request.query),
  );
}
