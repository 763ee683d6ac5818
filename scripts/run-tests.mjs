// Runs every test/**/*.test.ts with node:test. Node 20's --test takes no globs, so we list files here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = find('test').sort().filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)));
if (!process.env.SIYU_TEST_DATABASE_URL) {
  console.log('# PostgreSQL suite SKIPPED: set SIYU_TEST_DATABASE_URL=postgres://… to run every storage test on PostgreSQL too.');
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
