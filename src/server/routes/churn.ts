import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { churnWarnings } from '../../models/index.ts';
import type { Store } from '../../store/index.ts';

const Warnings = z.object({
  asOf: z.string().nullable().describe('the day the scores were taken at; null before `siyu churn score`'),
  warnings: z.array(
    z.object({
      customerId: z.string(),
      risk: z.number().describe("the deployed churn model's P(no purchase in the horizon): a classifier's, or a baseline's when none beat it"),
      pNoPurchase: z.number().describe("P(no purchase in the horizon | purchase history) from the churn model's repeat-buying model"),
      horizonDays: z.number().int(),
      pAlive: z.number().describe('P(alive) from the same model, for comparison only: 1 for every customer without a repeat purchase under BG/NBD'),
      valueFen: z.number().int().describe('predicted 12-month CLV, else spend in the last year, in fen'),
      priority: z.number().describe('risk × value in yuan: the order of the list'),
      reasons: z.array(z.object({ feature: z.string(), value: z.number(), contribution: z.number(), zh: z.string(), en: z.string() })),
    }),
  ),
});

export function registerChurnRoutes(app: FastifyInstance, store: Store): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/churn/warnings',
    {
      config: { permission: 'predictions:read', allCustomersOnly: true },
      schema: {
        tags: ['predict'],
        summary: 'The churn-warning list: at-risk customers by risk × predicted value, with their top 3 reasons',
        querystring: z.object({ n: z.coerce.number().int().min(1).max(1000).default(50), min_risk: z.coerce.number().min(0).max(1).default(0.5) }),
        response: { 200: Warnings },
      },
    },
    async (request) => churnWarnings(store, { n: request.query.n, minRisk: request.query.min_risk }),
  );
}
