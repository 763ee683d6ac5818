import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeProfiles, normaliseEmail, normalisePhone } from '../../src/ingest/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { opened, openedTraits, storedValue } from '../helpers/pii.ts';
import { customerOf, eventCustomers, send } from './helpers.ts';

describe('identifier normal forms', () => {
  const phones: [string, string | undefined][] = [
    ['13800138000', '+8613800138000'],
    ['138 0013 8000', '+8613800138000'],
    ['+86 138-0013-8000', '+8613800138000'],
    ['8613800138000', '+8613800138000'],
    ['0086 13800138000', '+8613800138000'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['1380013800', undefined], // a CN mobile with a digit missing
    ['not a phone', undefined],
  ];
  for (const [raw, expected] of phones) test(`phone ${JSON.stringify(raw)} becomes ${expected ?? 'invalid'}`, () => assert.equal(normalisePhone(raw), expected));
  test('emails are trimmed and lower-cased, and nonsense is refused', () => {
    assert.equal(normaliseEmail('  Li.Na@Example.COM '), 'li.na@example.com');
    assert.equal(normaliseEmail('li.na@'), undefined);
  });
});

for (const backend of BACKENDS) {
  describe(`identity resolution on ${backend}`, () => {
    test('an identify with a user id and phone makes one profile that both identifiers find', () =>
      withStore(backend, async (store) => {
        await send(store, { type: 'identify', userId: 'u1', traits: { phone: '138 0013 8000', name: '王芳', email: 'WF@qq.com' } });
        assert.equal(await customerOf(store, 'user_id', 'u1'), 'u1');
        assert.equal(await customerOf(store, 'phone', '+8613800138000'), 'u1');
        assert.equal(await customerOf(store, 'email', 'wf@qq.com'), 'u1');
        const [stored] = await store.query<{ name: string; phone: string; traits: Record<string, unknown> }>('SELECT name, phone, traits FROM customers WHERE customer_id = $1', ['u1']);
        const storedTraits = (typeof stored?.traits === 'string' ? JSON.parse(stored.traits) : stored?.traits) as Record<string, unknown>;
        assert.ok([stored?.name, stored?.phone, storedTraits.name, storedTraits.phone].every((v) => typeof v === 'string' && v.startsWith('e1:')), 'name and phone are stored sealed, in the columns and the traits');
        const [profile] = await opened(store, [stored!]);
        assert.deepEqual([profile?.name, profile?.phone, (await openedTraits(store, stored?.traits)).name], ['王芳', '+8613800138000', '王芳']);
      }));

    test('anonymous browsing joins the member once an identify links the anonymousId', () =>
      withStore(backend, async (store) => {
        await send(store, { type: 'track', anonymousId: 'a1', event: 'Product Viewed', properties: { sku: 'S1' } });
        await send(store, { type: 'page', anonymousId: 'a1', name: '首页' });
        await send(store, { type: 'identify', userId: 'u1', anonymousId: 'a1', traits: { phone: '13800138000' } });
        assert.deepEqual(await eventCustomers(store), ['u1']);
        const merges = await store.query('SELECT customer_id, merged_id, reason, evidence FROM customer_merges');
        assert.deepEqual(merges, [{ customer_id: 'u1', merged_id: 'anon:a1', reason: 'identify', evidence: 'anonymous_id:a1' }]);
        const [old] = await store.query<{ merged_into: string }>('SELECT merged_into FROM customers WHERE customer_id = $1', ['anon:a1']);
        assert.equal(old?.merged_into, 'u1');
      }));

    test('a chain of shared identifiers folds three profiles into the member, in any batch layout', () =>
      withStore(backend, async (store) => {
        // device D links anonymous a1 and a2; a2 carries phone P in context.traits; member u9 then claims P.
        await send(store, { type: 'track', anonymousId: 'a1', event: 'App Opened', context: { device: { id: 'D' } } });
        await send(
          store,
          { type: 'track', anonymousId: 'a2', event: 'App Opened', context: { device: { id: 'D' }, traits: { phone: '13900139000' } } },
          { type: 'identify', userId: 'u9', traits: { phone: '+86 139 0013 9000', unionid: 'UN9' } },
        );
        assert.deepEqual(await eventCustomers(store), ['u9']);
        for (const [type, value] of [['device', 'D'], ['anonymous_id', 'a1'], ['anonymous_id', 'a2'], ['phone', '+8613900139000'], ['unionid', 'UN9']]) {
          assert.equal(await customerOf(store, type!, value!), 'u9', `${type}:${value}`);
        }
        // a2 arrived with device D, already known, so it joined a1's profile directly: one merge into u9, not two.
        const merges = await store.query('SELECT customer_id, merged_id, evidence FROM customer_merges');
        assert.deepEqual(merges, [{ customer_id: 'u9', merged_id: 'anon:a1', evidence: `phone:${await storedValue(store, 'phone', '+8613900139000')}` }]);
      }));

    test('two members never merge on a shared phone: the conflict is recorded and the first owner keeps it', () =>
      withStore(backend, async (store) => {
        await send(store, { type: 'identify', userId: 'u1', traits: { phone: '13800138000' } });
        await send(store, { type: 'identify', userId: 'u2', traits: { phone: '13800138000' } });
        assert.equal(await customerOf(store, 'phone', '+8613800138000'), 'u1');
        assert.equal(await customerOf(store, 'user_id', 'u2'), 'u2');
        const conflicts = await store.query('SELECT customer_id, type, value, owner_id FROM identity_conflicts');
        assert.deepEqual(conflicts, [{ customer_id: 'u2', type: 'phone', value: await storedValue(store, 'phone', '+8613800138000'), owner_id: 'u1' }]);
        assert.deepEqual(await store.query('SELECT * FROM customer_merges'), []);
      }));

    test('alias is the explicit instruction that merges two members', () =>
      withStore(backend, async (store) => {
        await send(store, { type: 'identify', userId: 'old-42', traits: { member_no: 'M42' } });
        await send(store, { type: 'track', userId: 'old-42', event: 'Coupon Applied' });
        await send(store, { type: 'identify', userId: 'new-42' });
        await send(store, { type: 'alias', previousId: 'old-42', userId: 'new-42' });
        assert.equal(await customerOf(store, 'member_no', 'M42'), 'new-42');
        assert.equal(await customerOf(store, 'user_id', 'old-42'), 'new-42');
        assert.deepEqual(await eventCustomers(store), ['new-42']);
      }));

    test('a merge moves keyed rows without a key constraint, and where both profiles hold the key the survivor\'s row wins', () =>
      withStore(backend, async (store) => {
        const at = new Date('2026-01-01T00:00:00Z');
        await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], [['keep', at, at], ['gone', at, at]]);
        const order = (customer: string, id: string, fen: number) => [customer, id, at, 'completed', fen, 0, 0, 'CNY', at];
        await store.insertRows('orders', ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'updated_at'], [
          order('keep', 'A', 100),
          order('gone', 'A', 999),
          order('gone', 'B', 200),
        ]);
        const score = (customer: string, clv: number) => [customer, 0.5, 1, 100, clv, '2026-01-01'];
        await store.insertRows('clv_scores', ['customer_id', 'p_alive', 'expected_orders_90d', 'expected_aov_fen', 'clv_12m_fen', 'as_of'], [score('keep', 1), score('gone', 2)]);
        await store.transaction((tx) => mergeProfiles(tx, { survivor: 'keep', loser: 'gone', reason: 'alias', at }));
        const orders = await store.query<{ customer_id: string; order_id: string; total_fen: number }>('SELECT customer_id, order_id, total_fen FROM orders ORDER BY order_id');
        assert.deepEqual(orders, [{ customer_id: 'keep', order_id: 'A', total_fen: 100 }, { customer_id: 'keep', order_id: 'B', total_fen: 200 }]);
        assert.deepEqual(await store.query('SELECT customer_id, clv_12m_fen FROM clv_scores'), [{ customer_id: 'keep', clv_12m_fen: 1 }]);
      }));

    test('openids are kept per app, so the same openid in two apps is two identifiers', () =>
      withStore(backend, async (store) => {
        await send(store, { type: 'identify', userId: 'u1', traits: { openid: 'o-1', openid_app: 'mp-shop' } });
        await send(store, { type: 'identify', userId: 'u2', traits: { openids: { 'mp-club': 'o-1' } } });
        assert.equal(await customerOf(store, 'openid:mp-shop', 'o-1'), 'u1');
        assert.equal(await customerOf(store, 'openid:mp-club', 'o-1'), 'u2');
      }));

    test('a WeCom external_userid in identify traits is an identifier that joins the profile holding the same unionid', () =>
      withStore(backend, async (store) => {
        await send(store, { type: 'identify', userId: 'u1', traits: { unionid: 'UN1' } });
        await send(store, { type: 'identify', anonymousId: 'a1', traits: { external_userid: 'wm-1', unionid: 'UN1' } });
        assert.equal(await customerOf(store, 'external_userid', 'wm-1'), 'u1');
      }));

    test('later traits override earlier ones key by key and profile columns keep the last known value', () =>
      withStore(backend, async (store) => {
        await send(store, { type: 'identify', userId: 'u1', traits: { name: '李雷', city: '杭州', level: 'silver' } });
        await send(store, { type: 'identify', userId: 'u1', traits: { level: 'gold', gender: '男' } });
        const [row] = await store.query<{ traits: Record<string, unknown>; city: string; gender: string }>('SELECT traits, city, gender FROM customers WHERE customer_id = $1', ['u1']);
        assert.deepEqual(await openedTraits(store, row?.traits), { name: '李雷', city: '杭州', level: 'gold', gender: '男' });
        assert.equal(row?.city, '杭州');
        assert.equal(row?.gender, 'm');
      }));

    test('a birthday is stored sealed with its year and month plain beside it; a merge carries all three; a non-date is ignored', () =>
      withStore(backend, async (store) => {
        await send(store, { type: 'identify', anonymousId: 'a1', traits: { birthday: '1992-02-29T00:00:00+08:00', phone: '13900139001' } });
        await send(store, { type: 'identify', userId: 'u7', traits: { phone: '13900139001' } });
        await send(store, { type: 'identify', userId: 'u8', traits: { birthday: '1990-02-30' } });
        const rows = await store.query<{ customer_id: string; birthday: string | null; birth_year: number | null; birth_month: number | null }>(
          "SELECT customer_id, birthday, birth_year, birth_month FROM customers WHERE customer_id IN ('u7', 'u8') ORDER BY customer_id",
        );
        assert.ok(rows[0]!.birthday?.startsWith('e1:') && !rows[0]!.birthday.includes('1992'), 'the raw column holds a token');
        assert.deepEqual(await opened(store, rows), [
          { customer_id: 'u7', birthday: '1992-02-29', birth_year: 1992, birth_month: 2 },
          { customer_id: 'u8', birthday: null, birth_year: null, birth_month: null },
        ]);
      }));
  });
}
