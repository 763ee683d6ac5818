import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forgetKeyRing, rotateDataKey, sealExistingPersonalData } from '../../src/privacy/index.ts';
import { customerProfile } from '../../src/segment/index.ts';
import { migrate, openStore } from '../../src/store/index.ts';
import { BACKENDS, freshLocation, withStore } from '../helpers/backends.ts';
import { opened, ownerOf } from '../helpers/pii.ts';
import { send } from '../ingest/helpers.ts';

for (const backend of BACKENDS) {
  describe(`sealing a store written before encryption at rest on ${backend}`, () => {
    test('plain phones, emails and names are sealed once, stay findable, and a later message joins the same person', () =>
      withStore(backend, async (store) => {
        // What an earlier version wrote: plain identity values and profile columns.
        const at = new Date('2026-01-01T00:00:00Z');
        await store.insertRows('customers', ['customer_id', 'phone', 'email', 'name', 'created_at', 'updated_at'], [['m1', '+8613800138000', 'wf@qq.com', '王芳', at, at]]);
        await store.insertRows('identities', ['type', 'value', 'customer_id', 'source', 'created_at'], [
          ['user_id', 'm1', 'm1', 'old', at],
          ['phone', '+8613800138000', 'm1', 'old', at],
          ['email', 'wf@qq.com', 'm1', 'old', at],
        ]);
        assert.deepEqual(await sealExistingPersonalData(store), { identities: 2, customers: 1, conflicts: 0 });
        assert.deepEqual(await sealExistingPersonalData(store), { identities: 0, customers: 0, conflicts: 0 }, 'a second run finds nothing to do');

        const stored = await store.query<{ v: string }>(`SELECT phone AS v FROM customers UNION ALL SELECT email FROM customers UNION ALL SELECT name FROM customers UNION ALL SELECT value FROM identities WHERE type <> 'user_id'`);
        assert.ok(stored.every((r) => /^(e1|b1):/.test(r.v)), JSON.stringify(stored));
        assert.equal(await ownerOf(store, 'phone', '+8613800138000'), 'm1');
        const profile = await customerProfile(store, 'm1', { reveal: true });
        assert.deepEqual([profile.profile.name, profile.profile.phone, profile.profile.email], ['王芳', '+8613800138000', 'wf@qq.com']);
        assert.deepEqual(profile.identities.map((i) => `${i.type}:${i.value}`), ['email:wf@qq.com', 'phone:+8613800138000', 'user_id:m1']);

        // An anonymous visitor who gives the same phone joins m1 instead of becoming a second person.
        await send(store, { type: 'identify', anonymousId: 'a1', traits: { phone: '138 0013 8000' } });
        assert.equal(await ownerOf(store, 'anonymous_id', 'a1'), 'm1');

        // Rotating the data key re-encrypts profile columns, identity secrets, traits and event JSON; all read back.
        const rotation = await rotateDataKey(store, { graceMs: 0 });
        const changed = Object.fromEntries(rotation.columns.filter((c) => c.rowsChanged > 0).map((c) => [`${c.table}.${c.column}`, c.rowsChanged]));
        for (const column of ['customers.phone', 'customers.email', 'customers.name', 'identities.secret', 'customers.traits', 'events.properties']) assert.ok(changed[column], `${column} rotated: ${JSON.stringify(changed)}`);
        forgetKeyRing(store);
        const again = await customerProfile(store, 'm1', { reveal: true });
        assert.deepEqual([again.profile.name, again.profile.phone, again.profile.email], ['王芳', '+8613800138000', 'wf@qq.com']);
        assert.deepEqual(again.identities.map((i) => `${i.type}:${i.value}`), ['anonymous_id:a1', 'email:wf@qq.com', 'phone:+8613800138000', 'user_id:m1']);
        assert.equal(await ownerOf(store, 'phone', '+8613800138000'), 'm1', 'blind indexes do not change with the data key');
      }));

    test('a store from before migration 036: plain DATE birthdays are sealed once, with birth_year and birth_month filled', async () => {
      const { location, cleanup } = freshLocation(backend);
      const store = await openStore(location);
      try {
        await migrate(store, { through: 35 });
        const at = new Date('2026-01-01T00:00:00Z');
        await store.execute(
          `INSERT INTO customers (customer_id, birthday, created_at, updated_at) VALUES
             ('b1', CAST('1990-05-17' AS DATE), $1, $1), ('b2', CAST('2000-02-29' AS DATE), $1, $1), ('b3', NULL, $1, $1)`,
          [at],
        );
        await migrate(store);
        assert.deepEqual(await sealExistingPersonalData(store), { identities: 0, customers: 2, conflicts: 0 });
        assert.deepEqual(await sealExistingPersonalData(store), { identities: 0, customers: 0, conflicts: 0 }, 'a second run finds nothing to do');
        const rows = await store.query<{ customer_id: string; birthday: string | null; birth_year: number | null; birth_month: number | null }>('SELECT customer_id, birthday, birth_year, birth_month FROM customers ORDER BY customer_id');
        assert.deepEqual(rows.map((r) => [r.customer_id, r.birthday === null ? null : r.birthday.startsWith('e1:'), r.birth_year, r.birth_month]), [
          ['b1', true, 1990, 5],
          ['b2', true, 2000, 2],
          ['b3', null, null, null],
        ]);
        assert.deepEqual((await opened(store, rows, ['birthday'])).map((r) => r.birthday), ['1990-05-17', '2000-02-29', null]);
        const profile = await customerProfile(store, 'b2', { reveal: true });
        assert.equal(profile.profile.birthday, '2000-02-29');
        assert.equal((await customerProfile(store, 'b1')).profile.birthday, '1990-**-**', 'masked: the year only');
      } finally {
        await store.close();
        await cleanup();
      }
    });
  });
}
