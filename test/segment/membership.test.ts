import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { computeAttributes, computeLayers, customerProfile, layerMigration, listSegments, refreshSegment, saveSegment } from '../../src/segment/index.ts';
import { mergeProfiles } from '../../src/ingest/index.ts';
import { migrate, openStore, type Store } from '../../src/store/index.ts';
import { BACKENDS, freshLocation, withStore } from '../helpers/backends.ts';
import { load } from './fixture.ts';

const intervals = async (store: Store) =>
  (await store.query<{ customer_id: string; entered_on: string; left_on: string | null }>('SELECT customer_id, entered_on, left_on FROM segment_membership ORDER BY customer_id, entered_on')).map(
    (r) => `${r.customer_id} ${r.entered_on}→${r.left_on ?? ''}`,
  );

for (const backend of BACKENDS) {
  describe(`segment membership on ${backend}`, () => {
    test('migration 019 turns daily snapshots into intervals and a log of the refreshed days', async () => {
      const { location, cleanup } = freshLocation(backend);
      const store = await openStore(location);
      try {
        await migrate(store, { through: 18 });
        const at = new Date('2026-07-01T00:00:00Z');
        await store.insertRows('segments', ['name', 'definition', 'created_at', 'updated_at', 'refreshed_at'], [['s', '{"attribute":"recency_days","op":"<=","value":30}', at, at, at]]);
        // Refreshed on three days. A is in on all; B leaves on the second and is back on the third; C is in on the
        // second only; D on the first only.
        const snapshots = { '2026-06-01': ['A', 'B', 'D'], '2026-06-02': ['A', 'C'], '2026-06-03': ['A', 'B'] };
        await store.insertRows('segment_snapshots', ['customer_id', 'segment', 'as_of'], Object.entries(snapshots).flatMap(([day, ids]) => ids.map((id) => [id, 's', day])));
        await migrate(store);
        assert.deepEqual(await intervals(store), ['A 2026-06-01→', 'B 2026-06-01→2026-06-02', 'B 2026-06-03→', 'C 2026-06-02→2026-06-03', 'D 2026-06-01→2026-06-02']);
        const log = await store.query<{ as_of: string; members: number; entered: number; exited: number }>('SELECT as_of, members, entered, exited FROM segment_refreshes ORDER BY as_of');
        assert.deepEqual(log.map((r) => [r.as_of, Number(r.members), Number(r.entered), Number(r.exited)]), [['2026-06-01', 3, 3, 0], ['2026-06-02', 2, 1, 2], ['2026-06-03', 2, 1, 1]]);
        const moved = await layerMigration(store, { segment: 's' }, '2026-06-01', '2026-06-03');
        assert.deepEqual(moved.links, [{ source: 'in', target: 'in', customers: 2 }, { source: 'in', target: 'out', customers: 1 }]);
      } finally {
        await store.close();
        await cleanup();
      }
    });

    test('a refresh writes only who entered and left; a day between refreshes reads the one before; earlier days are refused', () =>
      withStore(backend, async (store) => {
        await load(store);
        await saveSegment(store, { name: 'recent', definition: { attribute: 'recency_days', op: '<=', value: 30 } });
        await computeAttributes(store, { asOf: '2026-06-30' });
        await refreshSegment(store, 'recent', { asOf: '2026-06-30' }); // A (2 days), B (29), E (0)
        await computeAttributes(store, { asOf: '2026-07-05' });
        const second = await refreshSegment(store, 'recent', { asOf: '2026-07-05' }); // B is 34 days now
        assert.deepEqual([second.members, second.entered, second.exited, second.previous], [2, 0, 1, '2026-06-30']);
        assert.deepEqual(await intervals(store), ['A 2026-06-30→', 'B 2026-06-30→2026-07-05', 'E 2026-06-30→']);
        // 07-02 was not refreshed: membership then is that of 06-30.
        const between = await layerMigration(store, { segment: 'recent' }, '2026-07-02', '2026-07-05');
        assert.deepEqual(between.links, [{ source: 'in', target: 'in', customers: 2 }, { source: 'in', target: 'out', customers: 1 }]);
        const before = await layerMigration(store, { segment: 'recent' }, '2026-06-01', '2026-06-30');
        assert.deepEqual(before.links, [{ source: 'out', target: 'in', customers: 3 }], 'nobody is in before the first refresh');
        await assert.rejects(refreshSegment(store, 'recent', { asOf: '2026-07-01' }), (e: unknown) => isSiyuError(e) && e.code === 'refresh_before_latest' && /2026-07-05/.test(e.message));
        // The profile lists the segments a customer is in as of each one's latest refresh; the list reads the day's log.
        assert.deepEqual((await customerProfile(store, 'A', { reveal: true })).segments, [{ name: 'recent', asOf: '2026-07-05' }]);
        assert.deepEqual((await customerProfile(store, 'B', { reveal: true })).segments, []);
        assert.deepEqual((await listSegments(store)).map((s) => [s.name, s.members, s.asOf]), [['recent', 2, '2026-07-05']]);
        // The nightly job leaves a segment refreshed as of a later day alone, and says so.
        const nightly = await computeLayers(store, { asOf: '2026-07-01' });
        assert.deepEqual(nightly.skippedSegments, ['recent']);
        assert.ok(!nightly.steps.some((s) => s.step.startsWith('segment ')));
      }));

    test('a merge keeps the survivor\'s membership of a segment and takes the other\'s only where it has none', () =>
      withStore(backend, async (store) => {
        const at = new Date('2026-07-01T00:00:00Z');
        await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], [['S', at, at], ['L', at, at]]);
        // S has been in a since 06-01; L in a since 06-10 (overlapping) and in b from 06-05 to 06-20.
        await store.insertRows('segment_membership', ['customer_id', 'segment', 'entered_on', 'left_on'], [
          ['S', 'a', '2026-06-01', null],
          ['L', 'a', '2026-06-10', null],
          ['L', 'b', '2026-06-05', '2026-06-20'],
        ]);
        await store.transaction((tx) => mergeProfiles(tx, { survivor: 'S', loser: 'L', reason: 'identify', at }));
        assert.deepEqual(await intervals(store), ['S 2026-06-01→', 'S 2026-06-05→2026-06-20']);
      }));
  });
}
