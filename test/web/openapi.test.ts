import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SCHEMA_FILE, schemaTypes } from '../../scripts/openapi.ts';

test("the console's generated API types match the server's OpenAPI document (else run npm run openapi)", async () => {
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  const current = await schemaTypes();
  assert.ok(committed === current, 'web/src/api/schema.d.ts is stale: run `npm run openapi` and commit it');
  assert.match(current, /"\/v1\/customers": \{/);
});
