import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import i18next, { type TFunction } from 'i18next';
import { priceCart, REFUSAL_CODES, REFUSAL_PARAMS } from '../../src/loyalty/index.ts';
import type { Candidate, PricedOffer } from '../../src/loyalty/pricing.ts';
import type { Cart } from '../../src/loyalty/schemas.ts';
import { createFormatter } from '../../web/src/components/format.ts';
import { describeRefusal } from '../../web/src/pages/loyalty/refusal.ts';

// The console says why a coupon does not apply in the operator's language (web/src/pages/loyalty/refusal.ts): every
// reason code the API can give (src/loyalty/refusals.ts) has a sentence in both languages that shows each of its
// figures, money as the console formats it.

const LANGUAGES = ['zh-CN', 'en'] as const;
const read = (name: string) => JSON.parse(readFileSync(`web/src/i18n/${name}`, 'utf8')) as Record<string, unknown>;
const strings = (language: string) => ({ ...read(`${language}.json`), ...read(`console.${language}.json`) }) as { loyalty: { refusal: Record<string, unknown> } };
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!).sort();

async function translator(language: (typeof LANGUAGES)[number]): Promise<TFunction> {
  const instance = i18next.createInstance();
  await instance.init({ lng: language, fallbackLng: false, resources: { [language]: { translation: strings(language) } }, interpolation: { escapeValue: false } });
  return instance.t;
}

test('every reason code has a Chinese and an English sentence that shows each of its figures and nothing else', () => {
  for (const language of LANGUAGES) {
    const refusal = strings(language).loyalty.refusal;
    for (const code of REFUSAL_CODES) {
      const sentence = refusal[code];
      assert.equal(typeof sentence, 'string', `${language}: loyalty.refusal.${code}`);
      assert.deepEqual(placeholders(sentence as string), Object.keys(REFUSAL_PARAMS[code].shape).sort(), `${language}: loyalty.refusal.${code} shows the code's figures`);
    }
    // The rest of loyalty.refusal is what the figures are worded with: an unset value, an offer's status.
    assert.deepEqual(Object.keys(refusal).filter((k) => !(REFUSAL_CODES as string[]).includes(k)).sort(), ['none', 'status'], `${language}: a sentence for a code the API does not give`);
    assert.deepEqual(Object.keys(refusal.status as object).sort(), [...REFUSAL_PARAMS.offer_not_active.shape.status.options].sort());
  }
});

const ANYWHERE = { products: [], categories: [], channels: [], stores: [], excludeProducts: [], excludeCategories: [] };
const offer = (id: string, patch: Partial<PricedOffer> = {}): PricedOffer => ({ id, name: id, rule: { kind: 'fixed', offFen: 500 }, applies: ANYWHERE, minSpendFen: 0, stackGroup: null, isExclusive: false, ...patch });
const cart: Cart = { channel: 'mini', shippingFen: 0, codes: [], lines: [{ sku: 'tea', category: '茶', quantity: 2, unitPriceFen: 10_000 }] };

// Refusals as the pricing gives them, worded in each language.
const CASES: [title: string, candidate: Candidate, zh: string, en: string][] = [
  ['a minimum spend, in yuan', { code: 'MIN', offer: offer('min', { minSpendFen: 50_000 }) }, '未达最低消费 ¥500（适用商品合计 ¥200）', 'Minimum spend ¥500 not met (eligible ¥200)'],
  ['a spend-and-save threshold, with fen', { code: 'MJ', offer: offer('mj', { rule: { kind: 'spend_save', thresholdFen: 29_950, offFen: 3_000, isRepeating: false } }) }, '满 ¥299.5 减 ¥30，适用商品合计只有 ¥200', 'Spend ¥299.5 to save ¥30 (eligible ¥200)'],
  ['a channel', { code: 'APP', offer: offer('app', { applies: { ...ANYWHERE, channels: ['app'] } }) }, '不适用于渠道：mini', 'Not valid in channel: mini'],
  ['a store the cart does not name', { code: 'S1', offer: offer('s1', { applies: { ...ANYWHERE, stores: ['S1'] } }) }, '不适用于门店：未指定', 'Not valid in store: none'],
  ['a paused offer', { code: 'P', offer: offer('p'), blocked: { reasonCode: 'offer_not_active', params: { status: 'paused' } } }, '优惠活动已暂停', 'The offer is paused'],
  ['an end in the brand timezone', { code: 'E', offer: offer('e'), blocked: { reasonCode: 'offer_expired', params: { validTo: '2026-05-31T16:00:00.000Z' } } }, '活动已于 2026/06/01 00:00 结束', 'The offer ended on 06/01/2026, 00:00'],
  ['a limit, as a count', { code: 'D', offer: offer('d'), blocked: { reasonCode: 'budget_used_up', params: { budgetCount: 10_000 } } }, '活动的 10,000 张预算已用完', "The offer's budget of 10,000 redemptions is used up"],
];

describe('a refusal in the operator’s language', () => {
  for (const [title, candidate, zh, en] of CASES) {
    test(`${title}: “${zh}”, “${en}”`, async () => {
      const [refusal] = priceCart(cart, [candidate]).rejected;
      assert.ok(refusal, 'the coupon is refused');
      assert.equal(describeRefusal(refusal, await translator('zh-CN'), createFormatter('zh-CN', 'Asia/Shanghai')), zh);
      assert.equal(describeRefusal(refusal, await translator('en'), createFormatter('en', 'Asia/Shanghai')), en);
    });
  }
});
