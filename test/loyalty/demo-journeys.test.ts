import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateDemo } from '../../src/demo/index.ts';
import { importFile, type ImportKind } from '../../src/import/index.ts';
import { awardPoints, checkPoints, issueCoupons, listCoupons, seedDemoLoyalty, upsertOffer } from '../../src/loyalty/index.ts';
import { previewSegment } from '../../src/segment/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { customerOf, send } from '../ingest/helpers.ts';

const NOW = new Date('2026-11-01T00:00:00Z');

for (const backend of BACKENDS) {
  describe(`loyalty for journeys and the demo (${backend})`, () => {
    test('issueCoupons and awardPoints run in the caller transaction and give one effect per source and key', async () => {
      await withStore(backend, async (store) => {
        await upsertOffer(store, { id: 'winback', name: '回流券', rule: { kind: 'fixed', offFen: 2_000 }, validDays: 7 }, { now: NOW });
        const first = await store.transaction((tx) => issueCoupons(tx, 'winback', ['c1', 'c2', 'c1'], { source: 'journey:win-back', now: NOW }));
        const again = await store.transaction((tx) => issueCoupons(tx, 'winback', ['c1', 'c3'], { source: 'journey:win-back', now: NOW }));
        assert.deepEqual(first.map((o) => [o.customerId, o.outcome]), [['c1', 'issued'], ['c2', 'issued']]);
        assert.deepEqual(again.map((o) => [o.customerId, o.outcome]), [['c1', 'already_issued'], ['c3', 'issued']]);
        assert.equal(again[0]!.outcome === 'already_issued' && first[0]!.outcome === 'issued' && again[0]!.code === first[0]!.code, true);
        const wallet = await listCoupons(store, { customerId: 'c1' });
        assert.deepEqual(wallet.map((c) => [c.state, c.expiresAt?.toISOString()]), [['claimed', '2026-11-08T00:00:00.000Z']]);
        const awards = [{ customerId: 'c1', key: 'journey:win-back:c1', points: 50, source: 'journey' as const, isImmediate: true }];
        assert.equal((await store.transaction((tx) => awardPoints(tx, awards, { now: NOW })))[0]!.outcome, 'awarded');
        assert.equal((await store.transaction((tx) => awardPoints(tx, awards, { now: NOW })))[0]!.outcome, 'duplicate');
        const ended = await store.transaction(async (tx) => {
          await tx.execute(`UPDATE loyalty_offers SET status = 'ended' WHERE offer_id = 'winback'`);
          return issueCoupons(tx, 'winback', ['c9'], { source: 'journey:win-back', now: NOW });
        });
        assert.deepEqual(ended, [{ customerId: 'c9', outcome: 'rejected', reason: 'offer winback is ended' }]);
      });
    });

    test('segments select on points balance, member tier and coupons held or expiring soon', async () => {
      await withStore(backend, async (store) => {
        await send(store, { type: 'identify', userId: 'u1', traits: { name: 'A' } }, { type: 'identify', userId: 'u2', traits: { name: 'B' } });
        const [c1, c2] = [(await customerOf(store, 'user_id', 'u1'))!, (await customerOf(store, 'user_id', 'u2'))!];
        const soon = new Date();
        await upsertOffer(store, { id: 'soon', name: 'soon', rule: { kind: 'fixed', offFen: 100 }, validDays: 3 }, { now: soon });
        await store.transaction(async (tx) => {
          await issueCoupons(tx, 'soon', [c1], { source: 'test', now: soon });
          await awardPoints(tx, [{ customerId: c2, key: 'k', points: 500, source: 'staff', isImmediate: true }], { now: soon });
          await tx.execute(`INSERT INTO member_tiers VALUES ($1, 'VIP', $2, NULL, $2)`, [c2, soon]);
        });
        const ids = async (definition: unknown) => (await previewSegment(store, definition, { asOf: soon.toISOString().slice(0, 10) })).count;
        assert.equal(await ids({ field: 'coupons_expiring_7d', op: '>=', value: 1 }), 1);
        assert.equal(await ids({ field: 'coupons_held', op: '=', value: 0 }), 1);
        assert.equal(await ids({ all: [{ field: 'points_balance', op: '>', value: 100 }, { field: 'member_tier', op: '=', value: 'VIP' }] }), 1);
      });
    });

    test("the demo's offers, points and tiers replay its orders once, and the points balances prove out", async () => {
      await withStore(backend, async (store) => {
        const files = generateDemo({ customers: 300, seed: 5, end: new Date('2026-10-31T23:59:59Z'), days: 730, outDir: mkdtempSync(join(tmpdir(), 'siyu-demo-')) });
        const steps: [ImportKind, string][] = [['customers', files.customers], ['products', files.products], ['orders', files.orders], ['order-items', files.orderItems]];
        for (const [kind, file] of steps) await importFile(store, kind, file, { rejectsPath: join(files.dir, `${kind}.rej`) });
        const first = await seedDemoLoyalty(store, { now: NOW });
        const second = await seedDemoLoyalty(store, { now: NOW });
        assert.deepEqual(second, first);
        assert.equal(first.offers, 5);
        assert.ok(first.redemptions > 0 && first.releasedOrReturned > 0, JSON.stringify(first));
        const [o] = await store.query<{ n: number; fen: number }>(`SELECT count(*) AS n, sum(discount_fen) AS fen FROM orders WHERE coupon_code IS NOT NULL AND status NOT IN ('cancelled', 'refunded')`);
        assert.equal(first.redemptions, Number(o!.n));
        assert.equal(first.discountFen, Number(o!.fen));
        assert.ok(first.pointsEarned > first.pointsOutstanding && first.pointsExpired > 0 && first.pointsReversed > 0, JSON.stringify(first));
        // Repeat buyers spend most of their points and one-time buyers (the demo's deal seekers among them) never do, so
        // breakage is partial, and the liability is worth something.
        assert.ok(first.pointsRedeemed > first.pointsExpired && first.breakageRate > 0 && first.breakageRate < 0.9, JSON.stringify(first));
        assert.ok(first.pointsOutstanding > 0 && first.liabilityFen > 0, JSON.stringify(first));
        assert.equal(first.pointsEarned - first.pointsReversed - first.pointsRedeemed - first.pointsExpired, Number((await store.query<{ b: number }>('SELECT sum(balance) AS b FROM points_accounts'))[0]!.b));
        assert.ok(first.tiers.length >= 2, JSON.stringify(first.tiers));
        assert.deepEqual((await checkPoints(store)).mismatches, []);
      });
    });
  });
}
