import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { closeChannels, dispatchDue, loadChannels, pollChannels, queueMessages, recordSubscriptions, SIMULATOR_CREDENTIALS, startProviderSimulators, updateContactPolicy, upsertChannel, upsertChannelTemplate, wecomEncrypt, wecomSignature, type Channel } from '../../src/channels/index.ts';
import { configureMasterKey, recordConsents } from '../../src/privacy/index.ts';
import type { Store } from '../../src/store/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const NOON = new Date('2026-06-01T04:00:00Z');
const AES_KEY = randomBytes(32).toString('base64').slice(0, 43);
const TOKEN = 'cbtoken';

async function queue(store: Store, rows: [customer: string, id: string][], at: Date) {
  await store.transaction(async (tx) => {
    await tx.execute('CREATE TEMP TABLE q (customer_id TEXT, message_id TEXT)');
    await tx.insertRows('q', ['customer_id', 'message_id'], rows);
    await queueMessages(
      tx,
      `SELECT customer_id, message_id, 'wecom' AS channel, 'marketing' AS purpose, CAST(NULL AS TEXT) AS journey_id, CAST(NULL AS TEXT) AS instance_id, CAST(NULL AS TEXT) AS node, 50 AS priority,
              CAST('{"body":"夏季新品到店"}' AS JSON) AS content, CAST(NULL AS JSON) AS context, CAST($1 AS TIMESTAMPTZ) AS due_at, CAST(NULL AS TIMESTAMPTZ) AS expires_at FROM q`,
      [at],
      at,
    );
    await tx.execute('DROP TABLE q');
  });
}

const state = async (store: Store, id: string) => (await store.query<{ s: string }>(`SELECT state || coalesce(': ' || reason, '') AS s FROM outbound_messages WHERE message_id = $1`, [id]))[0]?.s;

/** A WeCom callback as the platform posts it: the event XML encrypted and signed. */
function callback(event: string, timestamp = Math.floor(Date.now() / 1000)) {
  const encrypt = wecomEncrypt(AES_KEY, event, SIMULATOR_CREDENTIALS.wecom.corp_id);
  const nonce = String(Math.floor(Math.random() * 1e9));
  return { url: `/v1/channels/wecom/wecom?msg_signature=${wecomSignature(TOKEN, String(timestamp), nonce, encrypt)}&timestamp=${timestamp}&nonce=${nonce}`, payload: `<xml><ToUserName><![CDATA[${SIMULATOR_CREDENTIALS.wecom.corp_id}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>` };
}
const contactEvent = (change: string, ext: string, created: number, welcome = '') =>
  `<xml><ToUserName><![CDATA[wwsimulated]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${created}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[${change}]]></ChangeType><UserID><![CDATA[staff1]]></UserID><ExternalUserID><![CDATA[${ext}]]></ExternalUserID>${welcome ? `<WelcomeCode><![CDATA[${welcome}]]></WelcomeCode>` : ''}</xml>`;

for (const backend of BACKENDS) {
  describe(`WeCom and mini-program channels through their simulators on ${backend}`, () => {
    test('mass sends are reconciled from the send results once confirmed; a token expiring early is refetched; callbacks are verified, applied once, and welcome once', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 5, withMail: false });
        configureMasterKey(store, { masterKey: randomBytes(32) });
        const app = await buildServerAs(store);
        let channels: Channel[] = [];
        try {
          await updateContactPolicy(store, { global_control_share: 0, caps: { wecom: {} } });
          await upsertChannel(store, { name: 'wecom', provider: 'wecom', settings: { endpoint: `${sims.url}/wecom`, corp_id: SIMULATOR_CREDENTIALS.wecom.corp_id, sender: 'staff1', welcome_text: '欢迎！' }, secrets: { secret: SIMULATOR_CREDENTIALS.wecom.secret, callback_token: TOKEN, encoding_aes_key: AES_KEY } });
          await store.insertRows('customers', ['customer_id', 'name', 'traits', 'created_at', 'updated_at'], [['w1', 'a', '{}', NOON, NOON], ['w2', 'b', '{}', NOON, NOON]]);
          await store.insertRows('identities', ['type', 'value', 'customer_id', 'created_at'], [['external_userid', 'ext1', 'w1', NOON], ['external_userid', 'ext2', 'w2', NOON]]);
          await recordConsents(store, ['w1', 'w2'].map((customerId) => ({ customerId, purpose: 'wecom_message', status: 'granted' as const, source: 'test', effectiveAt: NOON })));
          sims.wechat.directory.addContact('staff1', { external_userid: 'ext1', name: '王芳' });
          sims.wechat.directory.addContact('staff1', { external_userid: 'ext2', name: '李伟' });
          channels = await loadChannels(store);

          await queue(store, [['w1', 'm1'], ['w2', 'm2']], NOON);
          await dispatchDue(store, channels, { now: NOON });
          assert.deepEqual([await state(store, 'm1'), await state(store, 'm2')], ['handed_over', 'handed_over']);
          assert.equal(sims.wechat.massSends.length, 1, 'one task for the same text');
          const { msgid } = sims.wechat.massSends[0]!;
          await pollChannels(store, channels);
          assert.equal(await state(store, 'm1'), 'handed_over', 'nothing is sent until the member confirms');
          sims.wechat.contacts.get('staff1')!.delete('ext2');
          sims.wechat.confirm(msgid);
          await pollChannels(store, channels);
          assert.deepEqual([await state(store, 'm1'), await state(store, 'm2')], ['delivered', 'failed: not a contact of the sender (客户不是好友)']);

          const fetched = sims.wechat.tokenFetches;
          sims.wechat.expireTokens();
          sims.wechat.contacts.get('staff1')!.add('ext2');
          const day2 = new Date(NOON.getTime() + 86_400_000);
          await queue(store, [['w1', 'm3'], ['w2', 'm5']], day2);
          await dispatchDue(store, channels, { now: day2 });
          assert.equal(await state(store, 'm3'), 'handed_over', 'sent with a fresh token');
          assert.equal(sims.wechat.tokenFetches, fetched + 1, 'the token that expired early was fetched once more');
          assert.equal(await state(store, 'm5'), 'skipped: unreachable on wecom: contact_deleted: not a contact of the sender', 'the failed send marked them unreachable');

          const now = Math.floor(Date.now() / 1000);
          sims.wechat.directory.removeContact('staff1', 'ext1');
          const del = callback(contactEvent('del_follow_user', 'ext1', now));
          const post = (c: { url: string; payload: string }) => app.inject({ method: 'POST', url: c.url, payload: c.payload, headers: { authorization: '', 'content-type': 'text/xml' } });
          assert.equal((await post(del)).body, 'success');
          assert.equal((await post(del)).body, 'success', 'a repeat is acknowledged');
          assert.equal((await store.query(`SELECT * FROM channel_events WHERE kind = 'directory_changed' AND customer_id = 'w1'`)).length, 1, 'and processed once');
          await queue(store, [['w1', 'm4']], new Date(NOON.getTime() + 2 * 86_400_000));
          await dispatchDue(store, channels, { now: new Date(NOON.getTime() + 2 * 86_400_000) });
          assert.equal(await state(store, 'm4'), 'skipped: unreachable on wecom: callback change_external_contact/del_follow_user: not a contact of any member');

          assert.equal((await post({ ...del, url: del.url.replace(/msg_signature=[0-9a-f]+/, 'msg_signature=' + '0'.repeat(40)) })).statusCode, 403, 'forged');
          assert.equal((await post(callback(contactEvent('del_follow_user', 'ext1', now), now - 3600))).statusCode, 403, 'stale');

          sims.wechat.directory.addContact('staff1', { external_userid: 'ext1', name: '王芳' });
          const code = sims.wechat.issueWelcomeCode();
          const add = callback(contactEvent('add_external_contact', 'ext1', now + 1, code));
          await post(add);
          await post(add);
          assert.deepEqual(sims.wechat.welcomes.map((w) => w.content), ['欢迎！'], 'welcomed once');
          assert.deepEqual(await store.query(`SELECT is_reachable FROM channel_reachability WHERE customer_id = 'w1'`), [{ is_reachable: true }]);

          const echo = wecomEncrypt(AES_KEY, '1616140317555161061', SIMULATOR_CREDENTIALS.wecom.corp_id);
          const verify = await app.inject({ method: 'GET', url: `/v1/channels/wecom/wecom?msg_signature=${wecomSignature(TOKEN, String(now), '1', echo)}&timestamp=${now}&nonce=1&echostr=${encodeURIComponent(echo)}`, headers: { authorization: '' } });
          assert.equal(verify.body, '1616140317555161061');
        } finally {
          closeChannels(channels);
          await app.close();
          await sims.stop();
        }
      }));

    test('mini-program sends spend one subscription credit each; none left refuses; 43101 zeroes the credits', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 5, withMail: false });
        configureMasterKey(store, { masterKey: randomBytes(32) });
        try {
          await upsertChannel(store, { name: 'miniprogram', provider: 'miniprogram', settings: { endpoint: `${sims.url}/weixin`, app_id: SIMULATOR_CREDENTIALS.miniprogram.app_id }, secrets: { app_secret: SIMULATOR_CREDENTIALS.miniprogram.app_secret } });
          await upsertChannelTemplate(store, { channel: 'miniprogram', name: 'order', provider_code: 'TPL_order', kind: 'notification', body: '订单{thing1}', params: ['thing1'] });
          await store.insertRows('customers', ['customer_id', 'name', 'traits', 'created_at', 'updated_at'], [['c1', 'a', '{}', NOON, NOON]]);
          await store.insertRows('identities', ['type', 'value', 'customer_id', 'created_at'], [['openid:wxsimulated', 'o1', 'c1', NOON]]);
          const channels = await loadChannels(store);
          const mp = channels.find((c) => c.name === 'miniprogram')!;
          const send = async (id: string) => (await mp.send([{ messageId: id, customerId: 'c1', to: 'o1', body: '', template: 'order', params: { thing1: '已发货' }, meta: {} }]))[0]!;
          const credits = async () => Number((await store.query<{ credits: number }>(`SELECT credits FROM subscription_credits WHERE openid = 'o1'`))[0]?.credits ?? 0);
          assert.match(JSON.stringify(await send('a')), /no subscription credit/);
          assert.deepEqual(await recordSubscriptions(store, [{ openid: 'o1', templateId: 'TPL_order', result: 'accept' }, { openid: 'o1', templateId: 'TPL_order', result: 'accept' }, { openid: 'nobody', templateId: 'TPL_order', result: 'accept' }]), { recorded: 2, unmatched: ['nobody'] });
          assert.equal((await send('b')).outcome, 'delivered');
          assert.equal(await credits(), 1);
          sims.wechat.refused.add('o1');
          assert.match(JSON.stringify(await send('c')), /43101/);
          assert.equal(await credits(), 0);
          assert.equal(sims.wechat.subscribeSends.length, 1);
          closeChannels(channels);
        } finally {
          await sims.stop();
        }
      }));
  });
}
