import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Layering (ARCHITECTURE.md §2): cli/server -> domain index.ts -> store. Domains never import
// the front ends, and only store/ talks to database drivers.
const frontEnds = ['**/cli/**', '**/server/**'];
const drivers = ['pg', '@duckdb/node-api'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'scratch/**'] },
  { languageOptions: { globals: globals.node } },
  // The console runs in the browser and talks to Siyu only through its generated API client (web/src/api/).
  { files: ['web/src/**/*.{ts,tsx}'], languageOptions: { globals: globals.browser } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/server/**', 'src/store/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: drivers.map((name) => ({ name, message: 'Only src/store/ talks to database drivers.' })),
        patterns: [{ group: frontEnds, message: 'Domain modules must not import cli/ or server/.' }],
      }],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: [...frontEnds, '**/ingest/**', '**/demo/**', '**/importer/**'], message: 'store/ sits at the bottom: it imports no domain.' }],
      }],
    },
  },
);
