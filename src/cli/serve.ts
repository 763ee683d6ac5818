import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import type { Store } from '../store/index.ts';
import { action, withDb, withOpenStore } from './context.ts';

export interface ServeOptions {
  db?: string;
  port: string;
  host: string;
  logLevel: string;
}

/** Serves the API until SIGINT/SIGTERM, then drains pending writes and closes the store. */
export async function serve(store: Store, opts: { port: number; host: string; logLevel: string; revealPii?: boolean }): Promise<void> {
  // Loaded here, not at the top: Fastify and the route schemas take about 0.2 s, which every other command would pay.
  const { buildServer } = await import('../server/index.ts');
  const app = await buildServer({ store, logLevel: opts.logLevel, piiAccess: () => opts.revealPii === true });
  const address = await app.listen({ port: opts.port, host: opts.host });
  process.stdout.write(`Siyu API on ${address} (store: ${store.kind} ${store.location}); OpenAPI at ${address}/docs; Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('stopping: finishing pending writes…\n');
  await app.close();
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SiyuError('validation', 'invalid_port', `--port must be a number from 0 to 65535, not ${JSON.stringify(value)}`);
  return port;
}

export function registerServe(program: Command): void {
  withDb(program.command('serve').description('run the HTTP API: Segment-compatible ingest, customer profiles and tags, layer computations (attributes, RFM, tiers, lifecycle, clusters), segments (preview, save, refresh, export) and migrations, churn warnings, recommendations, health, OpenAPI at /docs'))
    .option('--port <n>', 'port to listen on', '3000')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--log-level <level>', 'fatal|error|warn|info|debug', 'warn')
    .option('--reveal-pii', 'show phone, email and name unmasked in customer profiles (until roles exist; trusted networks only)')
    .action(
      action(async (opts: ServeOptions & { revealPii?: boolean }) => {
        const port = parsePort(opts.port);
        await withOpenStore(opts.db, (store) => serve(store, { port, host: opts.host, logLevel: opts.logLevel, revealPii: opts.revealPii }), { drainInbox: false });
      }),
    );
}
