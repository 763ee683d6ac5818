import { timingSafeEqual } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SiyuError } from '../../core/errors.ts';
import type { JobScheduler } from '../../jobs/index.ts';
import type { Store } from '../../store/index.ts';

const Terminal = z.object({ isTTY: z.boolean(), columns: z.number().int().nonnegative().optional() });
const Command = z.object({ argv: z.array(z.string()).max(1000), cwd: z.string().min(1), stdout: Terminal, stderr: Terminal }).strict();
export type AdminCommand = z.infer<typeof Command>;

/** The local admin endpoint: its token, and what runs a command (the CLI's program, given by `siyu serve`). */
export interface AdminOptions {
  token: string;
  run: (command: AdminCommand, context: { store: Store; scheduler: JobScheduler }, send: (frame: object) => void) => Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

function authorise(request: FastifyRequest, token: string): void {
  if (!LOOPBACK.test(request.socket.remoteAddress ?? '')) throw new SiyuError('forbidden', 'admin_local_only', 'the admin endpoint answers only this machine');
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SiyuError('unauthorized', 'invalid_admin_token', 'the admin token is missing or wrong (it is in <store>.serve.json beside the store file)');
}

/**
 * `POST /v1/admin/cli`: runs a CLI command line inside this server, for a `siyu` command that found the embedded store
 * held by it (cli/remote.ts). Loopback only, with the token the server wrote beside the store; the answer streams
 * newline-delimited JSON frames ({out}, {err}, then {exit}). Not in the OpenAPI document: it is not a public API.
 */
export function registerAdminRoutes(app: FastifyInstance, context: { store: Store; scheduler: JobScheduler }, admin: AdminOptions): void {
  app.withTypeProvider<ZodTypeProvider>().post('/v1/admin/cli', { config: { permission: 'public' }, schema: { hide: true, body: Command } }, async (request, reply) => {
    authorise(request, admin.token);
    const stream = new PassThrough();
    const send = (frame: object) => stream.write(`${JSON.stringify(frame)}\n`);
    void admin
      .run(request.body, context, send)
      .catch((error: unknown) => {
        request.log.error({ err: error }, 'admin command failed');
        send({ err: `siyu: unexpected error in the server (a bug; see its log): ${error instanceof Error ? error.message : String(error)}\n` });
        send({ exit: 1 });
      })
      .finally(() => stream.end());
    return reply.type('application/x-ndjson').send(stream);
  });
}
