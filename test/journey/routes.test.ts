import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_CONTACT_POLICY, getContactPolicy } from '../../src/channels/index.ts';
import { customerJourneys, getJourney, journeyReport, listJourneys, parseJourneyDefinition, runJourneys, simulateJourney } from '../../src/journey/index.ts';
import { buildServerAs, jsonCaller } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { send } from '../ingest/helpers.ts';

// The journey routes answer through their response schemas: each answer is exactly what the domain function returns
// (as JSON), so no field is dropped on the way out and the console's generated types describe what arrives.

// The engine's clock runs ahead of the wall clock, so the report's "now" (the latest activity) is the same for the
// route and the direct call.
const LATER = new Date('2031-03-02T02:00:00Z');
const json = (value: unknown) => JSON.parse(JSON.stringify(value));

const welcome = {
  name: '新会员欢迎',
  description: 'entered by the API',
  definition: {
    entry: { kind: 'api' },
    holdout: 0.5,
    goal: { event: 'Order Completed', within_days: 7 },
    start: 'hello',
    nodes: {
      hello: { kind: 'message', channel: 'sms', content: { body: '{{ customer.name }}，欢迎入会' }, next: 'wait' },
      wait: { kind: 'wait', duration: '1d', next: 'tag' },
      tag: { kind: 'update', add_tags: ['welcomed'], next: 'done' },
      done: { kind: 'exit' },
    },
  },
};

for (const backend of BACKENDS) {
  describe(`the journey routes on ${backend}`, () => {
    test('draft, validate, publish, enter, report, simulate, pause, resume and archive each answer what the domain returns', () =>
      withStore(backend, async (store) => {
        await send(store, ...['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map((userId, i) => ({ type: 'identify', userId, traits: { name: `会员${i + 1}` }, timestamp: '2026-05-01T00:00:00Z' })));
        const customers = (await store.query<{ customer_id: string }>('SELECT customer_id FROM customers ORDER BY customer_id')).map((r) => r.customer_id);
        const app = await buildServerAs(store);
        try {
          const call = jsonCaller(app);

          const validated = await call('POST', '/v1/journeys/validate', { definition: welcome.definition });
          assert.deepEqual(validated, json({ definition: parseJourneyDefinition(welcome.definition, 'Asia/Shanghai') }));
          assert.equal(validated.definition.reentry.kind, 'once', 'defaults filled in');

          const draft = await call('PUT', '/v1/journeys/welcome', welcome);
          assert.deepEqual(draft, json(await getJourney(store, 'welcome')));
          assert.deepEqual([draft.status, draft.publishedVersion, draft.definition], ['draft', null, null]);
          const published = await call('POST', '/v1/journeys/welcome/publish');
          assert.deepEqual(published, json(await getJourney(store, 'welcome')));
          assert.deepEqual([published.status, published.publishedVersion, published.draft, published.definition.nodes.wait], ['active', 1, null, { kind: 'wait', duration: '1d', next: 'tag' }]);
          assert.deepEqual(await call('GET', '/v1/journeys'), json({ journeys: await listJourneys(store) }));
          assert.deepEqual(await call('GET', '/v1/journeys/welcome'), published);

          const entrants = customers.map((id) => ({ customer_id: id, key: `welcome-${id}`, context: { source: 'test' } }));
          assert.deepEqual(await call('POST', '/v1/journeys/welcome/enter', { customers: entrants }), { entered: customers.length });
          assert.deepEqual(await call('POST', '/v1/journeys/welcome/enter', { customers: entrants }), { entered: 0 }, 'each key enters once');
          await runJourneys(store, { now: LATER });
          await runJourneys(store, { now: new Date(LATER.getTime() + 2 * 86_400_000) });

          const report = await call('GET', '/v1/journeys/welcome/report');
          assert.deepEqual(report, json(await journeyReport(store, 'welcome')));
          assert.equal(report.entered, customers.length);
          assert.deepEqual(report.steps.map((s: { node: string }) => s.node), ['hello', 'wait', 'tag', 'done']);
          const mine = await call('GET', `/v1/customers/${customers[0]}/journeys`);
          assert.deepEqual(mine, json({ journeys: await customerJourneys(store, customers[0]!) }));
          assert.equal(mine.journeys[0].journeyId, 'welcome');

          const from = '2026-06-01T02:00:00.000Z';
          for (const customer of customers.slice(0, 3)) {
            const simulated = await call('POST', '/v1/journeys/welcome/simulate', { customer_id: customer, from, days: 3 });
            assert.deepEqual(simulated, json(await simulateJourney(store, 'welcome', { customerId: customer, from: new Date(from), days: 3 })));
            if (!simulated.heldOut) assert.match(simulated.steps[0].message.body, /^会员\d，欢迎入会$/);
          }

          for (const [verb, status] of [['pause', 'paused'], ['resume', 'active'], ['archive', 'archived']]) {
            const changed = await call('POST', `/v1/journeys/welcome/${verb}`);
            assert.equal(changed.status, status);
            assert.deepEqual(changed, json(await getJourney(store, 'welcome')));
          }
          await call('POST', '/v1/journeys/nope/pause', undefined, 404);
        } finally {
          await app.close();
        }
      }));

    test('the canvas layout is kept with the draft and the published version, a definition stored without one still loads, and a bad one is refused by its field', () =>
      withStore(backend, async (store) => {
        const app = await buildServerAs(store);
        try {
          const call = jsonCaller(app);
          const layout = { entry: { x: -120, y: 0 }, nodes: { hello: { x: 40.5, y: 200 }, done: { x: 40, y: 620 }, renamed_away: { x: 0, y: 0 } } };
          const laidOut = { ...welcome, definition: { ...welcome.definition, holdout: 0, layout } };
          const draft = await call('PUT', '/v1/journeys/laid-out', laidOut);
          assert.deepEqual(draft.draft.layout, layout, 'the draft is kept as written');
          const published = await call('POST', '/v1/journeys/laid-out/publish');
          // A position for an id that is no step is dropped when the definition is parsed, so the version keeps only its steps'.
          assert.deepEqual(published.definition.layout, { entry: { x: -120, y: 0 }, nodes: { hello: { x: 40.5, y: 200 }, done: { x: 40, y: 620 } } });
          assert.deepEqual((await call('GET', '/v1/journeys/laid-out')).definition.layout, published.definition.layout);
          // The engine ignores it: a dry run walks the steps as it does without one.
          await send(store, ...['u1', 'u2', 'u3', 'u4'].map((userId) => ({ type: 'identify' as const, userId, traits: { name: userId }, timestamp: '2026-05-01T00:00:00Z' })));
          for (const { customer_id: customer } of await store.query<{ customer_id: string }>('SELECT customer_id FROM customers')) {
            const simulated = await call('POST', '/v1/journeys/laid-out/simulate', { customer_id: customer, from: '2026-06-01T02:00:00.000Z', days: 3 });
            assert.deepEqual(simulated.steps.map((s: { node: string }) => s.node), ['hello', 'wait', 'tag', 'done']);
          }

          // A version published before layouts existed (no layout field) still loads, and its next draft may add one.
          const old = parseJourneyDefinition(welcome.definition);
          assert.equal('layout' in old, false);
          const at = new Date('2026-01-01T00:00:00Z');
          await store.execute(`INSERT INTO journeys (journey_id, name, description, status, draft, published_version, created_at, updated_at) VALUES ('before', 'before layouts', NULL, 'active', NULL, 1, $1, $1)`, [at]);
          await store.execute(`INSERT INTO journey_versions (journey_id, version, definition, published_at, published_by) VALUES ('before', 1, $1, $2, 'test')`, [JSON.stringify(old), at]);
          assert.deepEqual((await call('GET', '/v1/journeys/before')).definition, json(old));
          assert.ok((await call('GET', '/v1/journeys')).journeys.some((j: { id: string }) => j.id === 'before'));
          await call('PUT', '/v1/journeys/before', { name: 'before layouts', definition: { ...welcome.definition, layout: { nodes: { hello: { x: 1, y: 2 } } } } });

          const bad: [string, unknown, string[]][] = [
            ['a coordinate that is not a number', { nodes: { hello: { x: 'left', y: 10 } } }, ['layout.nodes.hello.x']],
            ['a missing coordinate and a null one', { entry: { x: 0 }, nodes: { done: { x: null, y: 0 } } }, ['layout.entry.y', 'layout.nodes.done.x']],
            ['a key the layout does not have', { zoom: 2 }, ['layout']],
            ['a layout that is not an object', [1, 2], ['layout']],
          ];
          for (const [title, value, paths] of bad) {
            const definition = { ...welcome.definition, layout: value };
            for (const [method, url, body] of [['PUT', '/v1/journeys/laid-out', { ...welcome, definition }], ['POST', '/v1/journeys/validate', { definition }]] as const) {
              const refused = await call(method, url, body, 400);
              assert.deepEqual(refused.errors.map((e: { path: string }) => e.path).sort(), paths, `${title}: ${method} ${url}`);
            }
          }
          assert.deepEqual((await call('GET', '/v1/journeys/laid-out')).draft, null, 'a refused draft changes nothing');
        } finally {
          await app.close();
        }
      }));

    test('the contact policy answers its defaults, then the policy as changed', () =>
      withStore(backend, async (store) => {
        const app = await buildServerAs(store);
        try {
          const read = await app.inject('/v1/contact-policy');
          assert.equal(read.statusCode, 200, read.body);
          assert.deepEqual(read.json(), DEFAULT_CONTACT_POLICY);
          const changed = await app.inject({ method: 'PATCH', url: '/v1/contact-policy', payload: { quiet_hours: null, caps: { sms: { day: 2 } } } });
          assert.equal(changed.statusCode, 200, changed.body);
          assert.deepEqual(changed.json(), await getContactPolicy(store));
          assert.deepEqual([changed.json().quiet_hours, changed.json().caps.sms, changed.json().caps.email], [null, { day: 2 }, DEFAULT_CONTACT_POLICY.caps.email]);
          const refused = await app.inject({ method: 'PATCH', url: '/v1/contact-policy', payload: { global_control_share: 0.9 } });
          assert.equal(refused.statusCode, 400, refused.body);
        } finally {
          await app.close();
        }
      }));
  });
}
