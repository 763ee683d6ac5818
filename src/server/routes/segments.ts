import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { layerMigration, listSegments, previewSegment } from '../../segment/index.ts';
import type { Store } from '../../store/index.ts';

const Preview = z.object({
  asOf: z.string(),
  count: z.number().int(),
  sample: z.array(z.object({ customerId: z.string(), name: z.string().nullable(), city: z.string().nullable() })),
});

export function registerSegmentRoutes(app: FastifyInstance, store: Store): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/segments/preview',
    {
      schema: {
        tags: ['layer'],
        summary: 'Count and a 20-customer sample for a segment definition (docs/segmentation.md); a bad node is reported by its path',
        querystring: z.object({ as_of: z.string().optional() }),
        body: z.object({ definition: z.unknown() }),
        response: { 200: Preview },
      },
    },
    async (request) => previewSegment(store, request.body.definition, { asOf: request.query.as_of }),
  );
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/v1/segments', { schema: { tags: ['layer'], summary: 'Saved segments with their latest size' } }, async () => ({ segments: await listSegments(store) }));
  api.get(
    '/v1/migration',
    {
      schema: {
        tags: ['layer'],
        summary: 'How customers moved between two days: lifecycle stages, or in/out of a segment; Sankey-ready links',
        querystring: z.object({ from: z.string(), to: z.string(), segment: z.string().optional() }),
        response: { 200: z.object({ layer: z.string(), from: z.string(), to: z.string(), links: z.array(z.object({ source: z.string(), target: z.string(), customers: z.number().int() })) }) },
      },
    },
    async (request) => layerMigration(store, request.query.segment ? { segment: request.query.segment } : { stage: true }, request.query.from, request.query.to),
  );
}
