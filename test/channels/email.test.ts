import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { closeChannels, dispatchDue, loadChannels, pollChannels, queueMessages, startProviderSimulators, updateContactPolicy } from '../../src/channels/index.ts';
import { checkConsent, configureMasterKey, recordConsents } from '../../src/privacy/index.ts';
import type { Store } from '../../src/store/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { addIdentities } from '../helpers/pii.ts';

const NOON = new Date('2026-06-01T04:00:00Z');

async function queueEmail(store: Store, rows: [customer: string, id: string][], at = NOON) {
  await store.transaction(async (tx) => {
    await tx.execute('CREATE TEMP TABLE q (customer_id TEXT, message_id TEXT)');
    await tx.insertRows('q', ['customer_id', 'message_id'], rows);
    await queueMessages(
      tx,
      `SELECT customer_id, message_id, 'email' AS channel, 'marketing' AS purpose, 'summer' AS journey_id, CAST(NULL AS TEXT) AS instance_id, 'mail' AS node, 50 AS priority,
              CAST($2 AS JSON) AS content, CAST(NULL AS JSON) AS context, CAST($1 AS TIMESTAMPTZ) AS due_at, CAST(NULL AS TIMESTAMPTZ) AS expires_at FROM q`,
      [at, JSON.stringify({ subject: '{{ customer.name }}，夏季新品', body: '<p>{{ customer.name }}，您好！</p><p>新品<a href="https://brand.test/new">在这里</a> &amp; 更多</p>', template: 'summer-mail' })],
      at,
    );
    await tx.execute('DROP TABLE q');
  });
}

const state = async (store: Store, id: string) => (await store.query<{ s: string }>(`SELECT state || coalesce(': ' || reason, '') AS s FROM outbound_messages WHERE message_id = $1`, [id]))[0]?.s;

for (const backend of BACKENDS) {
  describe(`email through a real SMTP server on ${backend}`, () => {
    test('HTML with a text part and RFC 8058 headers; a 550 bounce makes the address unreachable; one-click unsubscribe withdraws consent once; the log and rates over HTTP', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 1 });
        configureMasterKey(store, { masterKey: randomBytes(32) });
        const app = await buildServerAs(store);
        try {
          await updateContactPolicy(store, { global_control_share: 0, caps: { email: {} } });
          const put = await app.inject({ method: 'PUT', url: '/v1/channels/email', payload: { provider: 'smtp', settings: { host: '127.0.0.1', port: sims.smtpPort, from: '思域品牌 <news@brand.test>', unsubscribe_url: 'https://siyu.brand.test/v1/unsubscribe' }, secrets: { user: 'u', pass: 'p' } } });
          assert.equal(put.statusCode, 200, put.body);
          assert.deepEqual(put.json().secretsSet, ['user', 'pass']);
          const bad = await app.inject({ method: 'PUT', url: '/v1/channels/email', payload: { provider: 'smtp', settings: { host: '127.0.0.1', from: 'x', unsubscribe_url: 'not a url' }, secrets: {} } });
          assert.equal(bad.statusCode, 400);
          assert.match(bad.body, /settings\.unsubscribe_url/);

          await store.insertRows('customers', ['customer_id', 'name', 'email', 'traits', 'created_at', 'updated_at'], [['e1', '小王', 'wang@example.test', '{}', NOON, NOON], ['b1', '小李', 'li@bounce.invalid', '{}', NOON, NOON]]);
          await addIdentities(store, [['e1', 'email', 'wang@example.test'], ['b1', 'email', 'li@bounce.invalid']]);
          await recordConsents(store, ['e1', 'b1'].map((customerId) => ({ customerId, purpose: 'email_marketing', status: 'granted' as const, source: 'test', effectiveAt: new Date(Date.now() - 3_600_000) })));
          await queueEmail(store, [['e1', 'm1'], ['b1', 'm2']]);
          const channels = await loadChannels(store);
          try {
            await dispatchDue(store, channels, { now: NOON });
            assert.equal(await state(store, 'm1'), 'handed_over');
            assert.match((await state(store, 'm2'))!, /^failed: bounced: 550/);
            assert.equal(sims.mails.length, 1);
            const raw = sims.mails[0]!.raw.replace(/\r\n[ \t]+/g, ' ');
            assert.match(raw, /Subject: =\?UTF-8\?/);
            assert.match(raw, /List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
            assert.match(raw, /X-Siyu-Message-Id: m1/i);
            assert.match(raw, /Content-Type: multipart\/alternative/);
            assert.match(raw, /Content-Type: text\/plain/);
            assert.match(raw, /Content-Type: text\/html/);
            const link = /List-Unsubscribe: <(https:\/\/siyu\.brand\.test\/v1\/unsubscribe\?token=[^>]+)>/.exec(raw)?.[1];
            assert.ok(link, 'an HTTPS one-click link');

            await pollChannels(store, channels);
            await queueEmail(store, [['b1', 'm3']], new Date(NOON.getTime() + 86_400_000));
            await dispatchDue(store, channels, { now: new Date(NOON.getTime() + 86_400_000) });
            assert.match((await state(store, 'm3'))!, /^skipped: unreachable on email: bounce: 550 .*5\.1\.1 mailbox does not exist$/);

            const token = new URL(link!.replace(/\s/g, '')).searchParams.get('token')!;
            const page = await app.inject({ method: 'GET', url: `/v1/unsubscribe?token=${token}`, headers: { authorization: '' } });
            assert.equal(page.statusCode, 200);
            assert.deepEqual((await checkConsent(store, 'email_marketing', ['e1'])).allowed, ['e1'], 'opening the page changes nothing');
            const click = () => app.inject({ method: 'POST', url: `/v1/unsubscribe?token=${token}`, headers: { authorization: '', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
            assert.deepEqual((await click()).json(), { unsubscribed: true, purpose: 'email_marketing', changed: true });
            assert.deepEqual((await click()).json(), { unsubscribed: true, purpose: 'email_marketing', changed: false }, 'a second click records nothing');
            assert.deepEqual((await checkConsent(store, 'email_marketing', ['e1'])).refused, ['e1']);
            const forged = await app.inject({ method: 'POST', url: `/v1/unsubscribe?token=${token.slice(0, -2)}xx`, headers: { authorization: '' } });
            assert.equal(forged.statusCode, 403);

            const log = (await app.inject({ method: 'GET', url: '/v1/customers/e1/messages' })).json();
            assert.deepEqual(log.messages.map((m: { messageId: string; template: string; journeyId: string }) => [m.messageId, m.template, m.journeyId]), [['m1', 'summer-mail', 'summer']]);
            assert.deepEqual(log.messages[0].history.map((h: { state: string }) => h.state), ['queued', 'sending', 'handed_over']);
            assert.match(log.messages[0].contentHash, /^[0-9a-f]{64}$/);
            const rates = (await app.inject({ method: 'GET', url: '/v1/messages/rates?by=journey' })).json();
            assert.deepEqual(rates.rates.map((r: { key: string; sent: number; failed: number; skipped: number }) => [r.key, r.sent, r.failed, r.skipped]), [['summer', 2, 1, 1]]);
          } finally {
            closeChannels(channels);
          }
        } finally {
          await app.close();
          await sims.stop();
        }
      }));
  });
}
