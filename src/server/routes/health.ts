import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SiyuError } from '../../core/errors.ts';
import { countInbox } from '../../ingest/index.ts';
import type { Store } from '../../store/index.ts';

const Health = z.object({
  status: z.literal('ok'),
  backend: z.enum(['duckdb', 'postgres']),
  version: z.string(),
  inbox: z.object({ pending: z.number().int().describe('messages acknowledged and not yet processed') }),
  recommendations: z.object({ snapshot: z.enum(['ready', 'loading']).describe('lists come from memory once ready, from SQL while loading') }),
});

export function registerHealthRoutes(app: FastifyInstance, store: Store, version: string, serving: { readonly ready: boolean }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/health',
    { config: { permission: 'public' }, schema: { tags: ['ops'], summary: 'Liveness and store reachability', response: { 200: Health } } },
    async () => {
      let pending: number;
      try {
        pending = await countInbox(store);
      } catch (error) {
        throw new SiyuError('unavailable', 'store_unavailable', `the ${store.kind} store does not answer`, { cause: error });
      }
      return { status: 'ok' as const, backend: store.kind, version, inbox: { pending }, recommendations: { snapshot: serving.ready ? ('ready' as const) : ('loading' as const) } };
    },
  );
}
