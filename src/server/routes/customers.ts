import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { customerProfile } from '../../segment/index.ts';
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
}
