// Bundles the CLI into one file, dist/cli/siyu.mjs, which bin/siyu.mjs prefers: Node then reads and compiles one
// module instead of resolving hundreds, and `siyu` starts in about two thirds of the time (docs/models.md,
// "Timing from the store"). The native DuckDB and Argon2 bindings and pg's optional native driver stay outside. The linear-algebra
// and personal-data encryption helper threads get bundles of their own, since a worker started from the CLI's bundle would run the CLI again.
// Modules find their files relative to themselves: migrations are copied beside the bundle, and package.json is two
// levels up from dist/cli, as it is from src/core.
import { cpSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['@duckdb/node-bindings*', 'pg-native', '@node-rs/argon2*'],
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __siyuRequire } from 'node:module'; const require = __siyuRequire(import.meta.url);" },
  define: { SIYU_BUNDLE: 'true' },
  logLevel: 'warning',
};
await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli/siyu.mjs' });
await build({ ...common, entryPoints: ['src/models/math/linalg-threads.ts'], outfile: 'dist/cli/linalg-worker.mjs' });
await build({ ...common, entryPoints: ['src/privacy/bulk.ts'], outfile: 'dist/cli/pii-worker.mjs' });
cpSync('src/store/migrations', 'dist/cli/migrations', { recursive: true });
