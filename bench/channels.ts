// Channels (issue #20): dispatch throughput from the outbox to the simulated SMS provider, the provider's rate limit
// held, and receipts applied. All on an in-memory DuckDB store, the simulators in this process.
// - dispatch: --messages transactional SMS (Aliyun SendBatchSms, 100 numbers a request, each with its own parameters)
//   dispatched until the outbox is empty; the floor is the same dispatch to a channel that answers at once (the
//   dispatcher and store alone), timed in the same run. Target ≥ 2,000 messages/s.
// - rate limit: --rate-requests requests at a configured --rate a second; the achieved rate must be within 5%.
// - receipts: --receipts delivered receipts applied to handed-over messages (matched by provider id). Target: 1M in
//   ≤ 60 s; the default size is smaller for the shared machine, and the 1M time is extrapolated (and labelled so).
// Usage: node --import tsx bench/channels.ts [--messages 20000] [--receipts 200000] [--rate 50] [--rate-requests 150] [--runs 3]
import { randomBytes } from 'node:crypto';
import { applyReceipts, closeChannels, configureSimulatedSms, dispatchDue, loadChannels, queueMessages, startProviderSimulators, type Channel, type Receipt } from '../src/channels/index.ts';
import { configureMasterKey } from '../src/privacy/index.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';

const messages = Number(arg('messages', '20000'));
const receipts = Number(arg('receipts', '200000'));
const rate = Number(arg('rate', '50'));
const rateRequests = Number(arg('rate-requests', '150'));
const runs = Number(arg('runs', '3'));
const NOW = new Date('2026-06-01T04:00:00Z');
const TEMPLATE = { name: 'shipped', code: 'SMS_100001', kind: 'notification' as const, body: '{name}，您的订单{order}已发货。', params: ['name', 'order'] };

async function fresh(): Promise<Store> {
  const store = await openStore(':memory:');
  await migrate(store);
  configureMasterKey(store, { masterKey: randomBytes(32) });
  await store.execute(`INSERT INTO customers (customer_id, name, phone, traits, created_at, updated_at) SELECT 'c' || i, '客户' || i, '+86138' || lpad(CAST(i AS VARCHAR), 8, '0'), '{}', $1, $1 FROM range(${messages}) t(i)`, [NOW]);
  await store.transaction((tx) =>
    queueMessages(
      tx,
      `SELECT 'c' || i AS customer_id, 'm' || i AS message_id, 'sms' AS channel, 'transactional' AS purpose, CAST(NULL AS TEXT) AS journey_id, CAST(NULL AS TEXT) AS instance_id, CAST(NULL AS TEXT) AS node, 50 AS priority,
              CAST('{"template":"shipped","params":{"name":"{{ customer.name }}","order":"{{ customer.id }}"}}' AS JSON) AS content, CAST(NULL AS JSON) AS context, CAST($1 AS TIMESTAMPTZ) AS due_at, CAST(NULL AS TIMESTAMPTZ) AS expires_at FROM range(${messages}) t(i)`,
      [NOW],
      NOW,
    ),
  );
  return store;
}

async function dispatchAll(store: Store, channels: readonly Channel[]): Promise<number> {
  const started = performance.now();
  for (;;) {
    const report = await dispatchDue(store, channels, { now: NOW, batchSize: 5000 });
    if (report.claimed === 0) break;
  }
  return (performance.now() - started) / 1000;
}

const instant: Channel = { name: 'sms', address: 'phone', batchSize: 1000, send: async (batch) => batch.map((m, i) => ({ messageId: m.messageId, outcome: 'accepted', providerId: `p${i}` })) };

const rows: { run: number; dispatchPerSecond: number; floorPerSecond: number; ratio: number; achievedRate: number; rateError: number; receiptsPerSecond: number }[] = [];
for (let run = 0; run < runs; run++) {
  const sims = await startProviderSimulators({ seed: run + 1, withMail: false, deliveryRate: 1 });
  try {
    const floorStore = await fresh();
    const floorSeconds = await dispatchAll(floorStore, [instant]);
    await floorStore.close();

    const store = await fresh();
    await configureSimulatedSms(store, sims, { provider: 'aliyun', templates: [TEMPLATE], ratePerSecond: 5000 });
    const channels = await loadChannels(store);
    const seconds = await dispatchAll(store, channels);
    const [sent] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM outbound_messages WHERE state = 'handed_over'`);
    if (Number(sent!.n) !== messages) throw new Error(`only ${sent!.n} of ${messages} handed over`);
    closeChannels(channels);

    // The configured rate, held: requests of one message each at `rate` a second.
    await configureSimulatedSms(store, sims, { provider: 'aliyun', name: 'paced', templates: [TEMPLATE], ratePerSecond: rate });
    const paced = (await loadChannels(store)).find((c) => c.name === 'paced')!;
    const pacedStart = performance.now();
    await Promise.all(Array.from({ length: rateRequests }, (_, i) => paced.send([{ messageId: `r${i}`, customerId: 'c0', to: '+8613800000000', body: '', template: 'shipped', params: { name: 'a', order: String(i) }, meta: {} }])));
    // n requests spaced 1/rate apart span (n - 1)/rate seconds.
    const achieved = (rateRequests - 1) / ((performance.now() - pacedStart) / 1000);
    await store.close();

    // Receipts: handed-over messages with provider ids, and a receipt for each.
    const rstore = await openStore(':memory:');
    await migrate(rstore);
    await rstore.execute(
      `INSERT INTO outbound_messages (customer_id, message_id, channel, purpose, priority, content, state, due_at, provider_id, created_at, sent_at, updated_at)
       SELECT 'c' || i, 'm' || i, 'sms', 'transactional', 50, CAST('{}' AS JSON), 'handed_over', $1, 'biz' || (i // 100) || ':138' || lpad(CAST(i AS VARCHAR), 8, '0'), $1, $1, $1 FROM range(${receipts}) t(i)`,
      [NOW],
    );
    const list: Receipt[] = Array.from({ length: receipts }, (_, i) => ({ providerId: `biz${Math.floor(i / 100)}:138${String(i).padStart(8, '0')}`, state: 'delivered', at: NOW }));
    const receiptStart = performance.now();
    const applied = await applyReceipts(rstore, 'sms', list, NOW);
    const receiptSeconds = (performance.now() - receiptStart) / 1000;
    if (applied !== receipts) throw new Error(`applied ${applied} of ${receipts} receipts`);
    await rstore.close();

    const row = { run: run + 1, dispatchPerSecond: messages / seconds, floorPerSecond: messages / floorSeconds, ratio: seconds / floorSeconds, achievedRate: achieved, rateError: Math.abs(achieved - rate) / rate, receiptsPerSecond: receipts / receiptSeconds };
    rows.push(row);
    process.stderr.write(`run ${run + 1}: ${row.dispatchPerSecond.toFixed(0)} msgs/s (floor ${row.floorPerSecond.toFixed(0)}), rate ${achieved.toFixed(1)}/${rate}, ${row.receiptsPerSecond.toFixed(0)} receipts/s\n`);
  } finally {
    await sims.stop();
  }
}

const med = (key: keyof (typeof rows)[number]) => median(rows.map((r) => r[key]));
const oneMillionSeconds = 1_000_000 / med('receiptsPerSecond');
printTable(
  `channels (medians of ${runs} runs; ${messages.toLocaleString()} messages, ${receipts.toLocaleString()} receipts)`,
  ['measure', 'result', 'target'],
  [
    ['dispatch to simulated Aliyun SMS, msgs/s', med('dispatchPerSecond'), '≥ 2,000'],
    ['floor: dispatch to an instant channel, msgs/s', med('floorPerSecond'), '-'],
    ['dispatch time / floor time', med('ratio'), '-'],
    [`rate limit held: achieved at ${rate}/s`, med('achievedRate'), `within 5% (${(med('rateError') * 100).toFixed(1)}%)`],
    ['receipts applied, per s', med('receiptsPerSecond'), '1M in ≤ 60 s'],
    [`1M receipts, s (${receipts >= 1_000_000 ? 'measured' : 'extrapolated'})`, oneMillionSeconds, '≤ 60'],
  ],
);
writeResult('channels', { messages, receipts, rate, runs, medians: { dispatchPerSecond: med('dispatchPerSecond'), floorPerSecond: med('floorPerSecond'), ratio: med('ratio'), achievedRate: med('achievedRate'), rateError: med('rateError'), receiptsPerSecond: med('receiptsPerSecond'), oneMillionReceiptsSeconds: oneMillionSeconds }, runsDetail: rows });
