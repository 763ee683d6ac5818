// What protection costs per request (issue #17): in-process requests (app.inject) to GET /v1/auth/me, which does
// nothing but authenticate and describe the caller, with an API key (remembered for 5 s after its first check) and
// with a session cookie (looked up every time: session, roles, settings), against GET /health, a public route with one
// small query, as the floor. Also the Argon2id hash a sign-in verifies. Medians of --runs runs of --requests each.
// Usage: node --import tsx bench/access.ts [--db :memory:|postgres://…] [--requests 2000] [--runs 5]
import { createApiKey, createUser, hashPassword, startSession } from '../src/access/index.ts';
import { buildServer } from '../src/server/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';

const requests = Number(arg('requests', '2000'));
const runs = Number(arg('runs', '5'));
const store = await openStore(arg('db', ':memory:'));
await migrate(store);
const user = await createUser(store, { username: 'bench', password: 'bench password', roles: ['analyst'] }, 'bench');
const session = await startSession(store, user.userId);
const { key } = await createApiKey(store, { name: 'bench', scopes: ['customers:read'] }, 'bench');
const app = await buildServer({ store });

const cases: [string, string, Record<string, string>][] = [
  ['GET /health (public, floor)', '/health', {}],
  ['GET /v1/auth/me, API key', '/v1/auth/me', { authorization: `Bearer ${key}` }],
  ['GET /v1/auth/me, session cookie', '/v1/auth/me', { cookie: `siyu_session=${session.sessionId}` }],
];
const timings = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let r = 0; r < runs; r++) {
  // Alternating the cases within each run, so a slow moment of a shared machine falls on all of them.
  for (const [name, url, headers] of cases) {
    const started = performance.now();
    for (let i = 0; i < requests; i++) {
      const res = await app.inject({ url, headers });
      if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode} ${res.body}`);
    }
    timings.get(name)!.push(((performance.now() - started) * 1000) / requests);
  }
}
await app.close();
const hashes: number[] = [];
for (let r = 0; r < runs; r++) {
  const started = performance.now();
  await hashPassword('correct horse battery');
  hashes.push(performance.now() - started);
}
await store.close();

const floor = median(timings.get(cases[0]![0])!);
const rows = cases.map(([name]) => [name, median(timings.get(name)!), median(timings.get(name)!) / floor]);
printTable(`${store.kind}: µs per request, medians of ${runs} runs of ${requests}`, ['request', 'µs', 'vs floor'], rows);
process.stdout.write(`Argon2id hash (m=19 MiB, t=2, p=1): ${median(hashes).toFixed(1)} ms, median of ${runs}\n`);
writeResult(`access-${store.kind}`, { requests, runs, perRequestMicros: Object.fromEntries(rows.map(([n, us]) => [n, us])), argon2idMs: median(hashes) });
