import dayjs, { type Dayjs } from 'dayjs';
import type { Offer, OfferInput } from '../../api/loyalty-types.ts';
import { brandInstant, brandWallClock } from '../../components/format.ts';
import type { FieldName } from '../../components/field-errors.ts';

// The offer editor's model: the API's own field names (so an error's path names the field that shows it), money in
// fen, the window as the brand's wall clock in the date pickers. Cleared inputs hold null.

export const RULE_KINDS = ['spend_save', 'percent', 'fixed', 'gift', 'free_shipping'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const APPLIES = ['products', 'categories', 'channels', 'stores', 'excludeProducts', 'excludeCategories'] as const;

type Maybe<T> = T | null | undefined;

export interface OfferForm {
  id: string;
  name: string;
  campaign?: Maybe<string>;
  rule: { kind: RuleKind; thresholdFen?: Maybe<number>; offFen?: Maybe<number>; isRepeating?: boolean; maxOffFen?: Maybe<number>; percentOff?: Maybe<number>; giftSku?: Maybe<string>; giftQuantity?: Maybe<number> };
  applies: Record<(typeof APPLIES)[number], string[]>;
  minSpendFen?: Maybe<number>;
  stackGroup?: Maybe<string>;
  isExclusive: boolean;
  validFrom?: Maybe<Dayjs>;
  validTo?: Maybe<Dayjs>;
  validDays?: Maybe<number>;
  budgetCount?: Maybe<number>;
  budgetDiscountFen?: Maybe<number>;
  perCustomerLimit?: Maybe<number>;
  perDayLimit?: Maybe<number>;
  isRefundReturning: boolean;
  sharedCode?: Maybe<string>;
}

/** The fields the editor has, by name, for placing the API's errors. */
const OFFER_FIELDS: FieldName[] = [
  ['id'], ['name'], ['campaign'], ['rule', 'kind'], ['rule', 'thresholdFen'], ['rule', 'offFen'], ['rule', 'isRepeating'], ['rule', 'maxOffFen'], ['rule', 'percentOff'], ['rule', 'giftSku'], ['rule', 'giftQuantity'],
  ...APPLIES.map((a) => ['applies', a]), ['minSpendFen'], ['stackGroup'], ['isExclusive'], ['validFrom'], ['validTo'], ['validDays'],
  ['budgetCount'], ['budgetDiscountFen'], ['perCustomerLimit'], ['perDayLimit'], ['isRefundReturning'], ['sharedCode'],
];

/** Whether an API error path names one of the editor's fields. */
export const isOfferField = (name: FieldName): boolean => OFFER_FIELDS.some((f) => f.length === name.length && f.every((part, i) => part === name[i]));

/** A new offer's starting values: 满减, no limits, refunds give the coupon back (the API's defaults). */
export const newOfferForm = (): OfferForm => ({
  id: '',
  name: '',
  rule: { kind: 'spend_save', isRepeating: false, giftQuantity: 1 },
  applies: { products: [], categories: [], channels: [], stores: [], excludeProducts: [], excludeCategories: [] },
  minSpendFen: 0,
  isExclusive: false,
  isRefundReturning: true,
});

/** A stored offer in the editor; the window's instants as the brand's wall clock. */
export function fromOffer(offer: Offer, timezone: string): OfferForm {
  const at = (value: string | null) => (value ? dayjs(brandWallClock(value, timezone)) : null);
  return {
    ...newOfferForm(),
    id: offer.id,
    name: offer.name,
    campaign: offer.campaign,
    rule: { ...newOfferForm().rule, ...offer.rule },
    applies: { ...offer.applies },
    minSpendFen: offer.minSpendFen,
    stackGroup: offer.stackGroup,
    isExclusive: offer.isExclusive,
    validFrom: at(offer.validFrom),
    validTo: at(offer.validTo),
    validDays: offer.validDays,
    budgetCount: offer.budgetCount,
    budgetDiscountFen: offer.budgetDiscountFen,
    perCustomerLimit: offer.perCustomerLimit,
    perDayLimit: offer.perDayLimit,
    isRefundReturning: offer.isRefundReturning,
    sharedCode: offer.sharedCode,
  };
}

const text = (value: Maybe<string>) => (value?.trim() ? value.trim() : undefined);
const given = (value: Maybe<number>) => (value === null || value === undefined ? undefined : value);

/** The rule the form describes, with only its kind's fields. */
export function ruleOf(rule: OfferForm['rule']): OfferInput['rule'] {
  switch (rule.kind) {
    case 'spend_save':
      return { kind: 'spend_save', thresholdFen: rule.thresholdFen!, offFen: rule.offFen!, isRepeating: Boolean(rule.isRepeating), ...(given(rule.maxOffFen) ? { maxOffFen: rule.maxOffFen! } : {}) };
    case 'percent':
      return { kind: 'percent', percentOff: rule.percentOff!, ...(given(rule.maxOffFen) ? { maxOffFen: rule.maxOffFen! } : {}) };
    case 'fixed':
      return { kind: 'fixed', offFen: rule.offFen! };
    case 'gift':
      return { kind: 'gift', giftSku: text(rule.giftSku)!, giftQuantity: rule.giftQuantity ?? 1 };
    case 'free_shipping':
      return { kind: 'free_shipping', ...(given(rule.maxOffFen) ? { maxOffFen: rule.maxOffFen! } : {}) };
  }
}

/** The body of PUT /v1/offers/:id: the whole offer, empty inputs left out (so unset), the window as instants. */
export function toOfferInput(form: OfferForm, timezone: string): OfferInput {
  const at = (value: Maybe<Dayjs>) => (value ? brandInstant(value.format('YYYY-MM-DDTHH:mm'), timezone) : undefined);
  const optional = {
    campaign: text(form.campaign),
    stackGroup: text(form.stackGroup),
    validFrom: at(form.validFrom),
    validTo: at(form.validTo),
    validDays: given(form.validDays),
    budgetCount: given(form.budgetCount),
    budgetDiscountFen: given(form.budgetDiscountFen),
    perCustomerLimit: given(form.perCustomerLimit),
    perDayLimit: given(form.perDayLimit),
    sharedCode: text(form.sharedCode),
  };
  return {
    id: form.id.trim(),
    name: form.name.trim(),
    rule: ruleOf(form.rule),
    applies: Object.fromEntries(APPLIES.map((a) => [a, (form.applies?.[a] ?? []).map((v) => v.trim()).filter(Boolean)])) as OfferInput['applies'],
    minSpendFen: form.minSpendFen ?? 0,
    isExclusive: form.isExclusive,
    isRefundReturning: form.isRefundReturning,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}
