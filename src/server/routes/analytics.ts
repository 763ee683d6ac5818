import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  BreakdownQuery,
  BreakdownResponse,
  breakdownRequest,
  CohortQuery,
  CohortResponse,
  cohortsRequest,
  DefinitionsResponse,
  definitionsRequest,
  FunnelBody,
  FunnelResponse,
  funnelRequest,
  KpiQuery,
  KpiResponse,
  kpisRequest,
  RetentionQuery,
  RetentionResponse,
  retentionRequest,
} from '../../analytics/index.ts';
import type { Store } from '../../store/index.ts';

// The commerce analytics the console's overview and reports read, the same bodies `siyu report … --json` prints.
// Every definition is in docs/analytics.md and in GET /v1/analytics/definitions.
export function registerAnalyticsRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['analytics'];
  // Store-wide figures: a data-scoped user is refused (403) until the analytics queries apply scopes.
  const config = { permission: 'analytics:read', allCustomersOnly: true } as const;
  api.get(
    '/v1/analytics/definitions',
    { config, schema: { tags, summary: 'The definition of every analytics metric, in Chinese and English', response: { 200: DefinitionsResponse } } },
    async () => definitionsRequest(),
  );
  api.get(
    '/v1/analytics/kpis',
    {
      config,
      schema: {
        tags,
        summary: 'GMV, orders, buyers, AOV and spend per buyer, repeat rate, new buyers and their repurchase, active ratio: a period against its comparison period, with series and definitions',
        querystring: KpiQuery,
        response: { 200: KpiResponse },
      },
    },
    async (request) => kpisRequest(store, request.query),
  );
  api.get(
    '/v1/analytics/breakdown',
    { config, schema: { tags, summary: 'The order KPIs of a period by channel, store, city, category, tier, stage or segment', querystring: BreakdownQuery, response: { 200: BreakdownResponse } } },
    async (request) => breakdownRequest(store, request.query),
  );
  api.get(
    '/v1/analytics/retention',
    { config, schema: { tags, summary: 'Weekly or monthly retention of first-purchase cohorts (purchases, or any event), and D1/D7/D30', querystring: RetentionQuery, response: { 200: RetentionResponse } } },
    async (request) => retentionRequest(store, request.query),
  );
  api.get(
    '/v1/analytics/cohorts',
    {
      config,
      schema: {
        tags,
        summary: 'LTV cohorts: cumulative net paid per customer by acquisition month × months since, with the CLV forecast for months not yet over',
        querystring: CohortQuery,
        response: { 200: CohortResponse },
      },
    },
    async (request) => cohortsRequest(store, request.query),
  );
  api.post(
    '/v1/analytics/funnel',
    { config, schema: { tags, summary: 'A funnel over event steps within a conversion window, optionally by channel, with the cart abandonment rate', body: FunnelBody, response: { 200: FunnelResponse } } },
    async (request) => funnelRequest(store, request.body),
  );
}
