import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clusterSummary, computeAttributes, computeClusters, computeLifecycle, computeRfm, computeTiers, rfmSummary, RFM_CLASSES, stageSummary, STAGES, tierSummary, TIERS, updateLayers } from '../../segment/index.ts';
import type { Store } from '../../store/index.ts';

// The layer computations behind `siyu attributes compute`, `siyu rfm`, `siyu tiers`, `siyu lifecycle` and
// `siyu cluster`, for the console's "recompute" buttons and schedulers. Each replaces its table for every customer
// and answers with the same report the CLI prints; bodies take the CLI's options in snake_case.

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const label = { zh: z.string(), en: z.string() };

const Rfm = z.object({
  asOf: z.string(),
  windowDays: z.number().int(),
  threshold: z.enum(['mean', 'median']),
  currency: z.string(),
  customers: z.number().int(),
  thresholds: z.object({ recencyDays: z.number(), frequency: z.number(), monetary: z.number() }),
  classes: z.array(z.object({ code: z.enum(RFM_CLASSES.map((c) => c.code) as [string, ...string[]]), ...label, customers: z.number().int(), share: z.number(), meanRecencyDays: z.number(), meanFrequency: z.number(), meanMonetary: z.number() })),
  grid: z.array(z.object({ r: z.number().int(), f: z.number().int(), customers: z.number().int(), meanMonetary: z.number() })).describe('R × F quintile cells, for heatmaps'),
  measuredFrom: z.enum(['attributes', 'orders']).describe('where the measures came from: the current computed attributes, or a scan of the orders'),
});

const Tiers = z.object({
  basis: z.enum(['monetary', 'clv']),
  asOf: z.string(),
  currency: z.string(),
  customers: z.number().int(),
  tiers: z.array(z.object({ code: z.enum(TIERS.map((t) => t.code) as [string, ...string[]]), ...label, customers: z.number().int(), share: z.number(), minValue: z.number(), totalValue: z.number(), valueShare: z.number() })),
  measuredFrom: z.enum(['attributes', 'orders', 'clv_scores']).describe('where the values came from: the current computed attributes, a scan of the orders, or CLV scores'),
});

const stage = z.enum(STAGES.map((s) => s.code) as [string, ...string[]]);
const Lifecycle = z.object({
  asOf: z.string(),
  customers: z.number().int(),
  stages: z.array(z.object({ code: stage, ...label, customers: z.number().int(), share: z.number() })),
  changes: z.number().int(),
  transitions: z.array(z.object({ from: stage.nullable(), to: stage, customers: z.number().int() })),
  measuredFrom: z.enum(['attributes', 'orders']).describe('where the measures came from: the current computed attributes, or a scan of the orders'),
});

const Clusters = z.object({
  asOf: z.string(),
  customers: z.number().int(),
  k: z.number().int(),
  silhouettes: z.array(z.object({ k: z.number().int(), silhouette: z.number() })),
  clusters: z.array(z.object({ cluster: z.number().int(), name: z.string(), customers: z.number().int(), share: z.number(), means: z.record(z.string(), z.number()), zScores: z.record(z.string(), z.number()) })),
});

export function registerLayerRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post(
    '/v1/layers/attributes',
    {
      config: { permission: 'layers:compute', expensive: true, allCustomersOnly: true },
      schema: {
        tags: ['layer'],
        summary: 'Compute every built-in and brand attribute for every customer (customer_attributes)',
        body: z.object({ as_of: day.optional() }).default({}),
        response: { 200: z.object({ asOf: z.string(), customers: z.number().int(), attributes: z.number().int() }) },
      },
    },
    async (request) => computeAttributes(store, { asOf: request.body.as_of }),
  );
  api.post(
    '/v1/layers/rfm',
    {
      config: { permission: 'layers:compute', expensive: true, allCustomersOnly: true },
      schema: {
        tags: ['layer'],
        summary: 'Compute RFM: quintile scores and the Chinese 8-class model, with the class counts and the R × F grid',
        body: z.object({ as_of: day.optional(), window_days: z.number().int().min(1).default(365), threshold: z.enum(['mean', 'median']).default('mean') }).default({ window_days: 365, threshold: 'mean' }),
        response: { 200: Rfm },
      },
    },
    async (request) => computeRfm(store, { asOf: request.body.as_of, windowDays: request.body.window_days, threshold: request.body.threshold }),
  );
  api.post(
    '/v1/layers/tiers',
    {
      config: { permission: 'layers:compute', expensive: true, allCustomersOnly: true },
      schema: {
        tags: ['layer'],
        summary: 'Compute value tiers (头部/腰部/尾部) by money paid in the window or by predicted CLV',
        body: z
          .object({ basis: z.enum(['monetary', 'clv']).default('monetary'), head_share: z.number().gt(0).lt(1).default(0.2), waist_share: z.number().min(0).lt(1).default(0.3), as_of: day.optional(), window_days: z.number().int().min(1).default(365) })
          .default({ basis: 'monetary', head_share: 0.2, waist_share: 0.3, window_days: 365 }),
        response: { 200: Tiers },
      },
    },
    async (request) => {
      const b = request.body;
      return computeTiers(store, { basis: b.basis, headShare: b.head_share, waistShare: b.waist_share, asOf: b.as_of, windowDays: b.window_days });
    },
  );
  api.post(
    '/v1/layers/lifecycle',
    {
      config: { permission: 'layers:compute', expensive: true, allCustomersOnly: true },
      schema: {
        tags: ['layer'],
        summary: 'Compute lifecycle stages (潜客/新客/活跃/复购/沉睡/流失/回流), recording each change as a Stage Changed event',
        body: z
          .object({
            as_of: day.optional(),
            new_days: z.number().int().min(1).optional(),
            dormant_multiplier: z.number().positive().optional(),
            churned_multiplier: z.number().positive().optional(),
            bound_factor: z.number().min(1).optional(),
            dormant_days: z.number().int().min(1).optional(),
            churned_days: z.number().int().min(1).optional(),
          })
          .default({}),
        response: { 200: Lifecycle },
      },
    },
    async (request) => {
      const b = request.body;
      return computeLifecycle(store, {
        asOf: b.as_of,
        newDays: b.new_days,
        dormantMultiplier: b.dormant_multiplier,
        churnedMultiplier: b.churned_multiplier,
        boundFactor: b.bound_factor,
        dormantDays: b.dormant_days,
        churnedDays: b.churned_days,
      });
    },
  );
  api.post(
    '/v1/layers/clusters',
    {
      config: { permission: 'layers:compute', expensive: true, allCustomersOnly: true },
      schema: {
        tags: ['layer'],
        summary: 'Cluster buyers with k-means++ on standardised RFM and behaviour; k by silhouette over 2–10 unless given',
        body: z.object({ k: z.number().int().min(2).max(10).optional(), seed: z.number().int().default(42) }).default({ seed: 42 }),
        response: { 200: Clusters },
      },
    },
    async (request) => computeClusters(store, { k: request.body.k, seed: request.body.seed }),
  );
  api.post(
    '/v1/layers/update',
    {
      config: { permission: 'layers:compute', expensive: true, allCustomersOnly: true },
      schema: {
        tags: ['layer'],
        summary: 'The incremental update: attributes, RFM, tiers, stages and saved segments for the customers with new orders or events since the last run',
        body: z.object({ as_of: day.optional() }).default({}),
        response: {
          200: z.object({
            since: z.date(),
            asOf: z.string(),
            customers: z.number().int(),
            updated: z.object({ attributes: z.number().int(), rfm: z.number().int(), tiers: z.number().int(), lifecycle: z.number().int() }),
            segments: z.array(z.object({ segment: z.string(), asOf: z.string(), members: z.number().int(), entered: z.number().int(), exited: z.number().int(), previous: z.string().nullable() })),
            steps: z.array(z.object({ step: z.string(), seconds: z.number() })),
          }),
        },
      },
    },
    async (request) => updateLayers(store, { asOf: request.body.as_of }),
  );
  // The layers as they stand, read from the score tables (null before the layer was first computed).
  const standing = 'read from what the last computation stored; null before the first';
  api.get('/v1/layers/rfm', { config: { permission: 'layers:read' }, schema: { tags: ['layer'], summary: `The current RFM classes and R × F grid, ${standing}`, response: { 200: z.object({ rfm: Rfm.omit({ measuredFrom: true }).nullable() }) } } }, async () => ({ rfm: await rfmSummary(store) }));
  api.get('/v1/layers/lifecycle', { config: { permission: 'layers:read' }, schema: { tags: ['layer'], summary: `Customers per lifecycle stage, ${standing}`, response: { 200: z.object({ lifecycle: Lifecycle.pick({ asOf: true, customers: true, stages: true }).nullable() }) } } }, async () => ({ lifecycle: await stageSummary(store) }));
  api.get('/v1/layers/tiers', { config: { permission: 'layers:read' }, schema: { tags: ['layer'], summary: `The value tiers, ${standing}`, response: { 200: z.object({ tiers: Tiers.omit({ measuredFrom: true }).nullable() }) } } }, async () => ({ tiers: await tierSummary(store) }));
  api.get('/v1/layers/clusters', { config: { permission: 'layers:read' }, schema: { tags: ['layer'], summary: `The clusters with their profiles (feature means and z-scores), ${standing}`, response: { 200: z.object({ clusters: Clusters.omit({ k: true, silhouettes: true }).nullable() }) } } }, async () => ({ clusters: await clusterSummary(store) }));
}
