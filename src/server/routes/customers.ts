import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { customerProfile, customerTags, setTags, tagHistory } from '../../segment/index.ts';
import type { Store } from '../../store/index.ts';

export function registerCustomerRoutes(app: FastifyInstance, store: Store, piiAccess: (request: FastifyRequest) => boolean): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/customers/:id',
    {
      schema: {
        tags: ['know'],
        summary: 'The 360° profile: identities, traits, orders, top attributes, RFM, stage, tier, CLV, churn, segments and recent events; personal data masked unless allowed',
        params: z.object({ id: z.string().min(1) }),
      },
    },
    async (request) => customerProfile(store, request.params.id, { reveal: piiAccess(request) }),
  );
  const api = app.withTypeProvider<ZodTypeProvider>();
  const Tags = z.object({
    tags: z.array(z.object({ tag: z.string(), source: z.string(), setBy: z.string(), setAt: z.date() })),
    history: z.array(z.object({ tag: z.string(), action: z.string(), by: z.string(), at: z.date() })),
  });
  const tagsOf = async (id: string) => ({ tags: await customerTags(store, id), history: await tagHistory(store, id) });
  api.get('/v1/customers/:id/tags', { schema: { tags: ['know'], summary: "A customer's tags and their history", params: z.object({ id: z.string().min(1) }), response: { 200: Tags } } }, async (request) => tagsOf(request.params.id));
  api.post(
    '/v1/customers/:id/tags',
    {
      schema: {
        tags: ['know'],
        summary: 'Set a manual tag on a customer',
        params: z.object({ id: z.string().min(1) }),
        body: z.object({ tag: z.string().min(1).max(64).regex(/^[\p{L}\p{N}_.:-]+$/u, 'letters, digits, _ . : or -'), by: z.string().max(128).default('api') }),
        response: { 200: Tags },
      },
    },
    async (request) => {
      await setTags(store, request.body.tag, [request.params.id], request.body.by);
      return tagsOf(request.params.id);
    },
  );
  api.delete(
    '/v1/customers/:id/tags/:tag',
    { schema: { tags: ['know'], summary: 'Remove a manual tag from a customer', params: z.object({ id: z.string().min(1), tag: z.string().min(1) }), querystring: z.object({ by: z.string().max(128).default('api') }), response: { 200: Tags } } },
    async (request) => {
      await setTags(store, request.params.tag, [request.params.id], request.query.by, 'remove');
      return tagsOf(request.params.id);
    },
  );
}
