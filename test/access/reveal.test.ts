import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listAudit } from '../../src/access/index.ts';
import { keyRingFor, sealPii } from '../../src/privacy/index.ts';
import { saveSegment } from '../../src/segment/index.ts';
import { buildServer } from '../../src/server/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { loadCustomers, runCli, sessionFor } from './helpers.ts';

for (const backend of BACKENDS) {
  describe(`revealing personal data on ${backend}`, () => {
    test('only customers:read_pii may reveal, only with a reason, and every reveal is audited with it', () =>
      withStore(backend, async (store) => {
        await loadCustomers(store);
        const app = await buildServer({ store });
        try {
          const viewer = await sessionFor(store, 'viewer');
          const service = await sessionFor(store, 'service', undefined, 'kefu01');
          const masked = await app.inject({ url: '/v1/customers/c1', headers: viewer.headers });
          assert.deepEqual([masked.json().piiMasked, masked.json().profile.phone], [true, '+86 138****8000']);
          const denied = await app.inject({ url: '/v1/customers/c1?reveal=true&reason=curious', headers: viewer.headers });
          assert.deepEqual([denied.statusCode, denied.json().code, denied.json().errors], [403, 'missing_permission', [{ path: 'permission', message: 'customers:read_pii' }]]);
          const noReason = await app.inject({ url: '/v1/customers/c1?reveal=true', headers: service.headers });
          assert.deepEqual([noReason.statusCode, noReason.json().code], [400, 'reveal_reason_required']);
          const reason = '工单 #4711 核实收货电话';
          const shown = await app.inject({ url: '/v1/customers/c4?reveal=true', headers: { ...service.headers, 'x-reveal-reason': encodeURIComponent(reason) } });
          assert.deepEqual([shown.statusCode, shown.json().profile.phone, shown.json().profile.name], [200, '+8613800138000', '王芳']);
          const [entry] = await listAudit(store, { action: 'customer.reveal_pii' });
          assert.deepEqual([entry!.actor, entry!.target, entry!.details.reason], ['user:kefu01', 'c1', reason], 'recorded against the profile shown, with the reason');
          assert.equal((await listAudit(store, { action: 'customer.reveal_pii' })).length, 1, 'masked reads are not reveals');
        } finally {
          await app.close();
        }
      }));

    test('every export is audited; an analyst exports masked, and cannot reveal', () =>
      withStore(backend, async (store) => {
        await loadCustomers(store);
        await store.execute("UPDATE customers SET birthday = $1, birth_year = 1990, birth_month = 5 WHERE customer_id = 'c1'", [sealPii(await keyRingFor(store), '1990-05-17')]);
        await saveSegment(store, { name: 'shanghai', definition: { field: 'city', op: '=', value: '上海' } });
        const app = await buildServer({ store });
        try {
          const analyst = await sessionFor(store, 'analyst', undefined, 'fenxi');
          const url = '/v1/segments/shanghai/export?fields=name,phone,birthday&format=jsonl&as_of=2026-07-01';
          const res = await app.inject({ url, headers: analyst.headers });
          assert.equal(res.body.trim(), '{"customer_id":"c1","name":"王*","phone":"+86 138****8000","birthday":"1990-**-**"}');
          assert.equal((await app.inject({ url: `${url}&reveal=true&reason=campaign`, headers: analyst.headers })).statusCode, 403);
          const admin = await sessionFor(store, 'admin');
          const open = await app.inject({ url: `${url}&reveal=true&reason=SMS%20vendor%20upload`, headers: admin.headers });
          assert.equal(open.body.trim(), '{"customer_id":"c1","name":"王芳","phone":"+8613800138000","birthday":"1990-05-17"}');
          const exports = await listAudit(store, { action: 'segment.export' });
          assert.deepEqual(
            exports.map((e) => [e.actor, e.details.revealed, e.details.reason ?? null, e.details.rows]),
            [[`user:${admin.user.username}`, true, 'SMS vendor upload', 1], ['user:fenxi', false, null, 1]],
          );
        } finally {
          await app.close();
        }
      }));

    test('siyu profile show --reveal-pii needs --reason and is audited as the OS user', () =>
      withStore(backend, async (store) => {
        await loadCustomers(store);
        const refused = await runCli(store, ['profile', 'show', 'c2', '--reveal-pii']);
        assert.equal(refused.exitCode, 2);
        assert.match(refused.stderr, /--reveal-pii needs --reason/);
        const shown = await runCli(store, ['profile', 'show', 'c2', '--reveal-pii', '--reason', 'data subject asked for a copy']);
        assert.equal(JSON.parse(shown.stdout).profile.phone, '+8613900139000');
        const [entry] = await listAudit(store, { action: 'customer.reveal_pii' });
        assert.match(entry!.actor, /^cli:/);
        assert.deepEqual([entry!.target, entry!.details.reason], ['c2', 'data subject asked for a copy']);
        assert.equal(JSON.parse((await runCli(store, ['profile', 'show', 'c2'])).stdout).profile.phone, '+86 139****9000');
      }));
  });
}
