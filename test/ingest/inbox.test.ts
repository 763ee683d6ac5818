import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appendToInbox, countInbox, InboxProcessor, prepareMessage, processInbox, type PreparedMessage } from '../../src/ingest/index.ts';
import { keyRingFor } from '../../src/privacy/index.ts';
import { dialect, type Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const at = new Date('2026-11-01T08:00:00Z');

function prepared(message: Record<string, unknown>): PreparedMessage {
  const result = prepareMessage(message, at);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.message;
}

const track = (messageId: string, userId = 'u1', event = 'Product Viewed') => ({ message: prepared({ type: 'track', userId, event, messageId }), source: 'test' });

async function append(store: Store, entries: ReturnType<typeof track>[]) {
  const ring = await keyRingFor(store);
  return store.transaction((tx) => appendToInbox(tx, store.kind, entries, at, ring));
}

for (const backend of BACKENDS) {
  describe(`inbox on ${backend}`, () => {
    test('appends new messages and answers duplicates: repeated in the request, waiting in the inbox, or already written', () =>
      withStore(backend, async (store) => {
        assert.deepEqual(await append(store, [track('a'), track('b'), track('a')]), ['accepted', 'accepted', 'duplicate']);
        assert.deepEqual(await append(store, [track('b'), track('c')]), ['duplicate', 'accepted'], 'b is still waiting in the inbox');
        assert.equal(await countInbox(store), 3);
        assert.equal(await processInbox(store), 3);
        assert.deepEqual(await append(store, [track('a')]), ['duplicate'], 'a is in the messages ledger now');
        assert.equal(await countInbox(store), 0);
      }));

    test('processing writes messages in arrival order with their arrival time, then empties the inbox', () =>
      withStore(backend, async (store) => {
        await append(store, [track('1', 'u1', 'First'), track('2', 'u2', 'Second')]);
        await append(store, [track('3', 'u1', 'Third')]);
        assert.equal(await processInbox(store, 2), 2, 'a batch takes at most its limit');
        assert.equal(await processInbox(store, 2), 1);
        assert.equal(await processInbox(store, 2), 0);
        const events = await store.query<{ message_id: string; customer_id: string; received_at: Date }>('SELECT message_id, customer_id, received_at FROM events ORDER BY message_id');
        assert.deepEqual(events, [
          { message_id: '1', customer_id: 'u1', received_at: at },
          { message_id: '2', customer_id: 'u2', received_at: at },
          { message_id: '3', customer_id: 'u1', received_at: at },
        ]);
      }));

    test('an identify taken into the inbox before birthdays were sealed (plain, without its year and month) is stored sealed with them', () =>
      withStore(backend, async (store) => {
        await append(store, [{ message: prepared({ type: 'identify', userId: 'u9', messageId: 'old-1', traits: { birthday: '1988-11-03' } }), source: 'test' }]);
        // What an earlier version left in the inbox: sealed, but the profile's birthday plain and no parts beside it.
        const [row] = await store.query<{ message: string }>("SELECT message FROM inbox WHERE message_id = 'old-1'");
        const old = JSON.parse(row!.message) as { profile: Record<string, unknown> };
        old.profile = { ...old.profile, birthday: '1988-11-03', birth_year: undefined, birth_month: undefined };
        await store.execute("UPDATE inbox SET message = $1 WHERE message_id = 'old-1'", [JSON.stringify(old)]);
        await processInbox(store, 10);
        const [u9] = await store.query<{ birthday: string; birth_year: number; birth_month: number }>("SELECT birthday, birth_year, birth_month FROM customers WHERE customer_id = 'u9'");
        assert.ok(u9!.birthday.startsWith('e1:'));
        assert.deepEqual([u9!.birth_year, u9!.birth_month], [1988, 11]);
      }));

    test('a message the processor cannot write is quarantined with its error and the ones behind it are written', () =>
      withStore(backend, async (store) => {
        await append(store, [track('ok-1')]);
        await store.execute(`INSERT INTO inbox (message_id, message, source, received_at) VALUES ('broken', 'not json', 'test', $1)`, [at]);
        await append(store, [track('ok-2')]);
        const errors: unknown[] = [];
        const processor = new InboxProcessor(store, { onError: (error) => errors.push(error) });
        await processor.drain();
        assert.equal(await countInbox(store), 0);
        const written = await store.query<{ message_id: string }>('SELECT message_id FROM events ORDER BY message_id');
        assert.deepEqual(written.map((r) => r.message_id), ['ok-1', 'ok-2']);
        const [failure] = await store.query<{ message_id: string; message: string; error: string }>('SELECT message_id, message, error FROM inbox_failures');
        assert.equal(failure?.message_id, 'broken');
        assert.equal(failure?.message, 'not json', 'the message is kept as it was');
        assert.match(failure?.error ?? '', /JSON/);
        assert.ok(errors.length >= 1, 'the failure was reported');
      }));

    if (backend === 'postgres') {
      test('one processor at a time per schema: a held lock stops its own schema only', () =>
        withStore(backend, (a) =>
          withStore(backend, async (b) => {
            await append(a, [track('in-a')]);
            await append(b, [track('in-b')]);
            let release!: () => void;
            let acquired!: () => void;
            const released = new Promise<void>((resolve) => (release = resolve));
            const locked = new Promise<void>((resolve) => (acquired = resolve));
            const holder = a.transaction(async (tx) => {
              const [row] = await tx.query<{ locked: boolean }>(dialect('postgres').tryInboxLock);
              assert.equal(row?.locked, true);
              acquired();
              await released;
            });
            await locked;
            assert.equal(await processInbox(a), 0, 'schema a is being processed elsewhere');
            assert.equal(await processInbox(b), 1, 'schema b is not');
            release();
            await holder;
            assert.equal(await processInbox(a), 1);
          }),
        ));
    }

    test('a running processor writes what is appended when woken, and drains the rest when stopped', () =>
      withStore(backend, async (store) => {
        const processor = new InboxProcessor(store, { pollMs: 60_000 });
        processor.start();
        await append(store, [track('w1')]);
        processor.wake();
        for (let tries = 0; (await countInbox(store)) > 0; tries++) {
          assert.ok(tries < 200, 'the woken processor did not write the message');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await append(store, [track('w2'), track('w3')]);
        await processor.stop();
        assert.equal(await countInbox(store), 0);
        const [row] = await store.query<{ n: number }>('SELECT count(*) AS n FROM events');
        assert.equal(Number(row?.n), 3);
      }));
  });
}
