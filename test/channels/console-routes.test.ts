import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { configureSimulatedSms, messageRates, startProviderSimulators, updateContactPolicy } from '../../src/channels/index.ts';
import { configureMasterKey, recordConsents } from '../../src/privacy/index.ts';
import { buildServerAs, jsonCaller } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

// The routes the console's 触达 pages read: channels and templates, a template previewed for a real customer, a test
// send to a customer that goes through the outbox into the message log, the paged log, and the daily delivery series;
// then subscription results and removing the channel.

const PROMO = { name: 'promo', code: 'SMS_910001', kind: 'marketing' as const, body: '{name}，夏季新品到店，会员专享9折。拒收请回复R', params: ['name'] };
const NOTICE = { name: 'shipped', code: 'SMS_910002', kind: 'notification' as const, body: '{name}，您的订单已发货。', params: ['name'] };
const EARLIER = new Date(Date.now() - 86_400_000);

for (const backend of BACKENDS) {
  describe(`the console's channel routes on ${backend}`, () => {
    test('a preview renders a template for a real customer; a test send to a customer is logged with its states; the log pages and the daily series adds up to the rates', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 3 });
        configureMasterKey(store, { masterKey: randomBytes(32) });
        // Test sends go out at the wall clock's time, so quiet hours (21:00–08:00 Shanghai) would defer the marketing
        // one in the evening; the policy's own tests cover them.
        await updateContactPolicy(store, { global_control_share: 0, quiet_hours: null });
        await configureSimulatedSms(store, sims, { provider: 'tencent', templates: [PROMO, NOTICE] });
        await store.insertRows(
          'customers',
          ['customer_id', 'name', 'phone', 'traits', 'created_at', 'updated_at'],
          [['a', '王小明', '+8613800000001', '{}', EARLIER, EARLIER], ['b', '李雷', '+8613800000002', '{}', EARLIER, EARLIER], ['n', '无号码', null, '{}', EARLIER, EARLIER]],
        );
        await recordConsents(store, [{ customerId: 'b', purpose: 'sms_marketing', status: 'granted', source: 'test', effectiveAt: EARLIER }]);
        const app = await buildServerAs(store);
        try {
          const call = jsonCaller(app);
          const listed = await call('GET', '/v1/channels');
          assert.deepEqual(listed.channels.map((c: { name: string; provider: string; secretsSet: string[] }) => [c.name, c.provider, c.secretsSet]), [['sms', 'tencent_sms', ['secret_id', 'secret_key']]]);
          assert.deepEqual(listed.templates.map((t: { name: string; kind: string }) => [t.name, t.kind]), [['promo', 'marketing'], ['shipped', 'notification']]);

          const preview = await call('POST', '/v1/channels/sms/templates/promo/preview', { customer_id: 'a', params: { name: '{{ customer.name }}' } });
          assert.deepEqual(preview, { channel: 'sms', template: 'promo', customerId: 'a', params: { name: '王小明' }, text: '【思域演示】王小明，夏季新品到店，会员专享9折。拒收请回复R', smsParts: 1, missingParams: [], hasAddress: true });
          assert.deepEqual((await call('POST', '/v1/channels/sms/templates/promo/preview', { customer_id: 'n' })).missingParams, ['name']);
          assert.equal((await call('POST', '/v1/channels/sms/templates/promo/preview', { customer_id: 'n' })).hasAddress, false);
          const unknown = await call('POST', '/v1/channels/sms/templates/promo/preview', { customer_id: 'nobody' }, 404);
          assert.deepEqual(unknown.errors, [{ path: 'customer_id', message: 'no such customer' }]);
          await call('POST', '/v1/channels/sms/templates/nope/preview', { customer_id: 'a' }, 404);

          // A notification template is transactional: no marketing consent needed; the simulator receives it.
          const sent = await call('POST', '/v1/channels/sms/test-customer', { customer_id: 'a', template: 'shipped', params: { name: '{{ customer.name }}' } });
          assert.match(sent.messageId, /^test:/);
          assert.equal(sent.state, 'handed_over', JSON.stringify(sent));
          assert.equal(sent.purpose, 'transactional');
          assert.deepEqual(sent.history.map((h: { state: string }) => h.state), ['queued', 'sending', 'handed_over']);
          assert.ok(sims.sms.sent.some((s) => s.phone.endsWith('13800000001') && s.template === NOTICE.code), 'the simulator received the test SMS');
          // A marketing template to a customer who never consented is skipped, with the reason, and logged.
          const refused = await call('POST', '/v1/channels/sms/test-customer', { customer_id: 'a', template: 'promo', params: { name: 'x' } });
          assert.deepEqual([refused.state, refused.reason], ['skipped', 'no consent for sms_marketing']);
          const consented = await call('POST', '/v1/channels/sms/test-customer', { customer_id: 'b', template: 'promo', params: { name: '{{ customer.name }}' } });
          assert.equal(consented.state, 'handed_over');
          const missing = await call('POST', '/v1/channels/sms/test-customer', { customer_id: 'a', template: 'nope' }, 404);
          assert.deepEqual(missing.errors, [{ path: 'template', message: 'not registered' }]);
          await call('POST', '/v1/channels/sms/test-customer', { customer_id: 'a', extra: 1 }, 400);

          const all = await call('GET', '/v1/messages?with_total=true');
          assert.equal(all.total, 3);
          const first = await call('GET', '/v1/messages?limit=2&offset=0');
          const second = await call('GET', '/v1/messages?limit=2&offset=2');
          assert.equal(first.total, null);
          assert.deepEqual([...first.messages, ...second.messages].map((m: { messageId: string }) => m.messageId), all.messages.map((m: { messageId: string }) => m.messageId), 'pages without gaps or repeats');
          const ofA = await call('GET', '/v1/messages?customer_id=a&with_total=true');
          assert.equal(ofA.total, 2);
          assert.deepEqual(new Set(ofA.messages.map((m: { messageId: string }) => m.messageId)), new Set([sent.messageId, refused.messageId]));
          assert.equal((await call('GET', '/v1/messages?state=skipped&with_total=true')).total, 1);

          const daily = await call('GET', `/v1/messages/daily?since=${encodeURIComponent(EARLIER.toISOString())}`);
          assert.equal(daily.timezone, 'Asia/Shanghai');
          assert.ok(daily.days.length >= 1 && daily.days.every((d: { day: string; channel: string }) => /^\d{4}-\d{2}-\d{2}$/.test(d.day) && d.channel === 'sms'));
          const [rates] = await messageRates(store, 'channel');
          const sum = (k: 'sent' | 'skipped' | 'delivered') => daily.days.reduce((s: number, d: Record<string, number>) => s + d[k]!, 0);
          assert.deepEqual({ sent: sum('sent'), skipped: sum('skipped'), delivered: sum('delivered') }, { sent: rates!.sent, skipped: rates!.skipped, delivered: rates!.delivered });
          assert.deepEqual([rates!.sent, rates!.skipped], [2, 1]);
          const bad = await call('GET', '/v1/messages/daily?since=yesterday', undefined, 400);
          assert.match(JSON.stringify(bad), /since/);

          // Mini-program subscription results for an openid no customer has: nothing recorded, the openid named.
          assert.deepEqual(await call('POST', '/v1/channels/sms/subscriptions', { results: [{ openid: 'o-nobody', template_id: 'T1', result: 'accept' }] }), { recorded: 0, unmatched: ['o-nobody'] });
          assert.deepEqual(await call('DELETE', '/v1/channels/sms'), { removed: 'sms' });
          assert.deepEqual((await call('GET', '/v1/channels')).channels, []);
        } finally {
          await app.close();
          await sims.stop();
        }
      }));
  });
}
