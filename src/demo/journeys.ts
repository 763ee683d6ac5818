import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  closeChannels,
  configureSimulatedSms,
  dispatchDue,
  loadChannels,
  pollChannels,
  startProviderSimulators,
  updateContactPolicy,
  webhookChannel,
  webhookSecret,
  type Channel,
  type DemoSmsTemplate,
  type ProviderSimulators,
} from '../channels/index.ts';
import { Random } from '../core/random.ts';
import { drainInbox, ingestMessages, IngestWriter } from '../ingest/index.ts';
import { journeyReport, publishJourney, runJourneys, saveJourneyDraft, type JourneyDefinitionInput, type JourneyReport } from '../journey/index.ts';
import { computeLayers } from '../segment/index.ts';
import type { Store } from '../store/index.ts';

/**
 * The demo brand's three journeys run for N simulated days through the real engine, contact policy, dispatcher and a
 * channel, with customers whose response is drawn from known effects (the ground truth), so the reported uplift can be
 * checked against the truth: each entrant buys within the goal window with a baseline probability, raised by the
 * journey's effect (per arm) once a message has been delivered to them.
 */
export const JOURNEY_TRUTH = {
  welcome: { baseline: 0.2, effect: { treated: 0.08 } },
  cart: { baseline: 0.1, effect: { treated: 0.1 }, buysWithinTheHour: 0.2 },
  'win-back': { baseline: 0.06, effect: { 'variant A': 0.04, 'variant B': 0.08 } },
} as const;
export type DemoJourney = keyof typeof JOURNEY_TRUTH;

const DAY = 86_400_000;
const HOUR = 3_600_000;
const GOAL_DAYS = 30;

/** The win-back wordings A and B: marketing SMS templates, each with the unsubscribe text carriers require. */
export const WINBACK_SMS: readonly [DemoSmsTemplate, DemoSmsTemplate] = [
  { name: 'winback_a', code: 'SMS_DEMO_WINBACK_A', kind: 'marketing', body: '{name}，好久不见，新品已上架，回来看看吧。拒收请回复R', params: ['name'] },
  { name: 'winback_b', code: 'SMS_DEMO_WINBACK_B', kind: 'marketing', body: '{name}，我们想念您！专属回归礼已放入账户，7 天内有效。拒收请回复R', params: ['name'] },
];

/**
 * The three journeys: the welcome and the cart reminder go to `url` (a webhook for the brand's own messaging), the
 * win-back by marketing SMS through the channel `sms`.
 */
export function demoJourneys(url: string): { id: DemoJourney; name: string; description: string; definition: JourneyDefinitionInput }[] {
  const goal = { event: 'Order Completed', within_days: GOAL_DAYS };
  return [
    {
      id: 'welcome',
      name: '新会员欢迎',
      description: 'welcome new members with an offer on their first order',
      definition: {
        entry: { kind: 'event', event: 'Signed Up' },
        holdout: 0.1,
        goal,
        start: 'hello',
        nodes: { hello: { kind: 'webhook', url, next: 'done' }, done: { kind: 'exit' } },
      },
    },
    {
      id: 'cart',
      name: '加购未下单提醒',
      description: 'a product added and no order within the hour: remind with the product and recommendations',
      definition: {
        entry: { kind: 'event', event: 'Product Added' },
        // Once per customer: a later pass would count the purchases the first one caused toward its own goal.
        reentry: { kind: 'once' },
        holdout: 0.1,
        goal,
        start: 'wait_order',
        nodes: {
          wait_order: { kind: 'wait_for_event', event: 'Order Completed', timeout: '1h', on_event: 'done', on_timeout: 'remind' },
          remind: { kind: 'webhook', url, next: 'done' },
          done: { kind: 'exit' },
        },
      },
    },
    {
      id: 'win-back',
      name: '沉睡唤醒',
      description: 'customers who went dormant: wording A or B, 10% held out',
      definition: {
        entry: { kind: 'event', event: 'Stage Changed', where: [{ property: 'to', op: '=', value: 'dormant' }] },
        reentry: { kind: 'after_exit' },
        holdout: 0.1,
        goal,
        start: 'wording',
        nodes: {
          wording: { kind: 'split', variants: [{ name: 'A', weight: 1, next: 'send_a' }, { name: 'B', weight: 1, next: 'send_b' }] },
          // Marketing SMS through the channel `sms` (in the demo, the simulated Tencent Cloud SMS): consent, caps and
          // quiet hours apply, and delivery is known from the provider's receipts.
          send_a: { kind: 'message', channel: 'sms', content: { body: WINBACK_SMS[0].body, template: WINBACK_SMS[0].name, params: { name: '{{ customer.name }}' } }, next: 'done' },
          send_b: { kind: 'message', channel: 'sms', content: { body: WINBACK_SMS[1].body, template: WINBACK_SMS[1].name, params: { name: '{{ customer.name }}' } }, next: 'done' },
          done: { kind: 'exit' },
        },
      },
    },
  ];
}

export interface JourneyDemoOptions {
  days: number;
  seed: number;
  /** New members signing up per day, and customers adding a product to their cart per day. */
  signupsPerDay?: number;
  cartsPerDay?: number;
  onDay?: (day: number) => void;
}

export interface JourneyDemoResult {
  start: Date;
  end: Date;
  reports: JourneyReport[];
  /** Per journey and arm, the true effect of being in the arm: the message's effect times the share of the arm it was delivered to. */
  truth: Record<DemoJourney, Record<string, { messageEffect: number; delivered: number; customers: number; armEffect: number }>>;
  /** Messages that reached their recipient: webhooks the receiver got, and SMS the provider's receipts say delivered. */
  messages: number;
  /** Journey messages delivered, by channel, as the message log has them. */
  byChannel: Record<string, number>;
}

/**
 * Runs the journeys for `days` simulated days after the store's latest order, with a local receiver for the webhooks
 * and the SMS channel `sms` set up on provider simulators (`options.simulators`, or ones started here and stopped
 * after): the messages go through the real Tencent Cloud SMS adapter, and their receipts are pulled at each step.
 */
export async function runJourneyDemo(store: Store, options: JourneyDemoOptions & { simulators?: ProviderSimulators }): Promise<JourneyDemoResult> {
  const simulators = options.simulators ?? (await startProviderSimulators({ seed: options.seed, withMail: false, receiptDelayMs: 0 }));
  await configureSimulatedSms(store, simulators, { provider: 'tencent', templates: WINBACK_SMS });
  try {
    return await runWithReceiver(store, options);
  } finally {
    if (!options.simulators) await simulators.stop();
  }
}

async function runWithReceiver(store: Store, options: JourneyDemoOptions): Promise<JourneyDemoResult> {
  const received: string[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received.push(String(request.headers['webhook-id']));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/messages`;
    // The webhook channel may reach the local receiver; the others as configured (the simulated SMS).
    const configured = (await loadChannels(store)).filter((c) => c.name !== 'webhook');
    try {
      return await simulate(store, options, url, [webhookChannel({ secret: await webhookSecret(store), allowPrivateNetworks: true }), ...configured], received);
    } finally {
      closeChannels(configured);
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function simulate(store: Store, options: JourneyDemoOptions, url: string, channels: Channel[], received: string[]): Promise<JourneyDemoResult> {
  const random = new Random(options.seed);
  const [{ latest }] = (await store.query<{ latest: Date }>('SELECT max(placed_at) AS latest FROM orders')) as [{ latest: Date }];
  // Day 0 starts at 00:00 UTC after the last order (08:00 in Shanghai); the clock moves in steps of a few hours.
  const start = new Date(Math.floor(new Date(latest).getTime() / DAY) * DAY + DAY);
  const writer = new IngestWriter(store);
  const send = async (messages: Record<string, unknown>[]) => {
    if (messages.length === 0) return;
    await ingestMessages(writer, messages, { source: 'demo' });
    await drainInbox(store, 10_000);
  };
  // No global control group in the demo: each journey's own holdout is what its uplift is measured against. The
  // win-back SMS is marketing, so consent, caps and quiet hours still apply to it (the clock's steps are at 08:00,
  // 13:00 and 20:00 in Shanghai, outside the default quiet hours).
  await updateContactPolicy(store, { global_control_share: 0 }, 'demo');
  for (const journey of demoJourneys(url)) {
    await saveJourneyDraft(store, journey, { now: start, actor: 'demo' });
    await publishJourney(store, journey.id, { now: start, actor: 'demo' });
  }
  // The layers as of the day before the first: who is dormant then is known before carts are drawn.
  await computeLayers(store, { asOf: new Date(start.getTime() - DAY).toISOString().slice(0, 10) });
  // Carts come from customers buying now who cannot turn dormant before the simulation ends (each adds to a cart once),
  // win-back entrants from those who stopped: the two journeys' customers never meet, so one journey's purchases never
  // count toward the other's goal, and each keeps its own true effect.
  const customers = (
    await store.query<{ customer_id: string }>(
      `SELECT c.customer_id FROM customers c JOIN lifecycle_stages s ON s.customer_id = c.customer_id WHERE c.merged_into IS NULL AND s.stage IN ('active', 'repeat', 'reactivated')
         AND s.dormant_days - s.recency_days > $1 ORDER BY c.customer_id`,
      [options.days + 7],
    )
  ).map((r) => r.customer_id);
  const products = await store.query<{ sku: string; name: string; price_fen: number }>('SELECT sku, name, price_fen FROM products WHERE price_fen IS NOT NULL ORDER BY sku');
  const planned: { at: Date; customer: string }[] = [];
  const decided = new Set<string>();
  const order = (customer: string, at: Date, n: number) => {
    const product = products[random.int(0, products.length - 1)]!;
    const price = Number(product.price_fen) / 100;
    return { type: 'track', userId: customer, event: 'Order Completed', messageId: `demo-order-${customer}-${at.getTime()}-${n}`, timestamp: at.toISOString(), properties: { order_id: `DJ-${customer}-${at.getTime()}-${n}`, total: price, currency: 'CNY', products: [{ product_id: product.sku, name: product.name, price, quantity: 1 }] } };
  };
  let signups = 0;
  const ticks = [0, 5, 12]; // hours after 00:00 UTC: 08:00, 13:00 and 20:00 in Shanghai
  let lastTick = new Date(0);
  for (let day = 0; day < options.days; day++) {
    const dayStart = new Date(start.getTime() + day * DAY);
    const events: Record<string, unknown>[] = [];
    for (let i = 0; i < (options.signupsPerDay ?? 50); i++) {
      const id = `DJ${String(++signups).padStart(6, '0')}`;
      const at = new Date(dayStart.getTime() + random.next() * 12 * HOUR);
      events.push({ type: 'identify', userId: id, traits: { name: `新会员${signups}`, phone: `+86139${String(10_000_000 + signups).slice(-8)}` }, timestamp: at.toISOString(), messageId: `demo-id-${id}` });
      events.push({ type: 'track', userId: id, event: 'Signed Up', timestamp: at.toISOString(), messageId: `demo-signup-${id}` });
    }
    for (let i = 0; i < (options.cartsPerDay ?? 100) && customers.length > 0; i++) {
      const customer = customers.splice(random.int(0, customers.length - 1), 1)[0]!;
      const product = products[random.int(0, products.length - 1)]!;
      // Carts come at the clock's steps, so the engine sees each one when it happens and its hour runs from then.
      const at = new Date(dayStart.getTime() + ticks[random.int(0, ticks.length - 1)]! * HOUR);
      events.push({ type: 'track', userId: customer, event: 'Product Added', timestamp: at.toISOString(), messageId: `demo-cart-${day}-${i}`, properties: { product_id: product.sku, name: product.name, price: Number(product.price_fen) / 100 } });
      // Some buy within the hour anyway, in every arm alike: the journey never reaches them.
      if (random.next() < JOURNEY_TRUTH.cart.buysWithinTheHour) planned.push({ at: new Date(at.getTime() + (1 + random.next() * 50) * 60_000), customer });
    }
    await send(events.filter((e) => e.event !== 'Product Added'));
    if (day % 7 === 6) await computeLayers(store, { asOf: new Date(dayStart.getTime() - DAY).toISOString().slice(0, 10) });
    for (const hours of ticks) {
      const now = new Date(dayStart.getTime() + hours * HOUR);
      const due = planned.filter((p) => p.at <= now);
      await send([...events.filter((e) => e.event === 'Product Added' && String(e.timestamp) === now.toISOString()), ...due.map((p, n) => order(p.customer, p.at, n))]);
      planned.splice(0, planned.length, ...planned.filter((p) => p.at > now));
      await runJourneys(store, { now });
      // Hours pass between the clock's steps, in which the server's dispatcher would hand over every due message: the
      // outbox is emptied of due messages here too (a claim takes at most 2,000), not left for the next step.
      while ((await dispatchDue(store, channels, { now })).claimed > 0);
      // The SMS receipts (delivered or failed), pulled as the server does every 10 s.
      await pollChannels(store, channels, (error, channel) => {
        throw new Error(`the demo's ${channel} channel could not be polled: ${(error as Error).message}`);
      });
      await decide(store, now, lastTick, decided, random, planned);
      // Whoever went dormant leaves the cart pool: their purchases must not count toward the other journey.
      const dormant = new Set((await store.query<{ customer_id: string }>(`SELECT customer_id FROM journey_instances WHERE journey_id = 'win-back' AND updated_at > $1`, [lastTick])).map((r) => r.customer_id));
      if (dormant.size > 0) customers.splice(0, customers.length, ...customers.filter((c) => !dormant.has(c)));
      lastTick = now;
    }
    options.onDay?.(day);
  }
  const end = new Date(start.getTime() + options.days * DAY);
  const reports = await Promise.all((Object.keys(JOURNEY_TRUTH) as DemoJourney[]).map((id) => journeyReport(store, id, { now: end })));
  const delivered = await store.query<{ channel: string; n: number }>(`SELECT channel, count(*) AS n FROM outbound_messages WHERE journey_id IS NOT NULL AND state = 'delivered' GROUP BY channel ORDER BY channel`);
  const byChannel = Object.fromEntries(delivered.map((r) => [r.channel, Number(r.n)]));
  return { start, end, reports, truth: await armTruth(store, new Date(end.getTime() - GOAL_DAYS * DAY)), messages: received.length + (byChannel.sms ?? 0), byChannel };
}

/**
 * Draws each new entrant's purchase once its treatment is settled: a held-out instance at entry, a treated one once
 * its message is delivered (baseline + effect) or the instance ended without one and none is still on its way
 * (baseline). The purchase, if any, falls uniformly between then and the end of the goal window.
 */
async function decide(store: Store, now: Date, since: Date, decided: Set<string>, random: Random, planned: { at: Date; customer: string }[]): Promise<void> {
  // Only what changed since the last step of the clock: instances that entered, moved or ended, and messages delivered;
  // in a fixed order, so that a seed always draws the same purchases.
  const rows = await store.query<{ journey_id: DemoJourney; instance_id: string; customer_id: string; is_holdout: boolean; variant: string | null; entered_at: Date; status: string; delivered: Date | null; pending: boolean }>(
    `SELECT i.journey_id, i.instance_id, i.customer_id, i.is_holdout, i.variant, i.entered_at, i.status, d.delivered,
            EXISTS (SELECT 1 FROM outbound_messages m WHERE m.customer_id = i.customer_id AND m.journey_id = i.journey_id AND m.instance_id = i.instance_id AND m.state IN ('queued', 'deferred', 'sending')) AS pending
     FROM journey_instances i LEFT JOIN (
       SELECT customer_id, journey_id, instance_id, min(updated_at) AS delivered FROM outbound_messages WHERE state = 'delivered' AND updated_at > $1 GROUP BY customer_id, journey_id, instance_id
     ) d ON d.customer_id = i.customer_id AND d.journey_id = i.journey_id AND d.instance_id = i.instance_id
     WHERE i.updated_at > $1 OR d.delivered IS NOT NULL
        OR EXISTS (SELECT 1 FROM outbound_messages m WHERE m.customer_id = i.customer_id AND m.journey_id = i.journey_id AND m.instance_id = i.instance_id AND m.updated_at > $1)
     ORDER BY i.journey_id, i.instance_id`,
    [since],
  );
  for (const r of rows) {
    const key = `${r.journey_id}:${r.instance_id}`;
    if (decided.has(key) || !(r.journey_id in JOURNEY_TRUTH)) continue;
    const truth = JOURNEY_TRUTH[r.journey_id];
    let probability: number | undefined;
    const from = now;
    if (r.is_holdout) probability = truth.baseline;
    else if (r.delivered) {
      const arm = r.journey_id === 'win-back' ? `variant ${r.variant}` : 'treated';
      // Delivered at this step of the clock (an SMS receipt's own time is the provider's wall clock, not the demo's).
      probability = truth.baseline + ((truth.effect as Record<string, number>)[arm] ?? 0);
    } else if (r.status !== 'active' && !r.pending) probability = truth.baseline;
    if (probability === undefined) continue;
    decided.add(key);
    const end = new Date(r.entered_at).getTime() + (GOAL_DAYS - 1) * DAY;
    if (random.next() < probability && end > from.getTime()) planned.push({ customer: r.customer_id, at: new Date(from.getTime() + random.next() * (end - from.getTime())) });
  }
}

/** The true effect of each arm: the message's effect times the share of the arm's customers it reached. */
async function armTruth(store: Store, closedBefore: Date): Promise<JourneyDemoResult['truth']> {
  const rows = await store.query<{ journey_id: DemoJourney; arm: string; customers: number; delivered: number }>(
    `SELECT i.journey_id, CASE WHEN i.journey_id = 'win-back' THEN 'variant ' || i.variant ELSE 'treated' END AS arm, count(*) AS customers,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM outbound_messages m WHERE m.customer_id = i.customer_id AND m.instance_id = i.instance_id AND m.journey_id = i.journey_id AND m.state = 'delivered')) AS delivered
     FROM journey_instances i WHERE NOT i.is_holdout AND i.entered_at <= $1 GROUP BY 1, 2`,
    [closedBefore],
  );
  const truth = { welcome: {}, cart: {}, 'win-back': {} } as JourneyDemoResult['truth'];
  for (const r of rows) {
    if (!(r.journey_id in JOURNEY_TRUTH) || r.arm === null) continue;
    const messageEffect = (JOURNEY_TRUTH[r.journey_id].effect as Record<string, number>)[r.arm] ?? 0;
    const [customers, delivered] = [Number(r.customers), Number(r.delivered)];
    truth[r.journey_id][r.arm] = { messageEffect, delivered, customers, armEffect: customers ? (messageEffect * delivered) / customers : 0 };
  }
  return truth;
}
