import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openapiDocument, SCHEMA_FILE, schemaTypes } from '../../scripts/openapi.ts';

test("the console's generated API types match the server's OpenAPI document (else run npm run openapi)", async () => {
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  const current = await schemaTypes();
  assert.ok(committed === current, 'web/src/api/schema.d.ts is stale: run `npm run openapi` and commit it');
  assert.match(current, /"\/v1\/customers": \{/);
});

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };

test('every route in the OpenAPI document declares the shape of each successful answer, so the console gets it typed', async () => {
  const paths = (await openapiDocument()).paths as Record<string, Record<string, Operation>>;
  const operations = Object.entries(paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })));
  assert.ok(operations.length >= 140, `only ${operations.length} operations documented`);
  const untyped = operations.flatMap(({ route, op }) => {
    const successes = Object.entries(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
    if (successes.length === 0) return [`${route}: no 2xx answer`];
    // Every content type of every 2xx answer carries a schema (a file route declares text/csv with a string).
    return successes.filter(([, answer]) => !answer.content || Object.values(answer.content).some((c) => c.schema === undefined)).map(([status]) => `${route} ${status}`);
  });
  assert.deepEqual(untyped, [], 'routes without a response schema: add `response: { 200: … }` to their route schema');
});
