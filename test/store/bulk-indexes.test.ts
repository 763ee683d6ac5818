import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withIndexesRebuilt, type Queryable } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const definitions = (db: Queryable) =>
  db.query<{ name: string; definition: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = to_regclass('orders') ORDER BY i.relname`,
  );

const ORDER = (id: string) => ['M1', id, new Date('2026-01-01T00:00:00Z'), 'completed', 100, 0, 0, 'CNY', null, null, null, 'test', new Date('2026-01-02T00:00:00Z')];
const COLUMNS = ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'channel', 'store_id', 'coupon_code', 'source', 'updated_at'];

for (const backend of BACKENDS.filter((b) => b === 'postgres')) {
  describe(`bulk loads on ${backend}`, () => {
    test('a large load into orders drops its key and indexes and builds the same ones again, and a failed load keeps them', () =>
      withStore(backend, async (store) => {
        const before = await definitions(store);
        assert.ok(before.some((d) => d.name === 'orders_pkey') && before.some((d) => d.name === 'orders_placed_at'));
        await store.transaction((tx) =>
          withIndexesRebuilt(tx, 'orders', 2, async () => {
            assert.deepEqual(await definitions(tx), [], 'no index while loading');
            await tx.insertRows('orders', COLUMNS, [ORDER('O1'), ORDER('O2')]);
          }, 0),
        );
        assert.deepEqual(await definitions(store), before);
        // The rebuilt key still refuses a duplicate, and a load that fails leaves the indexes as they were.
        await assert.rejects(
          store.transaction((tx) => withIndexesRebuilt(tx, 'orders', 1, () => tx.insertRows('orders', COLUMNS, [ORDER('O1')]), 0)),
          (error: { kind: string }) => error.kind === 'conflict',
        );
        assert.deepEqual(await definitions(store), before);
        const [row] = await store.query<{ n: number }>('SELECT count(*) AS n FROM orders');
        assert.equal(row?.n, 2);
      }));
  });
}
