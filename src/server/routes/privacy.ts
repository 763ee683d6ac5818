import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canonicalCustomer, CONSENT_STATUSES, createRequest, CreateRequestInput, fulfilRequest, getConsents, getRequest, keyRingFor, listRequests, recordConsents, rejectRequest, REQUEST_STATUSES, REQUEST_TYPES } from '../../privacy/index.ts';
import type { Store } from '../../store/index.ts';
import { assertCustomerVisible } from '../../access/index.ts';
import { principalOf } from '../plugins/auth.ts';
import { Consents, PrivacyRequest } from './privacy-schemas.ts';

const Decision = z.strictObject({
  purpose: z.string().min(1).max(64),
  status: z.enum(CONSENT_STATUSES),
  effectiveAt: z.coerce.date().optional().describe('when the person decided; default now'),
  textVersion: z.string().max(100).optional().describe('the version of the consent text shown'),
  evidence: z.string().max(2000).optional().describe('a reference to the proof; stored encrypted'),
});

export interface PrivacyRouteOptions {
  /** Where access bundles are written (`<dir>/<request id>/`); default `./privacy-bundles` beside the server. */
  bundleDir?: string;
}

/** Consent per customer, and the data-subject request queue (docs/privacy.md). */
export function registerPrivacyRoutes(app: FastifyInstance, store: Store, options: PrivacyRouteOptions = {}): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const Id = z.object({ id: z.string().min(1) });
  // Without a key ring getConsents withholds each proof as "(encrypted)"; the response schema holds it to that.
  const consentsOf = async (customerId: string) => (await getConsents(store, customerId)) as z.input<typeof Consents>;

  api.get('/v1/customers/:id/consents', { config: { permission: 'customers:read' }, schema: { tags: ['privacy'], summary: "A customer's consent per purpose and the ledger behind it (evidence withheld)", params: Id, response: { 200: Consents } } }, async (request) => {
    // A customer outside the caller's data scope is answered as one that does not exist, as the profile is.
    await assertCustomerVisible(store, principalOf(request), request.params.id);
    return consentsOf(request.params.id);
  });
  api.put(
    '/v1/customers/:id/consents',
    { config: { permission: 'consents:write' },
      schema: {
        tags: ['privacy'],
        summary: 'Record consent decisions for a customer; a decision repeating the current one is not appended',
        params: Id,
        body: z.strictObject({ decisions: z.array(Decision).min(1).max(50), recordedBy: z.string().max(128).default('api') }),
        response: { 200: Consents },
      },
    },
    async (request) => {
      const customerId = await canonicalCustomer(store, request.params.id);
      await assertCustomerVisible(store, principalOf(request), customerId);
      const ring = request.body.decisions.some((d) => d.evidence) ? await keyRingFor(store) : undefined;
      await store.transaction((tx) => recordConsents(tx, request.body.decisions.map((d) => ({ ...d, customerId, source: 'api', recordedBy: request.body.recordedBy })), ring));
      return consentsOf(customerId);
    },
  );

  api.post('/v1/privacy/requests', { config: { permission: 'privacy:write' }, schema: { tags: ['privacy'], summary: 'File a data-subject request (access, correction, deletion, withdrawal); due in 15 working days by default', body: CreateRequestInput, response: { 201: PrivacyRequest } } }, async (request, reply) =>
    reply.code(201).send(await createRequest(store, request.body)),
  );
  api.get(
    '/v1/privacy/requests',
    { config: { permission: 'privacy:read' }, schema: { tags: ['privacy'], summary: 'The request queue, oldest due first', querystring: z.strictObject({ status: z.enum(REQUEST_STATUSES).optional(), type: z.enum(REQUEST_TYPES).optional() }), response: { 200: z.object({ requests: z.array(PrivacyRequest) }) } } },
    async (request) => ({ requests: await listRequests(store, request.query) }),
  );
  api.get('/v1/privacy/requests/:id', { config: { permission: 'privacy:read' }, schema: { tags: ['privacy'], summary: 'One request, with what was asked', params: Id, response: { 200: PrivacyRequest } } }, async (request) => getRequest(store, request.params.id));
  api.post(
    '/v1/privacy/requests/:id/fulfil',
    { config: { permission: 'privacy:write', expensive: true }, schema: { tags: ['privacy'], summary: 'Carry out an open request and record who handled it', params: Id, body: z.strictObject({ handler: z.string().min(1).max(128) }), response: { 200: PrivacyRequest } } },
    async (request) => fulfilRequest(store, request.params.id, { handler: request.body.handler, outDir: options.bundleDir }),
  );
  api.post(
    '/v1/privacy/requests/:id/reject',
    { config: { permission: 'privacy:write' }, schema: { tags: ['privacy'], summary: 'Close an open request without carrying it out, with the reason', params: Id, body: z.strictObject({ handler: z.string().min(1).max(128), reason: z.string().min(1).max(2000) }), response: { 200: PrivacyRequest } } },
    async (request) => rejectRequest(store, request.params.id, request.body),
  );
}
