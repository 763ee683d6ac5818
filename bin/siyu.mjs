#!/usr/bin/env node
// Runs the bundled CLI when the package is built (npm run build; scripts/bundle-cli.mjs), else the compiled modules,
// else the TypeScript sources through tsx (a checkout without a build).
import { existsSync } from 'node:fs';

const bundled = new URL('../dist/cli/siyu.mjs', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(bundled)) {
  await import(bundled.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
