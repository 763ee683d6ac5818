import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { BUILT_IN_ATTRIBUTES, compileSegment, computeAttributes, customerAttributes, defineAttribute, dropAttribute } from '../../src/segment/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { INLINE_CHANNELS, purchaseChannels } from '../../src/segment/attribute-query.ts';
import { send } from '../ingest/helpers.ts';
import { load } from './fixture.ts';

const attributes = async (store: Store, id: string) => (await customerAttributes(store, id))!;

for (const backend of BACKENDS) {
  describe(`computed attributes on ${backend}`, () => {
    test('more than 50 built-in attributes, checked by hand on the fixture', () =>
      withStore(backend, async (store) => {
        assert.ok(BUILT_IN_ATTRIBUTES.length >= 50, `${BUILT_IN_ATTRIBUTES.length} attributes`);
        assert.equal(new Set(BUILT_IN_ATTRIBUTES.map((a) => a.name)).size, BUILT_IN_ATTRIBUTES.length, 'names are unique');
        assert.ok(BUILT_IN_ATTRIBUTES.every((a) => a.zh && a.en && a.description));
        await load(store);
        const report = await computeAttributes(store, { asOf: '2026-06-30' });
        assert.deepEqual([report.customers, report.attributes], [7, BUILT_IN_ATTRIBUTES.length]);
        // F bought 300 yuan on 01-01, 02-01, 03-01 and 04-01: gaps 31, 28, 31.
        const f = await attributes(store, 'F');
        assert.deepEqual(
          [f.recency_days, f.tenure_days, f.orders_lifetime, f.orders_90d, f.orders_180d, f.orders_365d, f.monetary_lifetime, f.aov, f.median_interpurchase_days, f.mean_interpurchase_days, f.purchase_days, f.is_repeat_buyer, f.refund_rate, f.first_order_date, f.last_order_date],
          [90, 180, 4, 0, 3, 4, 1200, 300, 31, 30, 4, 1, 0, '2026-01-01', '2026-04-01'],
        );
        // E: one completed order of 80 on 06-30; one cancelled (06-29) and one refunded in full (06-20) do not count as purchases.
        const e = await attributes(store, 'E');
        assert.deepEqual([e.orders_lifetime, e.monetary_lifetime, e.refund_rate, e.cancelled_orders, e.is_repeat_buyer], [1, 80, 1 / 3, 1, 0]);
        // G never bought: zeros where a count makes sense, nothing where it does not.
        const g = await attributes(store, 'G');
        assert.deepEqual([g.orders_lifetime, g.monetary_lifetime, g.recency_days, g.aov], [0, 0, null, null]);
      }));

    test('age_years counts whole years by birth year, and the birth_month field finds 生日月 members, from the plain parts of sealed birthdays', () =>
      withStore(backend, async (store) => {
        await send(
          store,
          { type: 'identify', userId: 'may', traits: { birthday: '1990-05-17' } },
          { type: 'identify', userId: 'dec', traits: { birthday: '1990-12-31' } },
          { type: 'identify', userId: 'kid', traits: { birthday: '2010-05-01' } },
          { type: 'identify', userId: 'none', traits: { city: '上海' } },
        );
        const asOf = '2026-06-30';
        await computeAttributes(store, { asOf });
        const ages = await Promise.all(['may', 'dec', 'kid', 'none'].map(async (id) => (await attributes(store, id)).age_years));
        // dec is 35 on 2026-06-30 to the day, 36 by birth year: the documented rule.
        assert.deepEqual(ages, [36, 36, 16, null]);
        const members = async (definition: unknown) => {
          const { sql, params } = await compileSegment(store, definition, asOf);
          return (await store.query<{ customer_id: string }>(`SELECT customer_id FROM (${sql}) m ORDER BY customer_id`, params)).map((r) => r.customer_id);
        };
        assert.deepEqual(await members({ attribute: 'age_years', op: '>=', value: 36 }), ['dec', 'may']);
        assert.deepEqual(await members({ field: 'birth_month', op: '=', value: 5 }), ['kid', 'may']);
        assert.deepEqual(await members({ all: [{ field: 'birth_month', op: '=', value: 5 }, { attribute: 'age_years', op: '>', value: 18 }] }), ['may']);
      }));

    test('favourite weekday and hour take the smallest on ties; the first channel is the earliest order\'s, alphabetical at one instant', () =>
      withStore(backend, async (store) => {
        const at = new Date('2026-06-01T00:00:00Z');
        await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], [['W', at, at], ['V', at, at]]);
        // Brand time is Asia/Shanghai (UTC+8); 2026-06-01 is a Monday. Mondays 3, Tuesdays 2; hours 10 and 20 twice each.
        const order = (id: string, utc: string, channel: string, customer = 'W') => [customer, id, new Date(utc), 'completed', 1000, 0, 0, 'CNY', at, channel];
        await store.insertRows('orders', ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'updated_at', 'channel'], [
          order('W1', '2026-06-01T02:00:00Z', 'app'),
          order('A0', '2026-06-01T03:00:00Z', 'mini'),
          order('W2', '2026-06-02T02:30:00Z', 'store'),
          order('W3', '2026-06-08T12:00:00Z', 'store'),
          order('W4', '2026-06-09T12:00:00Z', 'store'),
          // V's first two orders share an instant; one channel each time, so the favourite is a tie too.
          order('V1', '2026-06-03T02:00:00Z', 'store', 'V'),
          order('V2', '2026-06-03T02:00:00Z', 'app', 'V'),
        ]);
        await computeAttributes(store, { asOf: '2026-06-30' });
        const w = await attributes(store, 'W');
        assert.deepEqual([w.favourite_weekday, w.favourite_hour, w.first_channel, w.favourite_channel, w.channels_used], [1, 10, 'app', 'store', 3], 'W1 is earlier than A0');
        const v = await attributes(store, 'V');
        assert.deepEqual([v.first_channel, v.favourite_channel, v.channels_used], ['app', 'app', 2]);
      }));

    test('channel attributes are the same whether the brand has few channels or more than one pass counts', () =>
      withStore(backend, async (store) => {
        const at = new Date('2026-06-01T00:00:00Z');
        await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], [['X', at, at], ['Y', at, at], ['Z', at, at]]);
        const columns = ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'updated_at', 'channel'];
        const order = (customer: string, id: string, day: number, channel: string | null, status = 'completed') =>
          [customer, id, new Date(Date.UTC(2026, 5, day, 2)), status, 1000, 0, 0, 'CNY', at, channel];
        // X: first on 'mini', then 'store' twice and 'app' twice (a tie: alphabetical), and a cancelled order on 'tmall'
        // that is no purchase. Y's purchases have no channel.
        await store.insertRows('orders', columns, [
          order('X', 'X1', 2, 'mini'), order('X', 'X2', 3, 'store'), order('X', 'X3', 4, 'app'), order('X', 'X4', 5, 'store'), order('X', 'X5', 6, 'app'),
          order('X', 'X6', 7, 'tmall', 'cancelled'), order('Y', 'Y1', 2, null),
        ]);
        const channelAttributes = async (id: string) => {
          const a = await attributes(store, id);
          return [a.first_channel, a.favourite_channel, a.channels_used];
        };
        await computeAttributes(store, { asOf: '2026-06-30' });
        const few = [await channelAttributes('X'), await channelAttributes('Y')];
        assert.deepEqual(few, [['mini', 'app', 3], [null, null, 0]]);
        // Z buys on INLINE_CHANNELS + 1 channels of its own, so the brand has more channels than fit in one pass.
        await store.insertRows('orders', columns, Array.from({ length: INLINE_CHANNELS + 1 }, (_, i) => order('Z', `Z${i}`, 10 + i, `z${String(i).padStart(2, '0')}`)));
        assert.ok((await purchaseChannels(store)).length > INLINE_CHANNELS);
        await computeAttributes(store, { asOf: '2026-06-30' });
        assert.deepEqual([await channelAttributes('X'), await channelAttributes('Y')], few);
        assert.deepEqual(await channelAttributes('Z'), ['z00', 'z00', INLINE_CHANNELS + 1]);
      }));

    test('a brand adds its own attribute; bad names, clashes and SQL that does not compile are refused with the field', () =>
      withStore(backend, async (store) => {
        await load(store);
        await defineAttribute(store, { name: 'big_spender', zh: '高消费', en: 'Big spender', description: 'Spent over 1,000 yuan.', type: 'number', sql: 'CASE WHEN o.spend_fen > 100000 THEN 1 ELSE 0 END' });
        const report = await computeAttributes(store, { asOf: '2026-06-30' });
        assert.equal(report.attributes, BUILT_IN_ATTRIBUTES.length + 1);
        assert.deepEqual([(await attributes(store, 'C')).big_spender, (await attributes(store, 'F')).big_spender, (await attributes(store, 'A')).big_spender], [1, 1, 0]);
        const refused = async (definition: Parameters<typeof defineAttribute>[1], code: string, path?: string) =>
          assert.rejects(defineAttribute(store, definition), (e: unknown) => isSiyuError(e) && e.code === code && (path === undefined || e.details[0]?.path === path));
        const base = { zh: 'x', en: 'x', description: 'x', type: 'number' as const, sql: '1' };
        await refused({ ...base, name: 'Big Spender' }, 'invalid_attribute', 'name');
        await refused({ ...base, name: 'recency_days' }, 'built_in_attribute');
        await refused({ ...base, name: 'x2', sql: 'o.no_such_column + 1' }, 'invalid_attribute_sql', 'sql');
        await refused({ ...base, name: 'x3', sql: '1; DROP TABLE customers' }, 'invalid_attribute', 'sql');
        assert.equal(await dropAttribute(store, 'big_spender'), true);
        assert.equal(await dropAttribute(store, 'big_spender'), false);
      }));
  });
}
