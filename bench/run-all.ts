// `npm run bench`: every benchmark in turn, each printing its table and writing bench/results/<name>.json.
// Pass-through flags go to every benchmark (e.g. `npm run bench -- --runs 5`). The PostgreSQL comparison of the
// layers (layers-postgres.ts) runs when SIYU_BENCH_DATABASE_URL names a database it may use.
import { spawnSync } from 'node:child_process';

const benches = ['csv-import.ts', 'inbox-process.ts', 'http-ingest.ts', 'clv.ts', 'clv-store.ts', 'layers.ts', 'recommend.ts', 'recommend-serve.ts', 'recommend-scale.ts', 'realtime-tags.ts', 'access.ts', 'analytics.ts',
  'pii-import.ts', 'journeys.ts', 'journey-latency.ts', 'loyalty.ts', 'channels.ts', 'console.ts', ...(process.env.SIYU_BENCH_DATABASE_URL ? ['layers-postgres.ts'] : [])];
for (const bench of benches) {
  process.stdout.write(`\n=== bench/${bench} ===\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${bench}`, ...process.argv.slice(2)], { stdio: 'inherit', cwd: new URL('..', import.meta.url).pathname });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
