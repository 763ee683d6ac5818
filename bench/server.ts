import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;

/**
 * Starts a server script (by default `siyu serve --db DB --port 0`) in its own process and resolves once it prints
 * the address it listens on. SIYU_BENCH_SERVER_NODE_ARGS adds Node flags to it (say `--cpu-prof --cpu-prof-dir=DIR`).
 */
export async function startServer(args: readonly string[]): Promise<{ server: ChildProcess; host: string }> {
  const onPostgres = args.some((a) => a.startsWith('postgres'));
  const env = onPostgres && !process.env.SIYU_MASTER_KEY && !process.env.SIYU_MASTER_KEY_FILE ? { ...process.env, SIYU_MASTER_KEY_FILE: benchPostgresKey() } : process.env;
  const server = spawn(process.execPath, [...(process.env.SIYU_BENCH_SERVER_NODE_ARGS?.split(' ') ?? []), '--import', 'tsx', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const host = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (chunk) => {
      out += String(chunk);
      const match = /Siyu API on (http:\/\/[^\s]+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    server.once('exit', () => reject(new Error(`the server exited before listening: ${out}`)));
  });
  return { server, host };
}

/** `siyu serve` on a store. */
export const serveArgs = (db: string): string[] => ['src/cli/main.ts', 'serve', '--db', db, '--port', '0'];

/**
 * A PostgreSQL store has no place beside it for its master key, so a server on one gets the benchmarks' own key file
 * in bench/data (made on first use) through SIYU_MASTER_KEY_FILE; an embedded store keeps its key beside it.
 */
function benchPostgresKey(): string {
  const path = `${root}bench/data/postgres-bench.key`;
  if (!existsSync(path)) {
    mkdirSync(`${root}bench/data`, { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  return path;
}
