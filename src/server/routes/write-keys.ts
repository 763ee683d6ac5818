import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createWriteKey, listWriteKeys, revokeWriteKey } from '../../ingest/index.ts';
import type { Store } from '../../store/index.ts';
import { ApiKey } from './access-schemas.ts';

// An API key with ingest:write, and the browser origins it may send from.
const WriteKey = ApiKey.extend({ allowedOrigins: z.array(z.string()).describe('browser origins whose pages may send with this key (*: any); empty: no browser page may') });

/** Write keys for the ingest API (`siyu keys create|list|revoke`): the key itself is shown once, at creation. */
export function registerWriteKeyRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/v1/write-keys', { config: { permission: 'keys:read' }, schema: { tags: ['ingest'], summary: 'Every write key, revoked ones too (never the key itself)', response: { 200: z.object({ keys: z.array(WriteKey) }) } } }, async () => ({ keys: await listWriteKeys(store) }));
  api.post(
    '/v1/write-keys',
    { config: { permission: 'keys:write' },
      schema: {
        tags: ['ingest'],
        summary: 'Create a write key for a source (a mini-program, a POS…); the answer is the only time the key is shown',
        body: z.object({ name: z.string().trim().min(1).max(100) }).strict(),
        response: { 200: WriteKey.extend({ key: z.string() }) },
      },
    },
    async (request) => createWriteKey(store, request.body.name),
  );
  api.post('/v1/write-keys/:keyId/revoke', { config: { permission: 'keys:write' }, schema: { tags: ['ingest'], summary: 'Revoke a write key; it stops working within 30 s', params: z.object({ keyId: z.string() }), response: { 200: z.object({ revoked: z.string() }) } } }, async (request) => {
    await revokeWriteKey(store, request.params.keyId);
    return { revoked: request.params.keyId };
  });
}
