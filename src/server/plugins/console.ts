import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

// The web console (web/, built by `npm run build:web` into dist/web) served at `/`, beside the API under /v1.
// From a checkout this file runs as src/server/plugins/console.ts, from the built package as
// dist/server/plugins/console.js: both find <package>/dist/web.
const CANDIDATES = ['../../../dist/web/', '../../web/'].map((path) => fileURLToPath(new URL(path, import.meta.url)));

/** The built console's folder, if there is one. */
export function findConsole(): string | undefined {
  return CANDIDATES.find((dir) => existsSync(join(dir, 'index.html')));
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Siyu</title>
<p>The Siyu console is not built in this installation: run <code>npm run build:web</code> (or <code>npm run build</code>) and restart <code>siyu serve</code>.
The API is at <a href="/docs">/docs</a>.</p>`;

function listFiles(dir: string): Set<string> {
  const walk = (at: string): string[] => readdirSync(at).flatMap((name) => (statSync(join(at, name)).isDirectory() ? walk(join(at, name)) : [relative(dir, join(at, name)).split(sep).join('/')]));
  return new Set(walk(dir).filter((f) => !f.endsWith('.gz') && !f.endsWith('.br')));
}

/**
 * Serves the console: its files as they are (only the files the build wrote, each by its exact name; the hashed
 * ones under assets/ cached for a year as immutable, the rest revalidated), precompressed when the browser takes
 * brotli or gzip, and index.html for any other GET path outside /v1, so the app's own routes (/customers/…) load
 * from a bookmark. A missing build gets a page saying how to build it.
 */
export async function registerConsole(app: FastifyInstance, dir: string | false | undefined = findConsole()): Promise<void> {
  if (!dir) {
    app.get('/', { config: { permission: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT));
    return;
  }
  const files = listFiles(dir);
  await app.register(fastifyStatic, { root: dir, serve: false, preCompressed: true });
  app.get('/*', { config: { permission: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (path === '/v1' || path.startsWith('/v1/')) return reply.callNotFound();
    let file: string;
    try {
      file = decodeURIComponent(path.slice(1));
    } catch {
      return reply.callNotFound();
    }
    if (files.has(file)) {
      const immutable = file.startsWith('assets/');
      return reply.sendFile(file, { cacheControl: true, maxAge: immutable ? 365 * 86_400_000 : 0, immutable });
    }
    // A missing asset is a 404, not the app: a stale tab asking for an old chunk must fail visibly.
    if (file.startsWith('assets/')) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });
}
