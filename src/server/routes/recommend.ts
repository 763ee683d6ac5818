import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { boughtTogetherFor, POPULAR_SCOPES, popularItems, REASON_KINDS, similarItemsFor, type SnapshotServing } from '../../recommend/index.ts';
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
}
