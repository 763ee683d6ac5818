import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalActor, principalCustomerFilter, recordAudit } from '../../access/index.ts';
import { exportSegment, layerMigration, listSegments, maskName, MIGRATION_LAYERS, previewSegment, REFRESH_SCHEDULES, refreshSegment, saveSegment, segmentCatalogue, segmentRefreshes } from '../../segment/index.ts';
import type { Store } from '../../store/index.ts';
import { principalOf, RevealQuery, revealRequest } from '../plugins/auth.ts';

const Preview = z.object({
  asOf: z.string(),
  count: z.number().int(),
  sample: z.array(z.object({ customerId: z.string(), name: z.string().nullable(), city: z.string().nullable() })),
});

export function registerSegmentRoutes(app: FastifyInstance, store: Store): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/segments/preview',
    {
      config: { permission: 'segments:read', expensive: true },
      schema: {
        tags: ['layer'],
        summary: "Count and a 20-customer sample (names masked) for a segment definition, among the caller's data scope (docs/segmentation.md); a bad node is reported by its path",
        querystring: z.object({ as_of: z.string().optional() }),
        body: z.object({ definition: z.unknown() }),
        response: { 200: Preview },
      },
    },
    async (request) => {
      const preview = await previewSegment(store, request.body.definition, { asOf: request.query.as_of, customerFilter: principalCustomerFilter(principalOf(request)) });
      return { ...preview, sample: preview.sample.map((s) => ({ ...s, name: s.name === null ? null : maskName(s.name) })) };
    },
  );
  const api = app.withTypeProvider<ZodTypeProvider>();
  const Saved = z.object({
    name: z.string(),
    description: z.string().nullable(),
    definition: z.unknown(),
    refreshEvery: z.enum(REFRESH_SCHEDULES).nullable(),
    refreshedAt: z.date().nullable(),
    asOf: z.string().nullable().describe('the day of the latest refresh'),
    members: z.number().int().nullable().describe('members at the latest refresh; null before the first'),
  });
  api.get('/v1/segments', { config: { permission: 'segments:read' }, schema: { tags: ['layer'], summary: 'Saved segments with their latest size', response: { 200: z.object({ segments: z.array(Saved) }) } } }, async () => ({ segments: await listSegments(store) }));
  api.put(
    '/v1/segments/:name',
    {
      config: { permission: 'segments:write' },
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
      config: { permission: 'segments:write', expensive: true, allCustomersOnly: true },
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
      config: { permission: 'segments:export', expensive: true },
      schema: {
        tags: ['layer'],
        summary: "An audience export: the segment's members in the caller's data scope as of a day, with chosen profile fields and attributes, as CSV or JSONL; name, phone, email and birthday masked unless revealed (customers:read_pii and a reason); every export is audited",
        params: z.object({ name: z.string() }),
        querystring: z.object({ format: z.enum(['csv', 'jsonl']).default('csv'), fields: z.string().default('').describe('comma-separated profile fields and attribute names'), as_of: z.string().optional(), purpose: z.string().optional().describe('a consent purpose the audience is for: only customers whose consent allows it are exported (x-siyu-withheld counts the rest)'), ...RevealQuery }),
        // A file, not JSON: the answer declares its two content types, so the document and the console's types say what comes back.
        response: { 200: { description: 'the members, one per line; x-siyu-rows counts them', content: { 'text/csv': { schema: z.string() }, 'application/x-ndjson': { schema: z.string() } } } },
      },
    },
    async (request, reply) => {
      const { format, fields, as_of: asOf, purpose } = request.query;
      const principal = principalOf(request);
      const { reveal, reason } = revealRequest(request, request.query);
      const fieldList = fields.split(',').map((f) => f.trim()).filter(Boolean);
      // exportSegment writes the whole file or nothing; it is read back and removed.
      const dir = mkdtempSync(join(tmpdir(), 'siyu-export-'));
      try {
        const out = join(dir, `members.${format}`);
        const report = await exportSegment(store, request.params.name, { out, format, fields: fieldList, asOf, pii: { reveal }, customerFilter: principalCustomerFilter(principal), purpose });
        await recordAudit(store, { actor: principalActor(principal), action: 'segment.export', target: request.params.name, details: { format, fields: fieldList, asOf: report.asOf, rows: report.rows, revealed: reveal, ...(reveal ? { reason } : {}), ...(purpose ? { purpose, withheld: report.withheld } : {}) } });
        return reply
          .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="${encodeURIComponent(request.params.name)}-${report.asOf}.${format}"`)
          .header('x-siyu-rows', String(report.rows))
          .header('x-siyu-withheld', String(report.withheld))
          .send(readFileSync(out, 'utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
  api.get(
    '/v1/migration',
    {
      config: { permission: 'segments:read', allCustomersOnly: true },
      schema: {
        tags: ['layer'],
        summary: 'How customers moved between two days: lifecycle stages, RFM classes, value tiers, or in/out of a segment; Sankey-ready links',
        querystring: z.object({ from: z.string(), to: z.string(), layer: z.enum(MIGRATION_LAYERS).default('stage'), segment: z.string().optional().describe('a saved segment instead of a layer') }),
        response: { 200: z.object({ layer: z.string(), from: z.string(), to: z.string(), links: z.array(z.object({ source: z.string(), target: z.string(), customers: z.number().int() })) }) },
      },
    },
    async (request) => layerMigration(store, request.query.segment ? { segment: request.query.segment } : request.query.layer, request.query.from, request.query.to),
  );
  const Label = { zh: z.string(), en: z.string() };
  api.get(
    '/v1/segments/catalogue',
    // What conditions are built from, not who matches them (no customer appears in it): the journey editor's condition
    // step needs it too, for operators who write journeys without reading segments.
    { config: { permission: ['segments:read', 'journeys:write'] },
      schema: {
        tags: ['layer'],
        summary: 'What definitions can be built from: fields with their values, attributes, tags and the most frequent events',
        response: {
          200: z.object({
            fields: z.array(z.object({ name: z.string(), type: z.enum(['number', 'text']), values: z.array(z.object({ value: z.string(), ...Label })) })),
            attributes: z.array(z.object({ name: z.string(), ...Label, type: z.enum(['number', 'text', 'date']), description: z.string() })),
            tags: z.array(z.string()),
            events: z.array(z.object({ name: z.string(), events: z.number().int() })),
          }),
        },
      },
    },
    async () => segmentCatalogue(store),
  );
  api.get(
    '/v1/segments/:name/history',
    { config: { permission: 'segments:read' },
      schema: {
        tags: ['layer'],
        summary: "A saved segment's membership over time: members, entered and exited on each refreshed day",
        params: z.object({ name: z.string() }),
        response: { 200: z.object({ segment: z.string(), refreshes: z.array(z.object({ asOf: z.string(), members: z.number().int(), entered: z.number().int(), exited: z.number().int(), refreshedAt: z.date() })) }) },
      },
    },
    async (request) => ({ segment: request.params.name, refreshes: await segmentRefreshes(store, request.params.name) }),
  );
}
