// Builds the console (npm run build:web) when dist/web is missing or older than web/, so `npm run demo` serves a
// current console without rebuilding it every time.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const newest = (path) => (statSync(path).isDirectory() ? Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name)))) : statSync(path).mtimeMs);
const built = 'dist/web/index.html';
const stale = !existsSync(built) || newest('web') > statSync(built).mtimeMs;
if (process.argv.includes('--if-stale') && !stale) process.exit(0);
process.stderr.write('building the console (web/ → dist/web)…\n');
const result = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
