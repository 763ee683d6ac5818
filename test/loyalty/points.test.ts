import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { awardPoints, checkPoints, customerTier, evaluateTiers, expirePoints, pointsBalance, pointsLedger, spendPoints, writeLoyaltySettings } from '../../src/loyalty/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { customerOf, send } from '../ingest/helpers.ts';

const T0 = new Date('2026-06-01T04:00:00Z');
const day = (n: number) => new Date(T0.getTime() + n * 86_400_000);
const order = (id: string, yuan: number, at = T0, extra: Record<string, unknown> = {}) => ({ type: 'track', event: 'Order Completed', userId: 'u1', timestamp: at.toISOString(), properties: { order_id: id, total: yuan, ...extra } });

/** The brand sets up its points programme and tiers with the defaults. */
async function programme(store: Store) {
  await writeLoyaltySettings(store, 'points', {});
  await writeLoyaltySettings(store, 'tiers', {});
}

async function expectConsistent(store: Store) {
  const check = await checkPoints(store);
  assert.deepEqual(check.mismatches, []);
}

for (const backend of BACKENDS) {
  describe(`points ledger (${backend})`, () => {
    test('without a programme set up, orders earn no points and no growth', async () => {
      await withStore(backend, async (store) => {
        await send(store, order('o1', 199.5));
        const [n] = await store.query<{ n: number }>('SELECT (SELECT count(*) FROM points_ledger) + (SELECT count(*) FROM growth_ledger) AS n');
        assert.equal(Number(n!.n), 0);
      });
    });

    test('an order earns its yuan in points, pending for 15 days; a redelivery earns nothing again', async () => {
      await withStore(backend, async (store) => {
        await programme(store);
        await send(store, order('o1', 199.5));
        await send(store, order('o1', 199.5));
        const c = (await customerOf(store, 'user_id', 'u1'))!;
        assert.deepEqual(await pointsBalance(store, c, day(1)), { customerId: c, balance: 199, pending: 199, active: 0, expiring: [{ expiresAt: new Date('2027-12-31T16:00:00Z'), points: 199 }] });
        assert.equal((await pointsBalance(store, c, day(16))).active, 199);
        await assert.rejects(spendPoints(store, { customerId: c, key: 'pay-1', points: 10, now: day(2) }), /usable points/);
        assert.equal((await customerTier(store, c, day(1))).tier, '普通');
        await expectConsistent(store);
      });
    });

    test('spending takes the earliest-expiring usable bucket first, within the per-order cap, once per key', async () => {
      await withStore(backend, async (store) => {
        await programme(store);
        await send(store, { type: 'identify', userId: 'u1', traits: { name: 'A' } });
        const c = (await customerOf(store, 'user_id', 'u1'))!;
        await writeLoyaltySettings(store, 'points', { expiry: { kind: 'rolling', months: 12 } });
        await store.transaction((tx) =>
          awardPoints(tx, [
            { customerId: c, key: 'late', points: 100, source: 'staff', reason: 'goodwill', isImmediate: true, at: day(10) },
            { customerId: c, key: 'early', points: 100, source: 'event', sourceId: 'Checked In', isImmediate: true, at: day(0) },
          ], { now: day(10) }),
        );
        const again = await store.transaction((tx) => awardPoints(tx, [{ customerId: c, key: 'early', points: 100, source: 'event', isImmediate: true }], { now: day(11) }));
        assert.equal(again[0]!.outcome, 'duplicate');
        await assert.rejects(spendPoints(store, { customerId: c, key: 'cap', points: 150, orderTotalFen: 200, now: day(12) }), /at most ¥1.00/);
        const spent = await spendPoints(store, { customerId: c, key: 'pay', points: 120, orderTotalFen: 30_000, now: day(12) });
        assert.deepEqual(spent, { key: 'pay', points: 120, valueFen: 120, isReplay: false });
        assert.equal((await spendPoints(store, { customerId: c, key: 'pay', points: 120, orderTotalFen: 30_000, now: day(12) })).isReplay, true);
        const alloc = await store.query<{ bucket_key: string; points: number }>(`SELECT bucket_key, points FROM points_allocations WHERE entry_key = 'pay' ORDER BY bucket_key`);
        assert.deepEqual(alloc.map((a) => [a.bucket_key, Number(a.points)]), [['early', 100], ['late', 20]]);
        assert.equal((await pointsBalance(store, c, day(12))).balance, 80);
        await expectConsistent(store);
      });
    });

    test('refunds reverse earned points (pending first) and give back points spent on the order; expiry runs once', async () => {
      await withStore(backend, async (store) => {
        await programme(store);
        await send(store, order('o1', 300));
        const c = (await customerOf(store, 'user_id', 'u1'))!;
        await store.transaction((tx) => awardPoints(tx, [{ customerId: c, key: 'gift', points: 500, source: 'staff', isImmediate: true, at: T0 }], { now: T0 }));
        await spendPoints(store, { customerId: c, key: 'pay-o2', points: 100, orderId: 'o2', now: day(1) });
        await store.execute(`UPDATE points_ledger SET order_id = 'o2' WHERE entry_key = 'pay-o2'`); // the spend belongs to order o2
        await send(store, order('o2', 200, day(1)));
        // o1: half refunded while pending, then the rest
        const refund = { type: 'track', event: 'Order Refunded', userId: 'u1', timestamp: day(2).toISOString(), properties: { order_id: 'o1', total: 150 } };
        await send(store, refund);
        await send(store, refund);
        // o2 cancelled: its 200 earned points go, the 100 spent come back
        const cancel = { type: 'track', event: 'Order Cancelled', userId: 'u1', timestamp: day(2).toISOString(), properties: { order_id: 'o2' } };
        await send(store, cancel);
        await send(store, cancel);
        const entries = (await pointsLedger(store, c)).map((e) => `${e.key} ${e.points}`).sort();
        assert.deepEqual(entries, ['gift 500', 'order:o1:earn 300', 'order:o1:unearn:1000000 -150', 'order:o1:unearn:500000 -150', 'order:o2:earn 200', 'order:o2:restore:1000000 100', 'order:o2:unearn:1000000 -200', 'pay-o2 -100'].sort());
        assert.equal((await pointsBalance(store, c, day(2))).balance, 500);
        await expectConsistent(store);
        const growth = await customerTier(store, c, day(2));
        assert.equal(growth.growth, 0);
        // calendar expiry: everything earned in 2026 goes at the end of 2027
        const first = await expirePoints(store, new Date('2028-01-01T00:00:00Z'));
        assert.deepEqual(first, { buckets: 1, points: 500, customers: 1, reminders: 0 });
        const second = await expirePoints(store, new Date('2028-01-02T00:00:00Z'));
        assert.equal(second.buckets, 0);
        assert.equal((await pointsBalance(store, c, new Date('2028-01-02T00:00:00Z'))).balance, 0);
        await expectConsistent(store);
      });
    });

    test('points about to expire send one Points Expiring event per customer and day', async () => {
      await withStore(backend, async (store) => {
        await programme(store);
        await send(store, { type: 'identify', userId: 'u1', traits: { name: 'A' } });
        const c = (await customerOf(store, 'user_id', 'u1'))!;
        await store.transaction((tx) => awardPoints(tx, [{ customerId: c, key: 'a', points: 40, source: 'staff', isImmediate: true, at: T0 }], { now: T0 }));
        const near = new Date('2027-12-28T00:00:00Z');
        assert.equal((await expirePoints(store, near)).reminders, 1);
        assert.equal((await expirePoints(store, near)).reminders, 0);
        const [e] = await store.query<{ properties: unknown }>(`SELECT properties FROM events WHERE name = 'Points Expiring'`);
        assert.equal(Number((typeof e!.properties === 'string' ? JSON.parse(e!.properties) : e!.properties).points), 40);
      });
    });
  });

  describe(`member tiers (${backend})`, () => {
    test('growth upgrades at once; evaluation keeps the tier at 80%, starts a grace period below, then downgrades', async () => {
      await withStore(backend, async (store) => {
        await programme(store);
        await send(store, order('o1', 1200, T0));
        const c = (await customerOf(store, 'user_id', 'u1'))!;
        assert.equal((await customerTier(store, c, T0)).tier, '高级');
        const [ev] = await store.query<{ properties: unknown }>(`SELECT properties FROM events WHERE name = 'Tier Changed'`);
        assert.equal(ev, undefined); // a first enrolment is no change
        await send(store, order('o2', 4000, day(1)));
        assert.equal((await customerTier(store, c, day(1))).tier, 'VIP');
        assert.equal((await store.query(`SELECT 1 FROM events WHERE name = 'Tier Changed'`)).length, 1);
        // 365 days after o1, o1 has left the window: growth 4000 ≥ 80% of 5000 → kept
        assert.equal((await evaluateTiers(store, day(365))).changed, 0);
        assert.equal((await customerTier(store, c, day(365))).tier, 'VIP');
        // after o2 leaves the window: growth 0 → grace, then downgrade to the tier it qualifies for
        await evaluateTiers(store, day(380));
        const graced = await customerTier(store, c, day(380));
        assert.equal(graced.tier, 'VIP');
        assert.ok(graced.graceUntil);
        assert.equal((await evaluateTiers(store, day(400))).changed, 0); // still in grace
        assert.equal((await evaluateTiers(store, day(411))).changed, 1);
        const after = await customerTier(store, c, day(411));
        assert.equal(after.tier, '普通');
        assert.deepEqual(after.history.map((h) => `${h.from}>${h.to} ${h.reason}`), ['null>高级 upgrade', '高级>VIP upgrade', 'VIP>普通 downgrade']);
      });
    });
  });
}
