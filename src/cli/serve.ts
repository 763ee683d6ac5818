import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { listUsers } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { keyRingFor } from '../privacy/index.ts';
import type { Store } from '../store/index.ts';
import { action, withDb, withOpenStore } from './context.ts';
import { io } from './io.ts';
import { newAdminToken, runRemoteCommand, writeServeFile } from './remote.ts';

export interface ServeOptions {
  db?: string;
  port: string;
  host: string;
  logLevel: string;
  jobs: boolean;
  trustProxy?: boolean;
}

/** The address a CLI on this machine reaches the server at. */
function localUrl(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Serves the API (and runs the scheduled jobs, unless `jobs` is false) until SIGINT/SIGTERM, then finishes running
 * jobs and pending writes and closes the store; a second signal stops at once. On an embedded file it also takes
 * CLI commands from other processes (cli/remote.ts).
 */
export async function serve(store: Store, opts: { port: number; host: string; logLevel: string; jobs: boolean; trustProxy?: boolean }): Promise<void> {
  // Loaded here, not at the top: Fastify and the route schemas take about 0.2 s, which every other command would pay.
  const { buildServer } = await import('../server/index.ts');
  // Ingest seals personal data as it acknowledges it: a store whose master key cannot be found fails here, once,
  // with the reason, instead of on every request.
  await keyRingFor(store);
  const token = store.kind === 'duckdb' && store.location !== ':memory:' ? newAdminToken() : undefined;
  const app = await buildServer({
    store,
    logLevel: opts.logLevel,
    trustProxy: opts.trustProxy,
    schedule: opts.jobs,
    admin: token ? { token, run: runRemoteCommand } : undefined,
  });
  const address = await app.listen({ port: opts.port, host: opts.host });
  const removeServeFile = token ? writeServeFile(store.location, localUrl(app.server.address() as AddressInfo), token) : undefined;
  try {
    io().stdout.write(
      `Siyu API on ${address} (store: ${store.kind} ${store.location}); OpenAPI at ${address}/docs; ${opts.jobs ? 'scheduled jobs on (siyu jobs list)' : 'scheduled jobs off'}${token ? '; other siyu commands on this store run through this server' : ''}; Ctrl-C to stop\n`,
    );
    if ((await listUsers(store)).length === 0) io().stdout.write('No console users yet: create the first admin with `siyu users create admin --role admin`; API routes need a session or a key (siyu keys create NAME --scope …)\n');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io().stdout.write('stopping: finishing running jobs and pending writes (Ctrl-C again to stop at once)…\n');
    const now = () => {
      io().stderr.write('stopped before running jobs finished; they are marked failed at the next start\n');
      process.exit(130);
    };
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
    await app.close();
  } finally {
    removeServeFile?.();
  }
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SiyuError('validation', 'invalid_port', `--port must be a number from 0 to 65535, not ${JSON.stringify(value)}`);
  return port;
}

export function registerServe(program: Command): void {
  withDb(
    program
      .command('serve')
      .description(
        'run the HTTP API (Segment-compatible ingest, profiles, layers, segments, churn warnings, recommendations, jobs, OpenAPI at /docs) and the scheduled jobs; while it holds an embedded store, other siyu commands on it run through it',
      ),
  )
    .option('--port <n>', 'port to listen on', '3000')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--log-level <level>', 'fatal|error|warn|info|debug', 'warn')
    .option('--no-jobs', 'do not run the scheduled jobs in this process (e.g. an API-only process beside another that runs them)')
    .option('--trust-proxy', 'behind a reverse proxy: take the client address and https from X-Forwarded-For / X-Forwarded-Proto')
    .action(
      action(async (opts: ServeOptions) => {
        const port = parsePort(opts.port);
        await withOpenStore(opts.db, (store) => serve(store, { port, host: opts.host, logLevel: opts.logLevel, jobs: opts.jobs, trustProxy: opts.trustProxy }), { drainInbox: false });
      }),
    );
}
