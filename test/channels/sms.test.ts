import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  closeChannels,
  configureSimulatedSms,
  deleteChannel,
  dispatchDue,
  listChannels,
  loadChannels,
  pollChannels,
  pushToken,
  queueMessages,
  readChannelSetups,
  receiveAliyunPush,
  startProviderSimulators,
  tencentSmsChannel,
  updateContactPolicy,
  upsertChannelTemplate,
  type Channel,
  type ProviderSimulators,
} from '../../src/channels/index.ts';
import { checkConsent, configureMasterKey, recordConsents } from '../../src/privacy/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { webhookReceiver } from '../helpers/channels.ts';
import { addIdentities } from '../helpers/pii.ts';

const NOON = new Date('2026-06-01T04:00:00Z'); // 12:00 in Shanghai
const PROMO = { name: 'promo', code: 'SMS_900001', kind: 'marketing' as const, body: '{name}，夏季新品到店，会员专享9折。拒收请回复R', params: ['name'] };
const NOTICE = { name: 'shipped', code: 'SMS_900002', kind: 'notification' as const, body: '{name}，您的订单已发货，' + '物流信息请在小程序查看。'.repeat(6), params: ['name'] };

async function setUp(store: Store, sims: ProviderSimulators, provider: 'aliyun' | 'tencent') {
  configureMasterKey(store, { masterKey: randomBytes(32) });
  await updateContactPolicy(store, { global_control_share: 0 });
  await configureSimulatedSms(store, sims, { provider, templates: [PROMO, NOTICE] });
  await store.insertRows(
    'customers',
    ['customer_id', 'name', 'phone', 'traits', 'created_at', 'updated_at'],
    [['a', '客户a', '+8613800000001', '{}', NOON, NOON], ['b', '客户b', '+8613800000002', '{}', NOON, NOON], ['c', '客户c', '13800000003', '{}', NOON, NOON], ['d', '客户d', '+86123', '{}', NOON, NOON]],
  );
  // Replies find their customer by the phone's identity, as ingest and import store it.
  await addIdentities(store, [['a', 'phone', '+8613800000001'], ['b', 'phone', '+8613800000002'], ['c', 'phone', '+8613800000003']]);
  // Decided an hour ago: replies carry the provider's time, to the second.
  const effectiveAt = new Date(Date.now() - 3_600_000);
  await recordConsents(store, [
    { customerId: 'a', purpose: 'sms_marketing', status: 'granted', source: 'test', effectiveAt },
    { customerId: 'c', purpose: 'sms_marketing', status: 'withdrawn', source: 'test', effectiveAt },
    { customerId: 'd', purpose: 'sms_marketing', status: 'granted', source: 'test', effectiveAt },
  ]);
}

/** Queues one SMS per [customer, message id, template, purpose]. */
async function queue(store: Store, rows: [string, string, string, string][], at = NOON) {
  await store.transaction(async (tx) => {
    await tx.execute('CREATE TEMP TABLE q (customer_id TEXT, message_id TEXT, purpose TEXT, content TEXT)');
    await tx.insertRows('q', ['customer_id', 'message_id', 'purpose', 'content'], rows.map(([c, id, template, purpose]) => [c, id, purpose, JSON.stringify({ template, params: { name: '{{ customer.name }}' } })]));
    await queueMessages(
      tx,
      `SELECT customer_id, message_id, 'sms' AS channel, purpose, CAST(NULL AS TEXT) AS journey_id, CAST(NULL AS TEXT) AS instance_id, CAST(NULL AS TEXT) AS node,
              50 AS priority, CAST(content AS JSON) AS content, CAST(NULL AS JSON) AS context, CAST($1 AS TIMESTAMPTZ) AS due_at, CAST(NULL AS TIMESTAMPTZ) AS expires_at FROM q`,
      [at],
      at,
    );
    await tx.execute('DROP TABLE q');
  });
}

async function states(store: Store): Promise<Record<string, string>> {
  const rows = await store.query<{ message_id: string; state: string; reason: string | null }>('SELECT message_id, state, reason FROM outbound_messages ORDER BY message_id');
  return Object.fromEntries(rows.map((r) => [r.message_id, `${r.state}${r.reason ? `: ${r.reason}` : ''}`]));
}

/** Receipts and replies: Aliyun pushes them (to a recording endpoint here, handed on as the route would), Tencent's are pulled. */
async function collectFeedback(store: Store, sims: ProviderSimulators, provider: 'aliyun' | 'tencent', channels: readonly Channel[], pushes: { body: string; headers: Record<string, unknown> }[], act: () => Promise<unknown>) {
  pushes.length = 0;
  await act();
  if (provider === 'tencent') return pollChannels(store, channels);
  const setup = (await readChannelSetups(store)).find((s) => s.name === 'sms')!;
  for (const push of pushes) {
    const body = JSON.parse(push.body) as Record<string, unknown>[];
    await receiveAliyunPush(store, 'sms', pushToken(setup), 'content' in (body[0] ?? {}) ? 'up' : 'report', body);
  }
  return undefined;
}

for (const backend of BACKENDS) {
  for (const provider of ['aliyun', 'tencent'] as const) {
    describe(`${provider} SMS through its simulator on ${backend}`, () => {
      let sims: ProviderSimulators;
      let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
      before(async () => {
        sims = await startProviderSimulators({ seed: 7, deliveryRate: 1, withMail: false });
        receiver = await webhookReceiver();
        sims.sms.pushTo({ report: receiver.url, up: receiver.url });
      });
      after(async () => {
        await sims.stop();
        await receiver.close();
      });

      test('marketing needs consent; sent messages carry provider ids and cost; receipts deliver them; an R reply withdraws consent once', () =>
        withStore(backend, async (store) => {
          await setUp(store, sims, provider);
          const channels = await loadChannels(store);
          try {
            await queue(store, [['a', 'a1', 'promo', 'marketing'], ['b', 'b1', 'promo', 'marketing'], ['c', 'c1', 'promo', 'marketing'], ['d', 'd1', 'promo', 'marketing'], ['b', 'b2', 'shipped', 'transactional']]);
            const report = await dispatchDue(store, channels, { now: NOON });
            assert.deepEqual([report.sent, report.skipped, report.failed], [2, 2, 1]);
            const s = await states(store);
            assert.equal(s.a1, 'handed_over');
            assert.equal(s.b1, 'skipped: no consent for sms_marketing', 'opt-in: never asked means no');
            assert.equal(s.c1, 'skipped: no consent for sms_marketing');
            assert.match(s.d1!, /^failed: not a phone number/);
            assert.equal(s.b2, 'handed_over', 'transactional needs no marketing consent');
            const sent = sims.sms.sent.slice(-2);
            assert.deepEqual(sent.map((m) => m.phone).sort(), provider === 'aliyun' ? ['13800000001', '13800000002'] : ['+8613800000001', '+8613800000002']);
            const costs = await store.query<{ message_id: string; cost_fen: number | bigint; provider_id: string }>(`SELECT message_id, cost_fen, provider_id FROM outbound_messages WHERE state = 'handed_over' ORDER BY message_id`);
            // 【思域演示】 and the promotion fit in 70 characters; the long notice is split into parts of 67.
            assert.deepEqual(costs.map((c) => [c.message_id, Number(c.cost_fen)]), [['a1', 4], ['b2', 8]]);
            assert.ok(costs.every((c) => sent.some((m) => m.id === c.provider_id)), 'provider ids are the ones the provider gave');

            await collectFeedback(store, sims, provider, channels, receiver.received as never, () => sims.sms.releaseReceipts());
            assert.deepEqual([(await states(store)).a1, (await states(store)).b2], ['delivered', 'delivered']);

            await collectFeedback(store, sims, provider, channels, receiver.received as never, async () => {
              await sims.sms.reply(provider, '+8613800000001', 'R');
              await sims.sms.reply(provider, '+8613800000001', 'R', new Date(Date.now() - 1000));
            });
            assert.deepEqual((await checkConsent(store, 'sms_marketing', ['a'])).refused, ['a'], 'withdrawn by the reply');
            const entries = await store.query<{ source: string }>(`SELECT source FROM consent_entries WHERE customer_id = 'a' AND purpose = 'sms_marketing' ORDER BY effective_at`);
            assert.deepEqual(entries.map((e) => e.source), ['test', 'reply:sms'], 'two replies, one withdrawal');

            await queue(store, [['a', 'a2', 'promo', 'marketing']], new Date(NOON.getTime() + 2 * 86_400_000));
            await dispatchDue(store, channels, { now: new Date(NOON.getTime() + 2 * 86_400_000) });
            assert.equal((await states(store)).a2, 'skipped: no consent for sms_marketing');
          } finally {
            closeChannels(channels);
          }
        }));
    });
  }

  describe(`SMS providers that misbehave on ${backend}`, () => {
    test('busy is retried later, garbage and timeouts are unknown (never resent), bad credentials are final, and rate limits hold', () =>
      withStore(backend, async (store) => {
        const cases: [string, Parameters<typeof startProviderSimulators>[0], string, number?][] = [
          ['busy', { failureRate: 1 }, 'deferred: ServiceUnavailable'],
          ['garbage', { garbageRate: 1 }, 'unknown: no usable answer: HTTP 502'],
          ['slow', { delayMs: 400 }, 'unknown: no answer within the timeout', 100],
        ];
        configureMasterKey(store, { masterKey: randomBytes(32) });
        await updateContactPolicy(store, { global_control_share: 0 });
        await store.insertRows('customers', ['customer_id', 'name', 'phone', 'traits', 'created_at', 'updated_at'], [['a', '客户a', '+8613800000001', '{}', NOON, NOON]]);
        for (const [label, misbehaviour, expected, timeoutMs] of cases) {
          const sims = await startProviderSimulators({ seed: 3, withMail: false, ...misbehaviour });
          try {
            await configureSimulatedSms(store, sims, { provider: 'aliyun', templates: [NOTICE] });
            const channels = await loadChannels(store, { timeoutMs: timeoutMs ?? 5000 });
            await queue(store, [['a', label, 'shipped', 'transactional']]);
            await dispatchDue(store, channels, { now: NOON });
            assert.ok((await states(store))[label]!.startsWith(expected), `${label}: ${(await states(store))[label]}`);
            const before = sims.sms.sent.length;
            await dispatchDue(store, channels, { now: new Date(NOON.getTime() + 60_000) });
            if (label !== 'busy') assert.equal(sims.sms.sent.length, before, `${label}: not sent again`);
            closeChannels(channels);
          } finally {
            await sims.stop();
          }
        }

        const sims = await startProviderSimulators({ seed: 3, withMail: false, ratePerSecond: 5 });
        try {
          await configureSimulatedSms(store, sims, { provider: 'tencent', templates: [NOTICE], ratePerSecond: 5 });
          const [setup] = (await readChannelSetups(store)).filter((s) => s.name === 'sms');
          const wrong = tencentSmsChannel('sms', { ...(setup as never as Parameters<typeof tencentSmsChannel>[1]), secrets: { secret_id: 'AKIDsimulated', secret_key: 'not-it' } }, [{ channel: 'sms', name: 'shipped', providerCode: NOTICE.code, kind: 'notification', body: NOTICE.body, params: ['name'] }]);
          const [refused] = await wrong.send([{ messageId: 'x', customerId: 'a', to: '+8613800000001', body: '', template: 'shipped', params: { name: 'a' }, meta: {} }]);
          assert.deepEqual(refused, { messageId: 'x', outcome: 'rejected', reason: 'AuthFailure.SignatureFailure: The provided credentials could not be validated.' });

          const channels = await loadChannels(store);
          const sms = channels.find((c) => c.name === 'sms')!;
          const started = performance.now();
          const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => sms.send([{ messageId: `r${i}`, customerId: 'a', to: '+8613800000001', body: '', template: 'shipped', params: { name: `n${i}` }, meta: {} }])));
          const seconds = (performance.now() - started) / 1000;
          assert.ok(outcomes.flat().every((o) => o.outcome === 'accepted'), 'paced to the limit, none refused');
          assert.ok(seconds >= 2, `12 requests at 5 a second take over 2 s, not ${seconds.toFixed(2)}`);
          closeChannels(channels);
        } finally {
          await sims.stop();
        }
      }));

    test('a marketing SMS template without 拒收请回复R is refused, by the registry and by the provider', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 3, withMail: false, templates: { SMS_1: { body: '夏季新品9折', kind: 'marketing' } } });
        try {
          configureMasterKey(store, { masterKey: randomBytes(32) });
          await configureSimulatedSms(store, sims, { provider: 'tencent' });
          await assert.rejects(upsertChannelTemplate(store, { channel: 'sms', name: 'bad', provider_code: 'SMS_1', kind: 'marketing', body: '夏季新品9折', params: [] }), /body: a marketing SMS template must end with 拒收请回复R/);
          const [setup] = await readChannelSetups(store);
          const channel = tencentSmsChannel('sms', setup as never, [{ channel: 'sms', name: 'bad', providerCode: 'SMS_1', kind: 'marketing', body: '夏季新品9折', params: [] }]);
          const [outcome] = await channel.send([{ messageId: 'm', customerId: 'a', to: '+8613800000001', body: '', template: 'bad', params: {}, meta: {} }]);
          assert.equal(outcome?.outcome, 'rejected');
          assert.match((outcome as { reason: string }).reason, /MarketingTemplateWithoutUnsubscribe/);
        } finally {
          await sims.stop();
        }
      }));

    test('credentials are stored encrypted, listed by name only, and removed with the channel', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 3, withMail: false });
        try {
          configureMasterKey(store, { masterKey: randomBytes(32) });
          await configureSimulatedSms(store, sims, { provider: 'aliyun', templates: [PROMO] });
          const [raw] = await store.query<{ secrets: string }>('SELECT secrets FROM channel_configs');
          assert.ok(raw!.secrets.startsWith('e1:') && !raw!.secrets.includes('simulated-aliyun-secret'), 'sealed at rest');
          const [listed] = await listChannels(store);
          assert.deepEqual([listed!.name, listed!.provider, listed!.secretsSet], ['sms', 'aliyun_sms', ['access_key_id', 'access_key_secret']]);
          assert.ok(!JSON.stringify(listed).includes('simulated-aliyun-secret'));
          await deleteChannel(store, 'sms');
          assert.deepEqual([await listChannels(store), (await store.query('SELECT * FROM channel_templates')).length], [[], 0]);
        } finally {
          await sims.stop();
        }
      }));
  });
}
