import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertCustomerVisible, principalActor, recordAudit } from '../../access/index.ts';
import { customerFilterValues, customerProfile, customerTags, listCustomers, setTags, tagHistory } from '../../segment/index.ts';
import type { Store } from '../../store/index.ts';
import { principalOf, RevealQuery, revealRequest } from '../plugins/auth.ts';
import { CustomerFilters, CustomerList, CustomerListQuery, Profile } from './customer-schemas.ts';

export function registerCustomerRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/customers/:id',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags: ['know'],
        summary: 'The 360° profile: identities, traits, orders, top attributes, RFM, stage, tier, CLV, churn, segments and recent events; personal data masked unless revealed (customers:read_pii and a reason, audited)',
        params: z.object({ id: z.string().min(1) }),
        querystring: z.object(RevealQuery),
        response: { 200: Profile },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { reveal, reason } = revealRequest(request, request.query);
      // Outside the caller's data scope is answered as not found, so the id's existence does not leak.
      await assertCustomerVisible(store, principal, request.params.id);
      const profile = await customerProfile(store, request.params.id, { reveal });
      if (reveal) await recordAudit(store, { actor: principalActor(principal), action: 'customer.reveal_pii', target: profile.customerId, details: { reason, via: 'GET /v1/customers/:id' } });
      return profile;
    },
  );
  const Tags = z.object({
    tags: z.array(z.object({ tag: z.string(), source: z.string(), setBy: z.string(), setAt: z.date() })),
    history: z.array(z.object({ tag: z.string(), action: z.string(), by: z.string(), at: z.date() })),
  });
  const tagsOf = async (id: string) => ({ tags: await customerTags(store, id), history: await tagHistory(store, id) });
  api.get(
    '/v1/customers/:id/tags',
    { config: { permission: 'customers:read' }, schema: { tags: ['know'], summary: "A customer's tags and their history", params: z.object({ id: z.string().min(1) }), response: { 200: Tags } } },
    async (request) => {
      await assertCustomerVisible(store, principalOf(request), request.params.id);
      return tagsOf(request.params.id);
    },
  );
  api.post(
    '/v1/customers/:id/tags',
    {
      config: { permission: 'customers:tag' },
      schema: {
        tags: ['know'],
        summary: 'Set a manual tag on a customer; the caller (user:NAME or key:ID) is recorded as who set it',
        params: z.object({ id: z.string().min(1) }),
        body: z.object({ tag: z.string().min(1).max(64).regex(/^[\p{L}\p{N}_.:-]+$/u, 'letters, digits, _ . : or -') }),
        response: { 200: Tags },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await assertCustomerVisible(store, principal, request.params.id);
      await setTags(store, request.body.tag, [request.params.id], principalActor(principal));
      return tagsOf(request.params.id);
    },
  );
  api.delete(
    '/v1/customers/:id/tags/:tag',
    { config: { permission: 'customers:tag' }, schema: { tags: ['know'], summary: 'Remove a manual tag from a customer', params: z.object({ id: z.string().min(1), tag: z.string().min(1) }), response: { 200: Tags } } },
    async (request) => {
      const principal = principalOf(request);
      await assertCustomerVisible(store, principal, request.params.id);
      await setTags(store, request.params.tag, [request.params.id], principalActor(principal), 'remove');
      return tagsOf(request.params.id);
    },
  );
  api.get(
    '/v1/customers',
    {
      // The list is masked; a data-scoped user is refused until the list query applies scopes.
      config: { permission: 'customers:read', allCustomersOnly: true },
      schema: {
        tags: ['know'],
        summary: 'Customers matching the filters, a page at a time by customer id (keyset: pass `next` as `after`), with their layers and scores; name and phone masked',
        querystring: CustomerListQuery,
        response: { 200: CustomerList },
      },
    },
    async (request) => {
      const { rfm_class: rfmClass, with_total: withTotal, ...query } = request.query;
      return listCustomers(store, { ...query, rfmClass, withTotal: withTotal === 'true' }, { reveal: false });
    },
  );
  api.get('/v1/customers/filters', { config: { permission: 'customers:read' }, schema: { tags: ['know'], summary: 'The cities, channels and tags in use, for the list filters', response: { 200: CustomerFilters } } }, async () => customerFilterValues(store));
}
