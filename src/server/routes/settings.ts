import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readBrandSettings, type Store } from '../../store/index.ts';

/** The brand's settings every client needs to show numbers and days as the brand counts them. */
export function registerSettingsRoutes(app: FastifyInstance, store: Store, version: string): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/settings',
    { config: { permission: 'settings:read' },
      schema: {
        tags: ['ops'],
        summary: "The brand's timezone (every day boundary) and currency, and the server's version",
        response: { 200: z.object({ timezone: z.string().describe('IANA zone, e.g. Asia/Shanghai'), currency: z.string().describe('ISO 4217, e.g. CNY'), version: z.string() }) },
      },
    },
    async () => ({ ...(await readBrandSettings(store)), version }),
  );
}
