import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assignCustomers, customerInScope, dataScopePredicate, formatDataScope, parseDataScope, type DataScope } from '../../src/access/index.ts';
import { isSiyuError } from '../../src/core/errors.ts';
import { exportSegment, saveSegment } from '../../src/segment/index.ts';
import { buildServer } from '../../src/server/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { loadCustomers, sessionFor } from './helpers.ts';

test('data scopes parse from their command-line form and back, and bad ones name the field', () => {
  for (const spec of ['all', 'own', 'stores:S1,S2', 'channels:wecom', 'regions:上海,浙江']) assert.equal(formatDataScope(parseDataScope(spec)), spec);
  assert.throws(() => parseDataScope('stores:'), (e: unknown) => isSiyuError(e) && e.details[0]?.path === 'stores');
  assert.throws(() => parseDataScope('country:CN'), (e: unknown) => isSiyuError(e) && e.code === 'invalid_data_scope');
});

test('the predicate carries values as parameters, never in the SQL', () => {
  const p = dataScopePredicate({ kind: 'stores', stores: ["S1'; DROP TABLE customers; --", 'S2'] }, 'm.customer_id', 3);
  assert.doesNotMatch(p.sql, /DROP/);
  assert.match(p.sql, /IN \(\$3, \$4\)/);
  assert.deepEqual(p.params, ["S1'; DROP TABLE customers; --", 'S2']);
  assert.throws(() => dataScopePredicate({ kind: 'all' }, 'x; DROP', 1), /not a column/);
});

for (const backend of BACKENDS) {
  describe(`data scopes on ${backend}`, () => {
    test('each kind of scope selects its customers in SQL, merged ids following their survivor', () =>
      withStore(backend, async (store) => {
        await loadCustomers(store);
        await store.execute("INSERT INTO users (user_id, username, password_hash, data_scope, created_at, updated_at) VALUES ('u_guide', 'guide', 'x', '{\"kind\":\"own\"}', now(), now())");
        assert.equal(await assignCustomers(store, 'guide', ['c3', 'c3'], 'test'), 1);
        await assert.rejects(assignCustomers(store, 'guide', ['nobody'], 'test'), (e: unknown) => isSiyuError(e) && e.code === 'unknown_customers');
        const visible = async (scope: DataScope) => {
          const ids: string[] = [];
          for (const id of ['c1', 'c2', 'c3', 'c4', 'c5', 'nobody']) if (await customerInScope(store, scope, id, 'u_guide')) ids.push(id);
          return ids;
        };
        const cases: [string, DataScope, string[]][] = [
          ['all', { kind: 'all' }, ['c1', 'c2', 'c3', 'c4', 'c5', 'nobody']],
          ['a store: its buyers, and c4 merged into c1', { kind: 'stores', stores: ['S1'] }, ['c1', 'c4', 'c5']],
          ['another store', { kind: 'stores', stores: ['S2'] }, ['c2']],
          ['a province from traits', { kind: 'regions', regions: ['浙江'] }, ['c2']],
          ['a city', { kind: 'regions', regions: ['上海', '北京'] }, ['c1', 'c3', 'c4']],
          ['a registration channel', { kind: 'channels', channels: ['wecom'] }, ['c1', 'c4']],
          ['an order channel', { kind: 'channels', channels: ['taobao', 'mini'] }, ['c2', 'c5']],
          ['own: assigned to the user', { kind: 'own' }, ['c3']],
        ];
        for (const [title, scope, expected] of cases) assert.deepEqual(await visible(scope), expected, title);
        assert.equal(await customerInScope(store, { kind: 'own' }, 'c3'), false, 'own without a user matches nobody');
      }));

    test('a store-scoped analyst gets 404 for a customer of another store, exactly as for one that does not exist', () =>
      withStore(backend, async (store) => {
        await loadCustomers(store);
        const app = await buildServer({ store });
        try {
          const analyst = await sessionFor(store, 'analyst', { kind: 'stores', stores: ['S1'] });
          const get = (url: string) => app.inject({ url, headers: analyst.headers });
          assert.equal((await get('/v1/customers/c1')).statusCode, 200);
          assert.equal((await get('/v1/customers/c4')).json().customerId, 'c1', 'a merged id resolves to its survivor');
          const other = await get('/v1/customers/c2');
          const missing = await get('/v1/customers/nobody');
          assert.deepEqual([other.statusCode, other.json().code], [404, 'unknown_customer']);
          assert.equal(other.body.replace('c2', 'ID'), missing.body.replace('nobody', 'ID'), 'the same answer, so existence does not leak');
          assert.equal((await get('/v1/customers/c2/tags')).statusCode, 404);
          assert.equal((await get('/v1/customers/c1/consents')).statusCode, 200);
          assert.equal((await get('/v1/customers/c2/consents')).statusCode, 404, 'consents follow the data scope too');
          const refused = await get('/v1/churn/warnings');
          assert.deepEqual([refused.statusCode, refused.json().code], [403, 'data_scope_unsupported'], 'a list that cannot apply scopes yet is refused');

          const preview = await app.inject({ method: 'POST', url: '/v1/segments/preview?as_of=2026-07-01', headers: analyst.headers, payload: { definition: { field: 'channel', op: 'exists' } } });
          assert.equal(preview.statusCode, 200, preview.body);
          assert.deepEqual([preview.json().count, preview.json().sample.map((s: { customerId: string; name: string }) => [s.customerId, s.name])], [2, [['c1', '王*'], ['c5', '赵*']]], 'c2 and c3 are out of scope; names masked');
          const whole = await sessionFor(store, 'analyst');
          const all = await app.inject({ method: 'POST', url: '/v1/segments/preview?as_of=2026-07-01', headers: whole.headers, payload: { definition: { field: 'channel', op: 'exists' } } });
          assert.equal(all.json().count, 4);

          await saveSegment(store, { name: 'everyone', definition: { field: 'channel', op: 'exists' } });
          const csv = await app.inject({ url: '/v1/segments/everyone/export?fields=city,phone&as_of=2026-07-01', headers: analyst.headers });
          assert.equal(csv.statusCode, 200, csv.body);
          assert.deepEqual(csv.body.trim().split('\n'), ['customer_id,city,phone', "c1,上海,'+86 138****8000", "c5,,'+86 136****6000"]);
        } finally {
          await app.close();
        }
        // The same filter in the domain call the route makes.
        const dir = mkdtempSync(join(tmpdir(), 'siyu-scope-'));
        try {
          const out = join(dir, 'x.jsonl');
          const report = await exportSegment(store, 'everyone', { out, format: 'jsonl', fields: ['city'], asOf: '2026-07-01', customerFilter: (column, first) => dataScopePredicate({ kind: 'regions', regions: ['浙江'] }, column, first) });
          assert.deepEqual([report.rows, readFileSync(out, 'utf8').trim()], [1, '{"customer_id":"c2","city":"杭州"}']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }));
  });
}
