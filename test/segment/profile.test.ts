import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { computeAttributes, computeLifecycle, computeRfm, customerProfile, maskEmail, maskName, maskPhone } from '../../src/segment/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { load } from './fixture.ts';

test('masks keep only what staff need to recognise a customer', () => {
  assert.equal(maskPhone('+8613800138000'), '+86 138****8000');
  assert.equal(maskPhone('13800138000'), '138****8000');
  assert.equal(maskPhone('+442071838750'), '+44******8750');
  assert.equal(maskEmail('wang.fang@example.com'), 'w***@example.com');
  assert.equal(maskName('王芳芳'), '王**');
});

for (const backend of BACKENDS) {
  describe(`customer profile on ${backend}`, () => {
    test('one call gathers identities, orders, attributes, layers and events, masked unless allowed', () =>
      withStore(backend, async (store) => {
        await load(store);
        await store.execute("UPDATE customers SET name = '王芳', phone = '+8613800138000', email = 'wang@example.com', traits = '{\"vip\": true, \"phone\": \"+8613800138000\"}' WHERE customer_id = 'F'");
        await store.insertRows('identities', ['type', 'value', 'customer_id', 'source', 'created_at'], [['phone', '+8613800138000', 'F', 'test', new Date()], ['user_id', 'F', 'F', 'test', new Date()]]);
        await store.insertRows('events', ['customer_id', 'message_id', 'type', 'name', 'properties', 'ts', 'received_at'], [['F', 'f1', 'identify', null, { phone: '+8613800138000', city: '上海' }, new Date('2026-06-01T00:00:00Z'), new Date()]]);
        await computeAttributes(store, { asOf: '2026-06-30' });
        await computeLifecycle(store, { asOf: '2026-06-30' });
        await computeRfm(store, { asOf: '2026-06-30' });
        const masked = await customerProfile(store, 'F');
        assert.equal(masked.piiMasked, true);
        assert.deepEqual([masked.profile.name, masked.profile.phone, masked.profile.email], ['王*', '+86 138****8000', 'w***@example.com']);
        assert.deepEqual(masked.identities, [{ type: 'phone', value: '+86 138****8000', source: 'test' }, { type: 'user_id', value: 'F', source: 'test' }]);
        assert.deepEqual(masked.traits, { vip: true, phone: '+86 138****8000' });
        assert.deepEqual(masked.recentEvents.find((e) => e.type === 'identify')!.properties, { phone: '+86 138****8000', city: '上海' });
        assert.deepEqual([masked.orders.count, masked.orders.paidFen], [4, 120_000]);
        assert.equal(masked.attributes.find((a) => a.name === 'orders_lifetime')!.value, 4);
        assert.equal(masked.layers.stage!.stage, 'repeat');
        assert.ok(masked.layers.rfm && masked.layers.tier === null && masked.layers.churn === null);
        const open = await customerProfile(store, 'F', { reveal: true });
        assert.deepEqual([open.piiMasked, open.profile.phone, open.identities[0]!.value], [false, '+8613800138000', '+8613800138000']);
        await assert.rejects(customerProfile(store, 'nobody'), (e: unknown) => isSiyuError(e) && e.kind === 'not_found');
        // Over HTTP, masked unless the caller may reveal and gives a reason (test/access/reveal.test.ts has the rest).
        const app = await buildServerAs(store, ['customers:read', 'customers:read_pii']);
        try {
          for (const [url, phone] of [['/v1/customers/F', '+86 138****8000'], ['/v1/customers/F?reveal=true&reason=test%20of%20reveal', '+8613800138000']] as const) {
            const res = await app.inject({ url });
            assert.deepEqual([res.statusCode, res.json().profile.phone], [200, phone]);
          }
          assert.equal((await app.inject({ url: '/v1/customers/nobody' })).statusCode, 404);
        } finally {
          await app.close();
        }
      }));
  });
}
