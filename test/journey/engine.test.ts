import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { enterJourney, publishJourney, runJourneys, saveJourneyDraft, setJourneyStatus, simulateJourney } from '../../src/journey/index.ts';
import { renderTemplate } from '../../src/channels/index.ts';
import { listCoupons, pointsBalance, upsertOffer } from '../../src/loyalty/index.ts';
import { customerSummaries } from '../../src/segment/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { send } from '../ingest/helpers.ts';

const T0 = new Date('2026-06-01T02:00:00Z'); // 10:00 in Shanghai
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** Where each customer's instance of `journey` is: status, step, and the steps it ran with their outcomes. */
async function paths(store: Store, journey: string): Promise<Record<string, string>> {
  const instances = await store.query<{ customer_id: string; instance_id: string; status: string; node: string | null }>(
    'SELECT customer_id, instance_id, status, node FROM journey_instances WHERE journey_id = $1 ORDER BY customer_id, entered_at',
    [journey],
  );
  const steps = await store.query<{ customer_id: string; instance_id: string; node: string; outcome: string }>(
    'SELECT customer_id, instance_id, node, outcome FROM journey_steps WHERE journey_id = $1 ORDER BY customer_id, instance_id, seq',
    [journey],
  );
  const out: Record<string, string> = {};
  for (const i of instances) {
    const ran = steps.filter((s) => s.customer_id === i.customer_id && s.instance_id === i.instance_id).map((s) => `${s.node}:${s.outcome}`);
    out[i.customer_id] = [...ran, `${i.status}${i.node && i.status === 'active' ? `@${i.node}` : ''}`].join(' > ');
  }
  return out;
}

const cartReminder = {
  id: 'cart',
  name: '加购提醒',
  definition: {
    entry: { kind: 'event', event: 'Product Added' },
    reentry: { kind: 'after_exit' },
    goal: { event: 'Order Completed', within_days: 7 },
    start: 'wait_order',
    nodes: {
      wait_order: { kind: 'wait_for_event', event: 'Order Completed', timeout: '1h', on_event: 'done', on_timeout: 'vip' },
      vip: { kind: 'condition', condition: { trait: 'vip', op: '=', value: 'yes' }, then: 'remind_vip', else: 'remind' },
      remind_vip: { kind: 'message', channel: 'sms', content: { body: '{{ customer.name }}，您的购物车里还有 {{ context.name }}' }, next: 'done' },
      remind: { kind: 'message', channel: 'sms', content: { body: '购物车里还有 {{ context.name }}' }, next: 'tagged' },
      tagged: { kind: 'update', add_tags: ['cart_reminded'], set_traits: { reminded: true }, next: 'done' },
      done: { kind: 'exit' },
    },
  },
};

for (const backend of BACKENDS) {
  describe(`journeys on ${backend}`, () => {
    test('an abandoned cart: entered on Product Added, waits an hour for an order, then a message by condition; an order in time ends it, converting', () =>
      withStore(backend, async (store) => {
        await saveJourneyDraft(store, cartReminder, { now: T0 });
        await publishJourney(store, 'cart', { now: T0 });
        await send(
          store,
          { type: 'identify', userId: 'u1', traits: { name: '王芳', vip: 'yes' }, timestamp: at(0).toISOString() },
          { type: 'identify', userId: 'u2', traits: { name: '李雷' }, timestamp: at(0).toISOString() },
          { type: 'identify', userId: 'u3', traits: { name: '韩梅' }, timestamp: at(0).toISOString() },
          { type: 'track', userId: 'u1', event: 'Product Added', properties: { product_id: 'SKU1', name: '洗发水', price: 59 }, timestamp: at(1).toISOString() },
          { type: 'track', userId: 'u2', event: 'Product Added', properties: { product_id: 'SKU2', name: '护发素', price: 39 }, timestamp: at(1).toISOString() },
          { type: 'track', userId: 'u3', event: 'Product Added', properties: { product_id: 'SKU3', name: '面霜', price: 99 }, timestamp: at(1).toISOString() },
          { type: 'track', userId: 'u3', event: 'Product Added', properties: { product_id: 'SKU4', name: '眼霜', price: 199 }, timestamp: at(2).toISOString() },
        );
        const first = await runJourneys(store, { now: at(2) });
        assert.equal(first.events.entered, 3, 'one instance each, the earliest add counts for u3');
        const ids = Object.fromEntries((await store.query<{ customer_id: string; user_id: string }>(`SELECT customer_id, value AS user_id FROM identities WHERE type = 'user_id'`)).map((r) => [r.user_id, r.customer_id]));

        await send(store, { type: 'track', userId: 'u3', event: 'Order Completed', properties: { order_id: 'O1', total: 99, products: [{ product_id: 'SKU3', price: 99, quantity: 1 }] }, timestamp: at(30).toISOString() });
        await runJourneys(store, { now: at(30) });
        await runJourneys(store, { now: at(61) });
        assert.match((await paths(store, 'cart'))[ids.u1!]!, /^active@wait_order$/, 'the hour runs from when the wait began (the run at minute 2)');
        await runJourneys(store, { now: at(63) });
        assert.deepEqual(await paths(store, 'cart'), {
          [ids.u1!]: 'wait_order:timed out > vip:then > remind_vip:queued > done:exit > completed',
          [ids.u2!]: 'wait_order:timed out > vip:else > remind:queued > tagged:updated > done:exit > completed',
          [ids.u3!]: 'wait_order:event > done:exit > completed',
        });
        const messages = await store.query<{ customer_id: string; message_id: string; channel: string; state: string; context: { name: string } }>(
          'SELECT customer_id, message_id, channel, state, context FROM outbound_messages ORDER BY customer_id',
        );
        assert.deepEqual(messages.map((m) => [m.customer_id, m.channel, m.state, m.context.name]), [[ids.u1, 'sms', 'queued', '洗发水'], [ids.u2, 'sms', 'queued', '护发素']]);
        assert.match(messages[0]!.message_id, /^journey:cart:.+:remind_vip$/);
        const [converted] = await store.query<{ converted_at: Date; revenue_fen: number }>('SELECT converted_at, revenue_fen FROM journey_instances WHERE customer_id = $1', [ids.u3]);
        assert.deepEqual([converted?.converted_at, converted?.revenue_fen], [at(30), 9900]);
        const [tagged] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM customer_tags WHERE tag = 'cart_reminded' AND customer_id = $1`, [ids.u2]);
        assert.equal(tagged?.n, 1);

        const again = await runJourneys(store, { now: at(90) });
        assert.deepEqual([again.advanced.steps, again.events.entered], [0, 0], 'running again changes nothing');
        const [count] = await store.query<{ n: number }>('SELECT count(*) AS n FROM outbound_messages');
        assert.equal(count?.n, 2, 'no message queued twice');

        await send(store, { type: 'track', userId: 'u2', event: 'Product Added', properties: { product_id: 'SKU5', name: '面膜', price: 29 }, timestamp: at(100).toISOString() });
        assert.equal((await runJourneys(store, { now: at(100) })).events.entered, 1, 'after_exit: u2 may enter again once the first pass ended');
      }));

    test('a run after an ingest batch takes a trigger to its first message in one pass and leaves ended waits to the full run; two runs at once enter once', () =>
      withStore(backend, async (store) => {
        const nudge = {
          id: 'nudge',
          name: '加购提醒',
          definition: {
            entry: { kind: 'event', event: 'Product Added' },
            start: 'hello',
            nodes: {
              hello: { kind: 'message', channel: 'sms', content: { body: '购物车里还有 {{ context.name }}' }, next: 'later' },
              later: { kind: 'wait', duration: '30m', next: 'tag' },
              tag: { kind: 'update', add_tags: ['nudged'], next: 'done' },
              done: { kind: 'exit' },
            },
          },
        };
        await saveJourneyDraft(store, nudge, { now: T0 });
        await publishJourney(store, 'nudge', { now: T0 });
        await send(store, { type: 'track', userId: 'u1', event: 'Product Added', properties: { name: '洗发水' }, timestamp: at(0).toISOString() });
        const fork = await store.fork();
        try {
          const runs = await Promise.all([runJourneys(store, { now: at(0), isEventsOnly: true }), runJourneys(fork, { now: at(0), isEventsOnly: true })]);
          assert.deepEqual(runs.map((r) => [r.events.entered, r.advanced.steps]).sort(), [[0, 0], [1, 2]], 'one run entered u1 and ran the message and the wait; the other found nothing');
        } finally {
          await fork.close();
        }
        assert.deepEqual(await paths(store, 'nudge'), { u1: 'hello:queued > active@later' });
        const late = await runJourneys(store, { now: at(31), isEventsOnly: true });
        assert.deepEqual([late.events.events, late.advanced.steps], [0, 0], 'a wait that ended waits for the full run');
        assert.deepEqual(await paths(store, 'nudge'), { u1: 'hello:queued > active@later' });
        await runJourneys(store, { now: at(31) });
        assert.deepEqual(await paths(store, 'nudge'), { u1: 'hello:queued > later:waited > tag:updated > done:exit > completed' });
        const [count] = await store.query<{ n: number }>('SELECT count(*) AS n FROM outbound_messages');
        assert.equal(count?.n, 1, 'one message');
      }));

    test('a birthday wait opens the sealed birthday and wakes at local midnight of its next anniversary; 29 February falls on 28 February in common years', () =>
      withStore(backend, async (store) => {
        await saveJourneyDraft(store, {
          id: 'bday',
          name: '生日礼',
          definition: { entry: { kind: 'api' }, start: 'wait', nodes: { wait: { kind: 'wait', until_trait: 'birthday', next: 'done' }, done: { kind: 'exit' } } },
        });
        await publishJourney(store, 'bday', { now: T0 });
        // T0 is 2026-06-01 10:00 in Shanghai.
        const people: [string, Record<string, unknown>, string | null][] = [
          ['later', { birthday: '1990-06-15' }, '2026-06-14T16:00:00.000Z'],
          ['past', { birthday: '1985-03-10' }, '2027-03-09T16:00:00.000Z'],
          ['leap', { birthday: '2000-02-29' }, '2027-02-27T16:00:00.000Z'],
          ['today', { birthday: '1992-06-01' }, '2026-05-31T16:00:00.000Z'],
          ['new_york', { birthday: '1990-06-15', timezone: 'America/New_York' }, '2026-06-15T04:00:00.000Z'],
          ['none', { city: '上海' }, null],
        ];
        await send(store, ...people.map(([id, traits]) => ({ type: 'identify', userId: id, traits, timestamp: T0.toISOString() })));
        const [plain] = await store.query<{ n: number }>("SELECT count(*) AS n FROM customers WHERE birthday IS NOT NULL AND birthday NOT LIKE 'e1:%'");
        assert.equal(Number(plain!.n), 0, 'birthdays are stored sealed');
        // Messages see the opened birthday (customer summaries, as the dispatcher renders them).
        const summary = (await customerSummaries(store, ['leap'])).get('leap')!;
        assert.equal(renderTemplate('生日 {{ customer.birthday | slice: 5, 5 }} 快乐', { customer: summary }), '生日 02-29 快乐');
        await enterJourney(store, 'bday', people.map(([id]) => ({ customerId: id, key: `bday-${id}` })), T0);
        await runJourneys(store, { now: T0 });
        const wakes = await store.query<{ customer_id: string; wake_at: Date; status: string }>("SELECT customer_id, wake_at, status FROM journey_instances WHERE journey_id = 'bday' AND status = 'active'");
        const byId = Object.fromEntries(wakes.map((w) => [w.customer_id, w.wake_at.toISOString()]));
        // Today counts: its midnight has passed, so the wait is due at once.
        for (const [id, , wake] of people.filter(([id]) => id !== 'none')) assert.equal(byId[id], wake, id);
        assert.equal((await paths(store, 'bday')).none, 'wait:no birthday > exited', 'no birthday: the instance leaves');
        await runJourneys(store, { now: new Date('2026-06-14T16:00:01Z') });
        assert.equal((await paths(store, 'bday')).later, 'wait:waited > done:exit > completed', 'it fires on the day');
        assert.equal((await paths(store, 'bday')).today, 'wait:waited > done:exit > completed');
        assert.match((await paths(store, 'bday')).new_york!, /^active@wait$/, 'New York is not there yet');
        const dry = await simulateJourney(store, 'bday', { customerId: 'leap', from: T0, days: 400 });
        assert.deepEqual(dry.steps.map((st) => [st.node, st.outcome, st.at.toISOString()]), [['wait', 'waited', '2027-02-27T16:00:00.000Z'], ['done', 'exit', '2027-02-27T16:00:00.000Z']], 'the dry run opens the birthday too');
      }));

    test('a holdout share is held out of every step by a stable hash, and tracked for the goal', () =>
      withStore(backend, async (store) => {
        await saveJourneyDraft(store, {
          id: 'welcome',
          name: '欢迎',
          definition: {
            entry: { kind: 'api' },
            holdout: 0.3,
            goal: { event: 'Order Completed', within_days: 1 },
            start: 'hello',
            nodes: { hello: { kind: 'message', channel: 'sms', content: { body: '欢迎' }, next: 'end' }, end: { kind: 'exit' } },
          },
        });
        await publishJourney(store, 'welcome', { now: T0 });
        const customers = Array.from({ length: 200 }, (_, i) => `C${String(i).padStart(3, '0')}`);
        await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], customers.map((id) => [id, T0, T0]));
        const { entered } = await enterJourney(store, 'welcome', customers.map((id) => ({ customerId: id, key: `signup-${id}` })), T0);
        assert.equal(entered, 200);
        assert.equal((await enterJourney(store, 'welcome', [{ customerId: 'C000', key: 'signup-C000' }], T0)).entered, 0, 'the same key enters nobody twice');
        await runJourneys(store, { now: T0 });
        const [held] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM journey_instances WHERE status = 'holdout'`);
        assert.ok(held!.n > 40 && held!.n < 80, `about 30% held out, got ${held!.n}`);
        const [sent] = await store.query<{ n: number }>('SELECT count(*) AS n FROM outbound_messages');
        assert.equal(sent!.n + held!.n, 200, 'held-out customers get no message');
        await runJourneys(store, { now: at(24 * 60 + 1) });
        const [closed] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM journey_instances WHERE status = 'completed' AND exit_reason = 'holdout: goal window closed'`);
        assert.equal(closed!.n, held!.n);
      }));

    test('drafts are checked with the step and field named; publishing checks templates and conditions against the store', () =>
      withStore(backend, async (store) => {
        const bad = { ...cartReminder.definition, nodes: { ...cartReminder.definition.nodes, vip: { kind: 'condition', condition: { trait: 'vip', op: '=', value: 'yes' }, then: 'gone', else: 'remind' } } };
        await assert.rejects(saveJourneyDraft(store, { ...cartReminder, definition: bad }), (e: unknown) => isSiyuError(e) && e.details.some((d) => d.path === 'nodes.vip.then' && /no step "gone"/.test(d.message)));
        const loop = { ...cartReminder.definition, nodes: { ...cartReminder.definition.nodes, done: { kind: 'wait', duration: '1d', next: 'wait_order' } } };
        await assert.rejects(saveJourneyDraft(store, { ...cartReminder, definition: loop }), (e: unknown) => isSiyuError(e) && e.details.some((d) => /a loop: wait_order → done → wait_order/.test(d.message)));
        const unknownVariable = { ...cartReminder.definition, nodes: { ...cartReminder.definition.nodes, remind: { kind: 'message', channel: 'sms', content: { body: '{{ customer.nickname }}' }, next: 'tagged' } } };
        await saveJourneyDraft(store, { ...cartReminder, definition: unknownVariable });
        await assert.rejects(publishJourney(store, 'cart'), (e: unknown) => isSiyuError(e) && e.details.some((d) => d.path === 'nodes.remind.content.body' && /unknown variable customer.nickname/.test(d.message)));
        await assert.rejects(setJourneyStatus(store, 'cart', 'paused'), (e: unknown) => isSiyuError(e) && e.code === 'not_published');
      }));

    test('loyalty steps: a coupon of an active offer in each wallet and points once per instance, each outcome recorded; an unknown offer is refused at publishing', () =>
      withStore(backend, async (store) => {
        const reward = {
          id: 'reward',
          name: '回流礼',
          definition: {
            entry: { kind: 'api' },
            reentry: { kind: 'after_exit' },
            start: 'coupon',
            nodes: { coupon: { kind: 'coupon', offer: 'winback', next: 'points' }, points: { kind: 'points', points: 200, reason: '回流礼', next: 'done' }, done: { kind: 'exit' } },
          },
        };
        await saveJourneyDraft(store, reward, { now: T0 });
        await assert.rejects(publishJourney(store, 'reward', { now: T0 }), (e: unknown) => isSiyuError(e) && e.details.some((d) => d.path === 'nodes.coupon.offer' && /no offer "winback"/.test(d.message)));
        await upsertOffer(store, { id: 'winback', name: '回流券', rule: { kind: 'fixed', offFen: 2_000 }, validDays: 7 }, { now: T0 });
        await publishJourney(store, 'reward', { now: T0 });
        await send(store, { type: 'identify', userId: 'u1', timestamp: at(0).toISOString() }, { type: 'identify', userId: 'u2', timestamp: at(0).toISOString() });
        await enterJourney(store, 'reward', [{ customerId: 'u1', key: 'k1' }, { customerId: 'u2', key: 'k1' }], at(1));
        await runJourneys(store, { now: at(1) });
        const ran = await paths(store, 'reward');
        assert.match(ran.u1!, /^coupon:coupon [A-Z0-9-]+ > points:200 points > done:exit > completed$/);
        assert.equal((await listCoupons(store, { customerId: 'u2' })).length, 1);
        assert.equal((await pointsBalance(store, 'u1', at(3))).active, 200);
        // Entered again the same day: a second instance gets its points, but the step's coupon is one a day.
        await enterJourney(store, 'reward', [{ customerId: 'u1', key: 'k2' }], at(2));
        await runJourneys(store, { now: at(2) });
        assert.equal((await listCoupons(store, { customerId: 'u1' })).length, 1);
        assert.equal((await pointsBalance(store, 'u1', at(3))).active, 400);
      }));
  });
}
