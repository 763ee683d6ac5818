import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dispatchDue, updateContactPolicy } from '../../src/channels/index.ts';
import { publishJourney, runJourneys, saveJourneyDraft } from '../../src/journey/index.ts';
import { refreshSegment, saveSegment } from '../../src/segment/index.ts';
import { migrate, openStore, type Store } from '../../src/store/index.ts';
import { BACKENDS, freshLocation } from '../helpers/backends.ts';
import { recordingChannel, webhookReceiver } from '../helpers/channels.ts';
import { startServer } from '../helpers/processes.ts';

// Issue #19, reliability: a server killed mid-journey, and two servers sharing one PostgreSQL database.

/** `n` customers and a saved segment holding all of them, with no caps, quiet hours or control group in the way. */
async function brand(store: Store, n: number): Promise<void> {
  await migrate(store);
  const at = new Date('2026-01-01T00:00:00Z');
  const rows = Array.from({ length: n }, (_, i) => [`C${String(i).padStart(6, '0')}`, '{}', `+86138${String(i).padStart(8, '0')}`, at, at]);
  for (let i = 0; i < rows.length; i += 5000) await store.insertRows('customers', ['customer_id', 'traits', 'phone', 'created_at', 'updated_at'], rows.slice(i, i + 5000));
  await saveSegment(store, { name: 'everyone', definition: { tag: 'never-set', op: 'not_exists' } });
  await refreshSegment(store, 'everyone', { asOf: '2026-01-01' });
  await updateContactPolicy(store, { quiet_hours: null, global_control_share: 0, caps: {} }, 'test');
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('journeys survive a SIGKILL of the server', () => {
  test('killed while messages go out, the restarted server finishes every instance and no message reaches the receiver twice', async () => {
    const n = 6000;
    const db = join(mkdtempSync(join(tmpdir(), 'siyu-journey-kill-')), 'brand.duckdb');
    // The receiver answers slowly enough that the kill lands in the middle of the dispatch.
    const receiver = await webhookReceiver();
    const start = new Date(Date.now() + 1000);
    {
      const store = await openStore(db);
      await brand(store, n);
      const definition = {
        entry: { kind: 'broadcast', segment: 'everyone', at: start.toISOString() },
        start: 'notify',
        nodes: { notify: { kind: 'webhook', url: receiver.url, next: 'done' }, done: { kind: 'exit' } },
      };
      await saveJourneyDraft(store, { id: 'kill', name: 'kill', definition }, { actor: 'test', now: new Date(start.getTime() - 60_000) });
      await publishJourney(store, 'kill', { actor: 'test', now: new Date(start.getTime() - 60_000) });
      await store.close();
    }
    const env = { SIYU_WEBHOOK_ALLOW_PRIVATE: '1' };
    let server = startServer(db, [], env);
    let atKill: number;
    try {
      await server.address;
      await until('a third of the messages', () => receiver.received.length >= n / 3);
      server.child.kill('SIGKILL');
      await server.exited;
      atKill = receiver.received.length;
      assert.ok(atKill < n, `the kill came after every message went out (${atKill}); the test proves nothing`);
      server = startServer(db, [], env);
      await server.address;
      let last = -1;
      let quietSince = Date.now();
      await until('the receiver to go quiet for 3 s', () => {
        if (receiver.received.length !== last) [last, quietSince] = [receiver.received.length, Date.now()];
        return Date.now() - quietSince > 3000;
      });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await receiver.close();
    }
    const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
    assert.equal(new Set(ids).size, ids.length, 'no message reached the receiver twice');
    const store = await openStore(db);
    try {
      const instances = await store.query<{ status: string; n: number }>(`SELECT status, count(*) AS n FROM journey_instances WHERE journey_id = 'kill' GROUP BY status`);
      assert.deepEqual(instances.map((r) => [r.status, Number(r.n)]), [['completed', n]], 'every instance reached the end, as in an uninterrupted run');
      const [steps] = await store.query<{ n: number; distinct_n: number }>(`SELECT count(*) AS n, count(DISTINCT customer_id || ':' || instance_id || ':' || node) AS distinct_n FROM journey_steps WHERE journey_id = 'kill'`);
      assert.deepEqual([Number(steps!.n), Number(steps!.distinct_n)], [2 * n, 2 * n], 'each step ran once per instance');
      const states = Object.fromEntries((await store.query<{ state: string; n: number }>(`SELECT state, count(*) AS n FROM outbound_messages WHERE journey_id = 'kill' GROUP BY state`)).map((r) => [r.state, Number(r.n)]));
      assert.equal((states.delivered ?? 0) + (states.unknown ?? 0), n, `every message is delivered or, if cut short while handed over, unknown: ${JSON.stringify(states)}`);
      const delivered = await store.query<{ message_id: string }>(`SELECT message_id FROM outbound_messages WHERE journey_id = 'kill' AND state = 'delivered'`);
      const got = new Set(ids);
      assert.ok(delivered.every((m) => got.has(m.message_id)), 'what is recorded as delivered reached the receiver');
      assert.ok((states.unknown ?? 0) <= n - delivered.length && ids.length >= delivered.length);
    } finally {
      await store.close();
    }
  });
});

if (BACKENDS.includes('postgres')) {
  describe('journeys on two servers sharing one PostgreSQL database', () => {
    test('each instance is entered, stepped and sent once, whichever server claims it', async () => {
      const n = 3000;
      const { location, cleanup } = freshLocation('postgres');
      const stores: Store[] = [];
      try {
        for (let i = 0; i < 2; i++) stores.push(await openStore(location));
        await brand(stores[0]!, n);
        const t0 = new Date('2026-03-02T02:00:00Z');
        const definition = {
          entry: { kind: 'broadcast', segment: 'everyone', at: t0.toISOString() },
          holdout: 0.1,
          start: 'pause',
          nodes: {
            pause: { kind: 'wait', duration: '1h', next: 'pick' },
            pick: { kind: 'split', variants: [{ name: 'A', weight: 1, next: 'sms' }, { name: 'B', weight: 1, next: 'done' }] },
            sms: { kind: 'message', channel: 'sms', transactional: true, content: { body: '会员日' }, next: 'done' },
            done: { kind: 'exit' },
          },
        };
        await saveJourneyDraft(stores[0]!, { id: 'shared', name: 'shared', definition }, { actor: 'test', now: t0 });
        await publishJourney(stores[0]!, 'shared', { actor: 'test', now: new Date(t0.getTime() - 60_000) });
        const recorders = stores.map(() => recordingChannel('sms'));
        // Both servers run the engine and the dispatcher at the same instants, in small batches, so their claims interleave.
        // The message is transactional: no consent or caps in the way of counting sends.
        for (const minutes of [0, 1, 61, 62, 63]) {
          const now = new Date(t0.getTime() + minutes * 60_000);
          await Promise.all(stores.map((s) => runJourneys(s, { now, batchSize: 250 })));
          await Promise.all(stores.map((s, i) => dispatchDue(s, [recorders[i]!.channel], { now, batchSize: 500 })));
        }
        const store = stores[0]!;
        const [entered] = await store.query<{ n: number; customers: number }>(`SELECT count(*) AS n, count(DISTINCT customer_id) AS customers FROM journey_instances WHERE journey_id = 'shared'`);
        assert.deepEqual([Number(entered!.n), Number(entered!.customers)], [n, n], 'one instance per customer');
        const open = await store.query<{ n: number }>(`SELECT count(*) AS n FROM journey_instances WHERE journey_id = 'shared' AND status = 'active'`);
        assert.equal(Number(open[0]!.n), 0, 'every treated instance finished');
        const [steps] = await store.query<{ n: number; distinct_n: number }>(`SELECT count(*) AS n, count(DISTINCT customer_id || ':' || instance_id || ':' || node) AS distinct_n FROM journey_steps WHERE journey_id = 'shared'`);
        assert.equal(Number(steps!.n), Number(steps!.distinct_n), 'no step ran twice for one instance');
        const sent = recorders.flatMap((r) => r.sent.map((m) => m.messageId));
        assert.equal(new Set(sent).size, sent.length, 'no message was handed to the provider twice');
        const [queued] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM outbound_messages WHERE journey_id = 'shared'`);
        assert.equal(sent.length, Number(queued!.n), 'every queued message was sent once');
        assert.ok(recorders.every((r) => r.sent.length > 0), `both servers did part of the work: ${recorders.map((r) => r.sent.length).join(' and ')}`);
      } finally {
        for (const s of stores) await s.close();
        await cleanup();
      }
    });
  });
}
