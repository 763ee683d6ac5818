import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dispatchDue, queueMessages, updateContactPolicy } from '../../src/channels/index.ts';
import { recordConsents } from '../../src/privacy/index.ts';
import type { Store } from '../../src/store/index.ts';
import { reasonText, untilInstant } from '../../web/src/pages/reach/reason.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { recordingChannel } from '../helpers/channels.ts';

// The console shows why a message was not sent in the operator's language (web/src/pages/reach/reason.ts). The API
// gives English sentences; these tests take them from the dispatcher itself, so a changed sentence fails here.

const NOON = new Date('2026-06-01T04:00:00Z'); // 12:00 in Shanghai

async function queue(store: Store, rows: [customer: string, id: string, channel: string, purpose: string, dueHoursAgo?: number][]) {
  for (const [customer, id, channel, purpose, ago = 0] of rows) {
    const due = new Date(NOON.getTime() - ago * 3_600_000);
    await store.transaction((tx) =>
      queueMessages(
        tx,
        `SELECT CAST($1 AS TEXT) AS customer_id, CAST($2 AS TEXT) AS message_id, CAST($3 AS TEXT) AS channel, CAST($4 AS TEXT) AS purpose, CAST(NULL AS TEXT) AS journey_id,
                CAST(NULL AS TEXT) AS instance_id, CAST(NULL AS TEXT) AS node, 50 AS priority, CAST('{"body":"hi"}' AS JSON) AS content, CAST(NULL AS JSON) AS context,
                CAST($5 AS TIMESTAMPTZ) AS due_at, CAST($6 AS TIMESTAMPTZ) AS expires_at`,
        [customer, id, channel, purpose, due, new Date(due.getTime() + 48 * 3_600_000)],
        due,
      ),
    );
  }
}

for (const backend of BACKENDS) {
  describe(`reasons from the dispatcher on ${backend}`, () => {
    test('every verdict the contact policy gives is a cause the console names, with its channel, purpose, cap and the time a deferral lasts to', () =>
      withStore(backend, async (store) => {
        await updateContactPolicy(store, { global_control_share: 0, caps: { sms: { day: 1 } }, quiet_hours: { start: '21:00', end: '08:00' } });
        const people: [string, string | null, string | null, string?][] = [['a', '+8613800000001', 'a@x.cn'], ['none', null, null], ['silent', '+8613800000002', null], ['ny', '+12125550100', null, 'America/New_York']];
        await store.insertRows('customers', ['customer_id', 'name', 'phone', 'email', 'traits', 'created_at', 'updated_at'], people.map(([id, phone, email, tz]) => [id, id, phone, email, JSON.stringify(tz ? { timezone: tz } : {}), NOON, NOON]));
        await recordConsents(store, ['a', 'ny'].flatMap((customerId) => ['sms_marketing', 'email_marketing'].map((purpose) => ({ customerId, purpose, status: 'granted' as const, source: 'test', effectiveAt: NOON }))));
        await store.insertRows('channel_reachability', ['customer_id', 'channel', 'is_reachable', 'reason', 'changed_at'], [['a', 'email', false, 'bounce: 550 mailbox does not exist', NOON]]);
        await queue(store, [
          ['a', 'a-first', 'sms', 'marketing'],
          ['a', 'capped', 'sms', 'marketing'],
          ['a', 'bounced', 'email', 'marketing'],
          ['a', 'wecom', 'wecom', 'marketing'],
          ['none', 'no-address', 'sms', 'marketing'],
          ['silent', 'no-consent', 'sms', 'marketing'],
          ['ny', 'quiet', 'sms', 'marketing'],
          ['a', 'expired', 'sms', 'transactional', 60],
        ]);
        await dispatchDue(store, [recordingChannel('sms', 'phone').channel, recordingChannel('email', 'email').channel], { now: NOON });
        const rows = await store.query<{ message_id: string; reason: string | null }>('SELECT message_id, reason FROM outbound_messages');
        const reasons = Object.fromEntries(rows.map((r) => [r.message_id, r.reason]));
        const described = Object.fromEntries(Object.entries(reasons).filter(([, r]) => r).map(([id, r]) => [id, reasonText(r!)]));
        assert.deepEqual(described, {
          capped: { key: 'cap', values: { limit: '1', window: 'day', channel: 'sms' } },
          bounced: { key: 'unreachable', values: { channel: 'email', detail: 'bounce: 550 mailbox does not exist' } },
          wecom: { key: 'notSetUp', values: { channel: 'wecom' } },
          'no-address': { key: 'noAddress', values: { channel: 'sms' } },
          'no-consent': { key: 'noConsent', values: { purpose: 'sms_marketing' } },
          quiet: { key: 'quietHours', values: {} },
          expired: { key: 'expired', values: {} },
        });
        // The history of a deferred message says until when.
        const [history] = await store.query<{ detail: string }>(`SELECT detail FROM outbound_message_states WHERE message_id = 'quiet' AND state = 'deferred'`);
        const quiet = reasonText(history!.detail);
        assert.equal(quiet.key, 'quietHours');
        assert.deepEqual(untilInstant(quiet.until!), new Date('2026-06-01T12:00:00Z'), '08:00 in New York');

        // Half the customers are in the control group (the most the policy allows): some of these four are.
        await updateContactPolicy(store, { global_control_share: 0.5 });
        await queue(store, people.map(([customer]) => [customer, `control-${customer}`, 'sms', 'marketing']));
        await dispatchDue(store, [recordingChannel('sms', 'phone').channel], { now: NOON });
        const control = await store.query<{ reason: string }>(`SELECT reason FROM outbound_messages WHERE message_id LIKE 'control-%' AND reason LIKE 'global control%'`);
        assert.ok(control.length > 0);
        for (const { reason } of control) assert.equal(reasonText(reason).key, 'globalControl');
      }));
  });
}

test('the adapters’ refusals are named; a provider’s own code and message are shown as they are', () => {
  // As src/channels/sms/common.ts, wechat/channels.ts, email.ts, webhook.ts and the dispatcher write them.
  const cases: [string, string | undefined, Record<string, string>?][] = [
    ['an SMS is sent by a registered template: the message names none (content.template)', 'smsNeedsTemplate'],
    ['no template "promo" is registered for this channel (siyu channels template add)', 'templateNotRegistered', { template: 'promo' }],
    ['not a phone number an SMS provider takes: "12345"', 'badPhone', { phone: '"12345"' }],
    ['template shipped needs the parameters name, order', 'missingParams', { template: 'shipped', params: 'name, order' }],
    ['template: unknown variable customer.nam', 'template', { detail: 'unknown variable customer.nam' }],
    ['provider not reachable: connect ECONNREFUSED 127.0.0.1:9', 'providerUnreachable', { detail: 'connect ECONNREFUSED 127.0.0.1:9' }],
    ['no answer within the timeout; waiting for a receipt', 'timeout'],
    ['the answer has no status for this number; waiting for a receipt', 'awaitingReceipt'],
    ['in fail_list: not a contact, or over the monthly mass-send limit', 'wecomFailList'],
    ['no subscription credit for template TPL_1: the customer has not accepted it (again)', 'noSubscription', { template: 'TPL_1' }],
    ['43101: the user refused or cancelled the subscription; credits zeroed', 'subscriptionRefused'],
    ['bounced: 550 5.1.1 user unknown', 'bounced', { detail: '550 5.1.1 user unknown' }],
    ['HTTP 410: the endpoint is gone', 'endpointGone'],
    ['HTTP 503', 'http', { status: '503' }],
    ['interrupted while handing over; reconcile from receipts', 'interrupted'],
    ['FailedOperation.PhoneNumberInBlacklist: the number is on the blacklist', undefined],
  ];
  for (const [sentence, key, values = {}] of cases) assert.deepEqual(reasonText(sentence), key ? { key, values } : { values: {} }, sentence);
  assert.equal(untilInstant('not a time'), undefined);
  assert.deepEqual(untilInstant('2026-06-01 20:00:00.5+08'), new Date('2026-06-01T12:00:00.500Z'));
});
