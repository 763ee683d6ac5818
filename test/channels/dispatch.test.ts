import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dispatchDue, isPrivateAddress, queueMessages, recoverSending, signWebhook, updateContactPolicy, webhookChannel } from '../../src/channels/index.ts';
import { recordConsents } from '../../src/privacy/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { recordingChannel, webhookReceiver } from '../helpers/channels.ts';

const NOON = new Date('2026-06-01T04:00:00Z'); // 12:00 in Shanghai
const hours = (h: number) => new Date(NOON.getTime() + h * 3_600_000);

/** Queues one message per [customer, id, channel, purpose, priority, fallback?], due at `at`. */
async function queue(store: Store, rows: [string, string, string, string, number, string?][], at = NOON, body = '{{ customer.name }}，您好') {
  await store.transaction(async (tx) => {
    await tx.execute('CREATE TEMP TABLE q (customer_id TEXT, message_id TEXT, channel TEXT, purpose TEXT, priority INTEGER, content TEXT)');
    await tx.insertRows('q', ['customer_id', 'message_id', 'channel', 'purpose', 'priority', 'content'], rows.map(([c, id, channel, purpose, priority, fallback]) => [c, id, channel, purpose, priority, JSON.stringify({ body, fallback: fallback ?? null })]));
    await queueMessages(
      tx,
      `SELECT customer_id, message_id, channel, purpose, CAST(NULL AS TEXT) AS journey_id, CAST(NULL AS TEXT) AS instance_id, CAST(NULL AS TEXT) AS node,
              priority, CAST(content AS JSON) AS content, CAST(NULL AS JSON) AS context, CAST($1 AS TIMESTAMPTZ) AS due_at, CAST($2 AS TIMESTAMPTZ) AS expires_at FROM q`,
      [at, new Date(at.getTime() + 72 * 3_600_000)],
      at,
    );
    await tx.execute('DROP TABLE q');
  });
}

async function states(store: Store): Promise<Record<string, string>> {
  const rows = await store.query<{ message_id: string; state: string; reason: string | null; channel: string }>('SELECT message_id, state, reason, channel FROM outbound_messages ORDER BY message_id');
  return Object.fromEntries(rows.map((r) => [r.message_id, `${r.channel} ${r.state}${r.reason ? `: ${r.reason}` : ''}`]));
}

/** Customers who have granted SMS and email marketing (unless `consent` is false). */
async function customers(store: Store, rows: [id: string, phone: string | null, email: string | null, tz?: string][], consent = true) {
  await store.insertRows('customers', ['customer_id', 'name', 'phone', 'email', 'traits', 'created_at', 'updated_at'], rows.map(([id, phone, email, tz]) => [id, `客户${id}`, phone, email, JSON.stringify(tz ? { timezone: tz } : {}), NOON, NOON]));
  if (consent) await recordConsents(store, rows.flatMap(([id]) => ['sms_marketing', 'email_marketing'].map((purpose) => ({ customerId: id, purpose, status: 'granted' as const, source: 'test', effectiveAt: NOON }))));
}

for (const backend of BACKENDS) {
  describe(`the dispatcher and contact policy on ${backend}`, () => {
    test('caps, quiet hours, fallback channels, the global control group and expiry each give a recorded verdict; transactional is exempt', () =>
      withStore(backend, async (store) => {
        await updateContactPolicy(store, { global_control_share: 0 });
        await customers(store, [['a', '+8613800000001', 'a@x.cn'], ['b', null, 'b@x.cn'], ['c', null, null], ['ny', '+12125550100', null, 'America/New_York']]);
        const sms = recordingChannel('sms', 'phone');
        const email = recordingChannel('email', 'email');
        await queue(store, [
          ['a', 'a1', 'sms', 'marketing', 50],
          ['a', 'a2', 'sms', 'marketing', 90],
          ['a', 'a3', 'sms', 'transactional', 10],
          ['b', 'b1', 'sms', 'marketing', 50, 'email'],
          ['c', 'c1', 'sms', 'marketing', 50, 'email'],
          ['ny', 'n1', 'sms', 'marketing', 50],
        ]);
        const report = await dispatchDue(store, [sms.channel, email.channel], { now: NOON });
        assert.deepEqual(await states(store), {
          a1: 'sms deferred: cap: at most 1 a day on sms',
          a2: 'sms handed_over',
          a3: 'sms handed_over',
          b1: 'email handed_over',
          c1: 'sms skipped: no address for sms',
          n1: 'sms deferred: quiet hours',
        });
        assert.deepEqual([report.claimed, report.sent, report.deferred, report.skipped], [6, 3, 2, 1]);
        assert.deepEqual(sms.sent.map((m) => [m.messageId, m.to, m.body]).sort(), [['a2', '+8613800000001', '客户a，您好'], ['a3', '+8613800000001', '客户a，您好']]);
        const [quiet] = await store.query<{ due_at: Date }>(`SELECT due_at FROM outbound_messages WHERE message_id = 'n1'`);
        assert.deepEqual(quiet?.due_at, new Date('2026-06-01T12:00:00Z'), '08:00 in New York (EDT), where it is midnight now');

        assert.equal((await dispatchDue(store, [sms.channel, email.channel], { now: hours(1) })).claimed, 0, 'nothing due yet');
        await dispatchDue(store, [sms.channel, email.channel], { now: hours(8.5) });
        assert.equal((await states(store)).n1, 'sms handed_over', 'at 08:30 in New York');
        assert.equal((await states(store)).a1, 'sms deferred: cap: at most 1 a day on sms');
        await dispatchDue(store, [sms.channel, email.channel], { now: hours(24.5) });
        assert.equal((await states(store)).a1, 'sms handed_over', 'sent once the day has passed');

        await queue(store, [['a', 'late', 'sms', 'marketing', 50]], hours(-100));
        await dispatchDue(store, [sms.channel], { now: hours(25) });
        assert.equal((await states(store)).late, 'sms skipped: expired: not sent within its time to live');
        const history = await store.query<{ state: string }>(`SELECT state FROM outbound_message_states WHERE message_id = 'a1' ORDER BY changed_at`);
        assert.deepEqual(history.map((h) => h.state), ['queued', 'deferred', 'sending', 'handed_over']);
      }));

    test('marketing needs the channel\'s consent (opt-in: none recorded is no) and reachability, else it falls back or is skipped with the reason', () =>
      withStore(backend, async (store) => {
        await updateContactPolicy(store, { global_control_share: 0 });
        await customers(store, [['granted', '+8613800000001', 'g@x.cn'], ['silent', '+8613800000002', 's@x.cn'], ['gone', '+8613800000003', 'w@x.cn'], ['emailonly', '+8613800000004', 'e@x.cn']], false);
        await recordConsents(store, [
          { customerId: 'granted', purpose: 'sms_marketing', status: 'granted', source: 'test', effectiveAt: NOON },
          { customerId: 'gone', purpose: 'sms_marketing', status: 'granted', source: 'test', effectiveAt: hours(-2) },
          { customerId: 'gone', purpose: 'sms_marketing', status: 'withdrawn', source: 'test', effectiveAt: hours(-1) },
          { customerId: 'emailonly', purpose: 'email_marketing', status: 'granted', source: 'test', effectiveAt: NOON },
          { customerId: 'granted', purpose: 'email_marketing', status: 'granted', source: 'test', effectiveAt: NOON },
        ]);
        await store.insertRows('channel_reachability', ['customer_id', 'channel', 'is_reachable', 'reason', 'changed_at'], [['granted', 'email', false, 'bounce: 550 mailbox does not exist', NOON]]);
        const sms = recordingChannel('sms', 'phone');
        const email = recordingChannel('email', 'email');
        await queue(store, [
          ['granted', 'g1', 'sms', 'marketing', 50],
          ['granted', 'g2', 'email', 'marketing', 50],
          ['silent', 's1', 'sms', 'marketing', 50],
          ['silent', 's2', 'sms', 'transactional', 50],
          ['gone', 'w1', 'sms', 'marketing', 50],
          ['emailonly', 'e1', 'sms', 'marketing', 50, 'email'],
        ]);
        await dispatchDue(store, [sms.channel, email.channel], { now: NOON });
        assert.deepEqual(await states(store), {
          g1: 'sms handed_over',
          g2: 'email skipped: unreachable on email: bounce: 550 mailbox does not exist',
          s1: 'sms skipped: no consent for sms_marketing',
          s2: 'sms handed_over',
          w1: 'sms skipped: no consent for sms_marketing',
          e1: 'email handed_over',
        });
      }));

    test('the global control group gets no marketing, the same customers every time', () =>
      withStore(backend, async (store) => {
        await updateContactPolicy(store, { global_control_share: 0.2, caps: { sms: {} } });
        const ids = Array.from({ length: 300 }, (_, i) => `g${i}`);
        await customers(store, ids.map((id) => [id, '+8613800000000', null] as [string, string, null]));
        const sms = recordingChannel('sms');
        await queue(store, ids.map((id) => [id, `${id}-m`, 'sms', 'marketing', 50] as [string, string, string, string, number]));
        await queue(store, ids.map((id) => [id, `${id}-t`, 'sms', 'transactional', 50] as [string, string, string, string, number]));
        await dispatchDue(store, [sms.channel], { now: NOON });
        const skipped = await store.query<{ customer_id: string }>(`SELECT customer_id FROM outbound_messages WHERE reason = 'global control group: no marketing' ORDER BY customer_id`);
        assert.ok(skipped.length > 35 && skipped.length < 85, `about 20% of 300, got ${skipped.length}`);
        assert.equal(sms.sent.length, 600 - skipped.length, 'transactional messages reach the control group');
      }));

    test('a message left sending by a dead process becomes unknown and is never sent again', () =>
      withStore(backend, async (store) => {
        await customers(store, [['a', '+8613800000001', null]]);
        await queue(store, [['a', 'x', 'sms', 'transactional', 50]]);
        await store.execute(`UPDATE outbound_messages SET state = 'sending', sent_at = $1`, [NOON]);
        assert.equal(await recoverSending(store, hours(1)), 1);
        const sms = recordingChannel('sms');
        await dispatchDue(store, [sms.channel], { now: hours(2) });
        assert.deepEqual([sms.sent.length, (await states(store)).x], [0, 'sms unknown: interrupted while handing over; reconcile from receipts']);
      }));

    test('webhooks are signed per Standard Webhooks and retried on 503, once delivered never again', () =>
      withStore(backend, async (store) => {
        const receiver = await webhookReceiver((n) => (n === 1 ? 503 : 200));
        try {
          await customers(store, [['a', null, null]]);
          await store.transaction((tx) =>
            queueMessages(
              tx,
              `SELECT 'a' AS customer_id, 'w1' AS message_id, 'webhook' AS channel, 'transactional' AS purpose, 'j' AS journey_id, 'i' AS instance_id, 'n' AS node, 50 AS priority,
                      CAST($1 AS JSON) AS content, CAST('{"sku":"S1"}' AS JSON) AS context, CAST($2 AS TIMESTAMPTZ) AS due_at, CAST(NULL AS TIMESTAMPTZ) AS expires_at`,
              [JSON.stringify({ url: receiver.url }), NOON],
              NOON,
            ),
          );
          const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
          const hook = webhookChannel({ secret, allowPrivateNetworks: true, now: () => NOON });
          await dispatchDue(store, [hook], { now: NOON });
          assert.equal((await states(store)).w1, 'webhook deferred: HTTP 503');
          await dispatchDue(store, [hook], { now: hours(1) });
          await dispatchDue(store, [hook], { now: hours(2) });
          assert.equal((await states(store)).w1, 'webhook delivered');
          assert.equal(receiver.received.length, 2);
          const last = receiver.received[1]!;
          const ts = Number(last.headers['webhook-timestamp']);
          assert.equal(last.headers['webhook-id'], 'w1');
          assert.equal(last.headers['webhook-signature'], signWebhook(secret, 'w1', ts, last.body));
          assert.deepEqual(JSON.parse(last.body).context, { sku: 'S1' });
          const refused = webhookChannel({ secret, now: () => NOON });
          const [outcome] = await refused.send([{ messageId: 'm', customerId: 'a', to: receiver.url, body: '{}', meta: {} }]);
          assert.equal(outcome?.outcome, 'rejected', 'a private-network target is refused unless allowed');
        } finally {
          await receiver.close();
        }
      }));
  });
}

describe('webhook signatures and private networks', () => {
  test('the Standard Webhooks spec vector', () => {
    assert.equal(signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
  const cases: [string, boolean][] = [['127.0.0.1', true], ['10.1.2.3', true], ['172.20.0.1', true], ['192.168.1.1', true], ['169.254.169.254', true], ['::1', true], ['fd00::1', true], ['8.8.8.8', false], ['172.32.0.1', false], ['2001:4860::8888', false]];
  for (const [ip, isPrivate] of cases) test(`${ip} is ${isPrivate ? '' : 'not '}private`, () => assert.equal(isPrivateAddress(ip), isPrivate));
});
