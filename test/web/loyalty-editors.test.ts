import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import dayjs from 'dayjs';
import { OfferInput, TierSettings, getOffer, readLoyaltySettings, upsertOffer, writeLoyaltySettings } from '../../src/loyalty/index.ts';
import { SiyuError } from '../../src/core/errors.ts';
import { brandInstant, brandWallClock } from '../../web/src/components/format.ts';
import { fieldName, placeErrors } from '../../web/src/components/field-errors.ts';
import type { Offer } from '../../web/src/api/loyalty-types.ts';
import { fromOffer, isOfferField, newOfferForm, toOfferInput, type OfferForm } from '../../web/src/pages/loyalty/offer-form.ts';
import { droppedTiers, isTierField, tierProblem, toTierSettings } from '../../web/src/pages/loyalty/tier-form.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

// The loyalty editors' models (web/src/pages/loyalty): what they send is what src/loyalty accepts, what they read back
// is what they sent, and every problem the server names lands on a field of the form.

const SHANGHAI = 'Asia/Shanghai';

/** The server's problems with a body, as the API lists them (path and message). */
async function problems(run: () => Promise<unknown>): Promise<{ path?: string; message: string }[]> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof SiyuError, String(error));
    return error.details;
  }
  assert.fail('the server accepted it');
}

const form = (patch: Partial<OfferForm>): OfferForm => ({ ...newOfferForm(), id: 'tea-618', name: ' 茶叶满200减20 ', ...patch });

test('the brand wall clock and its instant convert both ways, whatever zone the browser is in, across a clock change', () => {
  assert.equal(brandInstant('2026-06-01T00:00', SHANGHAI), '2026-05-31T16:00:00.000Z');
  assert.equal(brandWallClock('2026-05-31T16:00:00Z', SHANGHAI), '2026-06-01T00:00');
  // New York moves to summer time at 02:00 on 8 March 2026: 01:30 is EST (-5), 03:30 EDT (-4).
  assert.equal(brandInstant('2026-03-08T01:30', 'America/New_York'), '2026-03-08T06:30:00.000Z');
  assert.equal(brandInstant('2026-03-08T03:30', 'America/New_York'), '2026-03-08T07:30:00.000Z');
  assert.equal(brandWallClock('2026-03-08T07:30:00Z', 'America/New_York'), '2026-03-08T03:30');
});

test('each rule kind sends only its own fields; empty inputs are left out and text is trimmed', () => {
  const rule = { thresholdFen: 20_000, offFen: 2_000, isRepeating: true, maxOffFen: 10_000, percentOff: 15, giftSku: ' TEA-01 ', giftQuantity: 2 };
  const cases: [OfferForm['rule']['kind'], OfferInput['rule']][] = [
    ['spend_save', { kind: 'spend_save', thresholdFen: 20_000, offFen: 2_000, isRepeating: true, maxOffFen: 10_000 }],
    ['percent', { kind: 'percent', percentOff: 15, maxOffFen: 10_000 }],
    ['fixed', { kind: 'fixed', offFen: 2_000 }],
    ['gift', { kind: 'gift', giftSku: 'TEA-01', giftQuantity: 2 }],
    ['free_shipping', { kind: 'free_shipping', maxOffFen: 10_000 }],
  ];
  for (const [kind, expected] of cases) {
    const body = toOfferInput(form({ rule: { ...rule, kind }, campaign: '  ', stackGroup: null, validDays: null, budgetCount: null }), SHANGHAI);
    assert.deepEqual(body.rule, expected, kind);
    assert.equal(body.name, '茶叶满200减20');
    for (const unset of ['campaign', 'stackGroup', 'validDays', 'budgetCount', 'validFrom', 'validTo', 'sharedCode']) assert.ok(!(unset in body), `${kind}: ${unset} is left out`);
    assert.doesNotThrow(() => OfferInput.parse(body), kind);
  }
});

for (const backend of BACKENDS) {
  describe(`the loyalty editors on ${backend}`, () => {
    test('an offer saved from the editor reads back into the same form, its window in the brand timezone', () =>
      withStore(backend, async (store) => {
        const edited = form({
          campaign: '618',
          rule: { kind: 'spend_save', thresholdFen: 20_000, offFen: 2_000, isRepeating: true, maxOffFen: 10_000 },
          applies: { products: [], categories: ['茶', ' 茶具 '], channels: ['小程序商城'], stores: [], excludeProducts: ['gift-card'], excludeCategories: [] },
          minSpendFen: 0,
          stackGroup: 'shop',
          validFrom: dayjs('2026-06-01T00:00'),
          validTo: dayjs('2026-06-19T00:00'),
          validDays: 7,
          budgetCount: 10_000,
          budgetDiscountFen: 20_000_000,
          perCustomerLimit: 1,
          perDayLimit: 2_000,
          sharedCode: 'tea618',
        });
        const body = toOfferInput(edited, SHANGHAI);
        assert.equal(body.validFrom, '2026-05-31T16:00:00.000Z', '00:00 on 1 June in Shanghai');
        const saved = await upsertOffer(store, body);
        // As the API sends it: instants as ISO strings.
        const answered = JSON.parse(JSON.stringify(await getOffer(store, saved.id))) as Offer;
        const reread = fromOffer(answered, SHANGHAI);
        assert.equal(reread.validFrom?.format('YYYY-MM-DDTHH:mm'), '2026-06-01T00:00');
        assert.equal(reread.sharedCode, 'TEA618', 'the server keeps codes in capitals');
        assert.deepEqual(toOfferInput(reread, SHANGHAI), { ...body, applies: { ...body.applies, categories: ['茶', '茶具'] }, sharedCode: 'TEA618' });

        // Clearing a budget in the editor clears it on the server: the whole offer is sent.
        await upsertOffer(store, toOfferInput({ ...reread, budgetCount: null, validDays: null }, SHANGHAI));
        const cleared = await getOffer(store, saved.id);
        assert.deepEqual([cleared.budgetCount, cleared.validDays, cleared.budgetDiscountFen], [null, null, 20_000_000]);
      }));

    test('every problem the server finds in an offer or the tier rules has a field of the editor to show it on', () =>
      withStore(backend, async (store) => {
        const offer = await problems(() =>
          upsertOffer(store, {
            id: 'bad id!',
            name: '',
            rule: { kind: 'spend_save', thresholdFen: 0, offFen: 1.5 },
            applies: { categories: [3] },
            minSpendFen: -1,
            validFrom: '2026-06-19T00:00:00+08:00',
            validTo: '2026-06-01T00:00:00+08:00',
            validDays: 0,
            budgetCount: 0,
            perDayLimit: -2,
            sharedCode: 'X',
          }),
        );
        const placed = placeErrors(offer, isOfferField);
        assert.deepEqual(placed.rest, [], 'no problem is left off the form');
        assert.deepEqual(placed.fields.map((f) => f.name.join('.')).sort(), ['applies.categories', 'budgetCount', 'id', 'minSpendFen', 'name', 'perDayLimit', 'rule.offFen', 'rule.thresholdFen', 'sharedCode', 'validDays'].sort());
        // The window is checked once the fields are each right.
        const window = await problems(() => upsertOffer(store, { id: 'w', name: 'W', rule: { kind: 'fixed', offFen: 100 }, validFrom: '2026-06-19T00:00:00+08:00', validTo: '2026-06-01T00:00:00+08:00' }));
        assert.deepEqual(placeErrors(window, isOfferField).fields.map((f) => f.name), [['validTo']]);

        const taken = await upsertOffer(store, { id: 'a', name: 'A', rule: { kind: 'fixed', offFen: 100 }, sharedCode: 'SAME1' });
        assert.equal(taken.sharedCode, 'SAME1');
        const conflict = await problems(() => upsertOffer(store, { id: 'b', name: 'B', rule: { kind: 'fixed', offFen: 100 }, sharedCode: 'same1' }));
        assert.deepEqual(placeErrors(conflict, isOfferField).fields, [{ name: ['sharedCode'], errors: ['already in use'] }]);

        const tiers = await problems(() => writeLoyaltySettings(store, 'tiers', { tiers: [{ name: '', threshold: -1, pointsMultiplier: 0 }], growthPerYuan: -1, windowDays: 0, keepShare: 2, graceDays: 1.5 }));
        const onTiers = placeErrors(tiers, isTierField);
        assert.deepEqual(onTiers.rest, []);
        assert.deepEqual(onTiers.fields.map((f) => f.name.join('.')).sort(), ['graceDays', 'growthPerYuan', 'keepShare', 'tiers.0.name', 'tiers.0.pointsMultiplier', 'tiers.0.threshold', 'windowDays']);
        assert.deepEqual(placeErrors(await problems(() => writeLoyaltySettings(store, 'tiers', { tiers: [] })), isTierField).rest.map((d) => d.path), ['tiers'], 'an empty ladder is the alert’s, not a field’s');
      }));

    test('tier rules from the editor are what the server stores and reads back', () =>
      withStore(backend, async (store) => {
        const defaults = await readLoyaltySettings(store, 'tiers');
        const edited = toTierSettings({ ...defaults, tiers: [{ ...defaults.tiers[0]!, name: ' 普通 ' }, { ...defaults.tiers[1]!, threshold: 1_500, benefits: ['free_shipping', ' '] }, defaults.tiers[2]!], keepShare: 0.75 });
        await writeLoyaltySettings(store, 'tiers', edited);
        const reread = await readLoyaltySettings(store, 'tiers');
        assert.deepEqual(reread, edited);
        assert.deepEqual(reread.tiers.map((t) => [t.name, t.threshold, t.benefits]), [['普通', 0, []], ['高级', 1_500, ['free_shipping']], ['VIP', 5_000, ['free_shipping', 'exclusive_coupons']]]);
        assert.doesNotThrow(() => TierSettings.parse(edited));
      }));
  });
}

test('error paths become field names: nested keys and list indexes; the root is no field', () => {
  assert.deepEqual(fieldName('rule.offFen'), ['rule', 'offFen']);
  assert.deepEqual(fieldName('tiers[1].threshold'), ['tiers', 1, 'threshold']);
  assert.deepEqual(fieldName('applies.categories[0]'), ['applies', 'categories', 0]);
  assert.deepEqual(fieldName('(root)'), []);
});

test('the tier ladder: the first at 0, thresholds rising row by row, each name once', () => {
  const ladder = [{ name: '普通', threshold: 0 }, { name: '高级', threshold: 1_000 }, { name: 'VIP', threshold: 5_000 }];
  const cases: [string, { name?: string; threshold?: number }[], number, 'name' | 'threshold', string | undefined][] = [
    ['a good ladder', ladder, 2, 'threshold', undefined],
    ['the first above 0', [{ name: '普通', threshold: 10 }, ...ladder.slice(1)], 0, 'threshold', 'firstNotZero'],
    ['a threshold equal to the one before', [ladder[0]!, ladder[1]!, { name: 'VIP', threshold: 1_000 }], 2, 'threshold', 'notAscending'],
    ['a threshold below the one before', [ladder[0]!, { name: '高级', threshold: 6_000 }, ladder[2]!], 2, 'threshold', 'notAscending'],
    ['a row not yet filled in', [ladder[0]!, { name: '高级' }, ladder[2]!], 2, 'threshold', undefined],
    ['a name used twice, spaces aside', [ladder[0]!, ladder[1]!, { name: ' 高级', threshold: 5_000 }], 2, 'name', 'duplicateName'],
  ];
  for (const [title, tiers, index, field, expected] of cases) assert.equal(tierProblem(tiers, index, field), expected, title);
  const distribution = [{ tier: '普通', members: 1200 }, { tier: '高级', members: 300 }, { tier: '银卡', members: 0 }];
  assert.deepEqual(droppedTiers({ tiers: [{ name: '普通', threshold: 0, pointsMultiplier: 1, benefits: [] }] }, distribution), [{ tier: '高级', members: 300 }], 'a tier with members that the rules drop');
});
