import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertCustomerVisible, principalActor } from '../../access/index.ts';
import { ContactPolicy, getContactPolicy, updateContactPolicy } from '../../channels/index.ts';
import { customerJourneys, enterJourney, getJourney, JourneyDefinition, journeyReport, listJourneys, parseJourneyDefinition, publishJourney, saveJourneyDraft, setJourneyStatus, simulateJourney } from '../../journey/index.ts';
import { readBrandSettings, type Store } from '../../store/index.ts';
import { principalOf } from '../plugins/auth.ts';
import { CustomerJourney, Journey, JourneyReport, Simulation } from './journey-schemas.ts';

const Id = z.object({ id: z.string().min(1) });
const tags = ['act'];
const read = { permission: 'journeys:read' } as const;
const write = { permission: 'journeys:write' } as const;

/** Journeys (docs/journeys.md) and the global contact policy, over HTTP; the same operations as `siyu journey`. */
export function registerJourneyRoutes(app: FastifyInstance, store: Store, onEntered: () => void): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/v1/journeys', { config: read, schema: { tags, summary: 'Every journey with its status and published version', response: { 200: z.object({ journeys: z.array(Journey) }) } } }, async () => ({ journeys: await listJourneys(store) }));
  api.get('/v1/journeys/:id', { config: read, schema: { tags, summary: 'A journey: its draft and its published definition', params: Id, response: { 200: Journey } } }, async (request) => getJourney(store, request.params.id));
  api.put(
    '/v1/journeys/:id',
    {
      config: write,
      schema: { tags, summary: 'Create a journey or replace its draft; the definition is checked, each problem named by its step and field', params: Id, body: z.object({ name: z.string(), description: z.string().optional(), definition: z.unknown() }).strict(), response: { 200: Journey } },
    },
    async (request) => saveJourneyDraft(store, { id: request.params.id, ...request.body }, { actor: principalActor(principalOf(request)) }),
  );
  api.post(
    '/v1/journeys/validate',
    { config: read, schema: { tags, summary: 'Check a definition without saving it: 200 with the parsed definition, or 400 naming every problem', body: z.object({ definition: z.unknown() }).strict(), response: { 200: z.object({ definition: JourneyDefinition }) } } },
    async (request) => ({ definition: parseJourneyDefinition(request.body.definition, (await readBrandSettings(store)).timezone) }),
  );
  api.post(
    '/v1/journeys/:id/publish',
    { config: write, schema: { tags, summary: 'Publish the draft as a new version (templates and conditions checked against the store); running instances finish on their own version', params: Id, response: { 200: Journey } } },
    async (request) => publishJourney(store, request.params.id, { actor: principalActor(principalOf(request)) }),
  );
  for (const [verb, status] of [['pause', 'paused'], ['resume', 'active'], ['archive', 'archived']] as const) {
    api.post(
      `/v1/journeys/:id/${verb}`,
      { config: write, schema: { tags, summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} a journey${verb === 'archive' ? ' (running instances exit)' : ''}`, params: Id, response: { 200: Journey } } },
      async (request) => setJourneyStatus(store, request.params.id, status, { actor: principalActor(principalOf(request)) }),
    );
  }
  api.post(
    '/v1/journeys/:id/enter',
    {
      config: write,
      schema: {
        tags,
        summary: 'Enter customers into an api-entry journey; each key enters once (repeat calls with the same key enter nobody twice)',
        params: Id,
        body: z.object({ customers: z.array(z.object({ customer_id: z.string().min(1), key: z.string().min(1).max(200), context: z.record(z.string(), z.unknown()).optional() }).strict()).min(1).max(10_000) }).strict(),
        response: { 200: z.object({ entered: z.number().int().describe('customers who entered; repeated keys, customers already in the journey or kept out by its re-entry rule do not count') }) },
      },
    },
    async (request) => {
      const entered = await enterJourney(store, request.params.id, request.body.customers.map((c) => ({ customerId: c.customer_id, key: c.key, context: c.context })));
      onEntered();
      return entered;
    },
  );
  api.get('/v1/journeys/:id/report', { config: read, schema: { tags, summary: 'Entries, per-step outcomes and messages, and uplift against the holdout with 95% intervals and p-values', params: Id, response: { 200: JourneyReport } } }, async (request) =>
    journeyReport(store, request.params.id),
  );
  api.post(
    '/v1/journeys/:id/simulate',
    {
      config: read,
      schema: {
        tags,
        summary: 'A dry run: the path one customer would take from a day, with the messages rendered; nothing is written or sent',
        params: Id,
        body: z.object({ customer_id: z.string().min(1), from: z.iso.datetime({ offset: true }), days: z.number().int().min(1).max(366).default(30) }).strict(),
        response: { 200: Simulation },
      },
    },
    async (request) => simulateJourney(store, request.params.id, { customerId: request.body.customer_id, from: new Date(request.body.from), days: request.body.days }),
  );
  api.get(
    '/v1/customers/:id/journeys',
    { config: { permission: 'journeys:read' }, schema: { tags, summary: "A customer's passes through journeys, newest first, with each step's outcome", params: Id, response: { 200: z.object({ journeys: z.array(CustomerJourney) }) } } },
    async (request) => {
      await assertCustomerVisible(store, principalOf(request), request.params.id);
      return { journeys: await customerJourneys(store, request.params.id) };
    },
  );
  api.get('/v1/contact-policy', { config: { permission: 'settings:read' }, schema: { tags, summary: 'The global contact policy: frequency caps, quiet hours, the global control group, time to live', response: { 200: ContactPolicy } } }, async () => getContactPolicy(store));
  api.patch(
    '/v1/contact-policy',
    { config: { permission: 'settings:write' }, schema: { tags, summary: 'Change the contact policy (given fields replace the current ones; caps per channel); audited', body: z.record(z.string(), z.unknown()), response: { 200: ContactPolicy } } },
    async (request) => updateContactPolicy(store, request.body, principalActor(principalOf(request))),
  );
}
