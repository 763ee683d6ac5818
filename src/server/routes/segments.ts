import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { exportSegment, layerMigration, listSegments, MIGRATION_LAYERS, previewSegment, REFRESH_SCHEDULES, refreshSegment, saveSegment } from '../../segment/index.ts';
import type { Store } from '../../store/index.ts';

const Preview = z.object({
  asOf: z.string(),
  count: z.number().int(),
  sample: z.array(z.object({ customerId: z.string(), name: z.string().nullable(), city: z.string().nullable() })),
});

export function registerSegmentRoutes(app: FastifyInstance, store: Store, piiAccess: (request: FastifyRequest) => boolean): void {
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
  api.put(
    '/v1/segments/:name',
    {
      schema: {
        tags: ['layer'],
        summary: 'Save (or replace) a named segment; the definition is checked and compiled first, and a bad node is reported by its path',
        params: z.object({ name: z.string() }),
        body: z.object({
          description: z.string().max(500).optional(),
          definition: z.unknown(),
          refresh_every: z.enum(REFRESH_SCHEDULES).nullable().optional().describe('refresh on its own this often while the server runs; null: only on demand; left out: keep the current schedule'),
        }),
        response: { 200: z.object({ name: z.string(), description: z.string().nullable(), definition: z.unknown(), refreshEvery: z.enum(REFRESH_SCHEDULES).nullable() }) },
      },
    },
    async (request) => saveSegment(store, { name: request.params.name, description: request.body.description, definition: request.body.definition, refreshEvery: request.body.refresh_every }),
  );
  api.post(
    '/v1/segments/:name/refresh',
    {
      schema: {
        tags: ['layer'],
        summary: "Recompute a saved segment's members as of a day (default: the latest order day) and emit Segment Entered / Segment Exited events",
        params: z.object({ name: z.string() }),
        body: z.object({ as_of: z.string().optional() }).default({}),
        response: { 200: z.object({ segment: z.string(), asOf: z.string(), members: z.number().int(), entered: z.number().int(), exited: z.number().int(), previous: z.string().nullable() }) },
      },
    },
    async (request) => refreshSegment(store, request.params.name, { asOf: request.body.as_of }),
  );
  api.get(
    '/v1/segments/:name/export',
    {
      schema: {
        tags: ['layer'],
        summary: "An audience export: the segment's members as of a day, with chosen profile fields and attributes, as CSV or JSONL; name, phone, email and birthday masked unless the caller may see them",
        params: z.object({ name: z.string() }),
        querystring: z.object({ format: z.enum(['csv', 'jsonl']).default('csv'), fields: z.string().default('').describe('comma-separated profile fields and attribute names'), as_of: z.string().optional() }),
      },
    },
    async (request, reply) => {
      const { format, fields, as_of: asOf } = request.query;
      // exportSegment writes the whole file or nothing; it is read back and removed.
      const dir = mkdtempSync(join(tmpdir(), 'siyu-export-'));
      try {
        const out = join(dir, `members.${format}`);
        const report = await exportSegment(store, request.params.name, { out, format, fields: fields.split(',').map((f) => f.trim()).filter(Boolean), asOf, pii: { reveal: piiAccess(request) } });
        return reply
          .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="${encodeURIComponent(request.params.name)}-${report.asOf}.${format}"`)
          .header('x-siyu-rows', String(report.rows))
          .send(readFileSync(out));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
  api.get(
    '/v1/migration',
    {
      schema: {
        tags: ['layer'],
        summary: 'How customers moved between two days: lifecycle stages, RFM classes, value tiers, or in/out of a segment; Sankey-ready links',
        querystring: z.object({ from: z.string(), to: z.string(), layer: z.enum(MIGRATION_LAYERS).default('stage'), segment: z.string().optional().describe('a saved segment instead of a layer') }),
        response: { 200: z.object({ layer: z.string(), from: z.string(), to: z.string(), links: z.array(z.object({ source: z.string(), target: z.string(), customers: z.number().int() })) }) },
      },
    },
    async (request) => layerMigration(store, request.query.segment ? { segment: request.query.segment } : request.query.layer, request.query.from, request.query.to),
  );
}
