import { refusal, refusalReason, type Refusal } from './refusals.ts';
import type { Applicability, Cart, OfferKind, OfferRule } from './schemas.ts';

/** What pricing needs of an offer. */
export interface PricedOffer {
  id: string;
  name: string;
  rule: OfferRule;
  applies: Applicability;
  minSpendFen: number;
  stackGroup: string | null;
  isExclusive: boolean;
}

/** A coupon the cart may use: a code, its offer, or the reason it cannot be used at all (expired, used up…). */
export interface Candidate {
  code: string;
  offer?: PricedOffer;
  blocked?: Refusal;
}

export interface AppliedCoupon {
  code: string;
  offerId: string;
  kind: OfferKind;
  discountFen: number;
  shippingDiscountFen: number;
  gift?: { sku: string; quantity: number };
  lines: { line: number; discountFen: number }[];
}

/** A candidate coupon that does not apply: why, as a code with its figures (refusals.ts) and as an English sentence. */
export type Rejected = { code: string; offerId?: string; reason: string } & Refusal;

export interface Pricing {
  applied: AppliedCoupon[];
  rejected: Rejected[];
  totalDiscountFen: number;
  shippingDiscountFen: number;
  lines: { line: number; sku: string; amountFen: number; discountFen: number; payFen: number }[];
}

/**
 * The documented order of application (docs/loyalty.md, Stacking): percent-off first, on the lines' list prices; then
 * spend-and-save and fixed amounts, on what the earlier coupons left; then free shipping; gifts last. Within a kind,
 * the larger discount goes first.
 */
const KIND_ORDER: Record<OfferKind, number> = { percent: 0, spend_save: 1, fixed: 2, free_shipping: 3, gift: 4 };

type Line = { line: number; sku: string; category?: string; amountFen: number };

function eligible(offer: PricedOffer, lines: readonly Line[]): number[] {
  const a = offer.applies;
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (a.excludeProducts.includes(l.sku) || (l.category !== undefined && a.excludeCategories.includes(l.category))) return;
    const any = a.products.length === 0 && a.categories.length === 0;
    if (any || a.products.includes(l.sku) || (l.category !== undefined && a.categories.includes(l.category))) out.push(i);
  });
  return out;
}

/** Splits `total` over `weights` in proportion, in whole fen, by largest remainder (ties to the earlier line). */
export function allocateProRata(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]! += 1;
    left--;
  }
  return out;
}

const rejection = (code: string, offerId: string | undefined, why: Refusal): Rejected => ({ code, ...(offerId === undefined ? {} : { offerId }), reason: refusalReason(why), ...why });

/** One coupon against the lines as they stand: its discount, or why it gives none. */
function evaluate(offer: PricedOffer, cart: Cart, lines: readonly Line[], shippingLeftFen: number): { refused: Refusal } | Omit<AppliedCoupon, 'code'> {
  const a = offer.applies;
  if (a.channels.length > 0 && (!cart.channel || !a.channels.includes(cart.channel))) return { refused: refusal('channel_not_allowed', { channel: cart.channel ?? null }) };
  if (a.stores.length > 0 && (!cart.storeId || !a.stores.includes(cart.storeId))) return { refused: refusal('store_not_allowed', { storeId: cart.storeId ?? null }) };
  const idx = eligible(offer, lines);
  if (idx.length === 0) return { refused: refusal('no_eligible_line', {}) };
  const subtotal = idx.reduce((s, i) => s + lines[i]!.amountFen, 0);
  if (subtotal < offer.minSpendFen) return { refused: refusal('min_spend_not_met', { minSpendFen: offer.minSpendFen, eligibleFen: subtotal }) };
  const rule = offer.rule;
  const base = { offerId: offer.id, kind: rule.kind, shippingDiscountFen: 0 };
  let off = 0;
  switch (rule.kind) {
    case 'spend_save':
      if (subtotal < rule.thresholdFen) return { refused: refusal('threshold_not_met', { thresholdFen: rule.thresholdFen, offFen: rule.offFen, eligibleFen: subtotal }) };
      off = rule.isRepeating ? Math.floor(subtotal / rule.thresholdFen) * rule.offFen : rule.offFen;
      off = Math.min(off, rule.maxOffFen ?? Infinity);
      break;
    case 'percent':
      off = Math.min(Math.floor((subtotal * rule.percentOff) / 100), rule.maxOffFen ?? Infinity);
      break;
    case 'fixed':
      off = rule.offFen;
      break;
    case 'free_shipping': {
      if (shippingLeftFen <= 0) return { refused: refusal('no_shipping', {}) };
      return { ...base, discountFen: 0, shippingDiscountFen: Math.min(shippingLeftFen, rule.maxOffFen ?? Infinity), lines: [] };
    }
    case 'gift':
      return { ...base, discountFen: 0, gift: { sku: rule.giftSku, quantity: rule.giftQuantity }, lines: [] };
  }
  off = Math.min(off, subtotal);
  if (off <= 0) return { refused: refusal('already_free', {}) };
  const shares = allocateProRata(off, idx.map((i) => lines[i]!.amountFen));
  return { ...base, discountFen: off, lines: idx.map((i, k) => ({ line: lines[i]!.line, discountFen: shares[k]! })) };
}

/** Applies coupons in the documented order, one per stacking group; returns the total and the reasons of the rest. */
function combine(offers: readonly { code: string; offer: PricedOffer }[], cart: Cart, start: readonly Line[]) {
  const lines = start.map((l) => ({ ...l }));
  let shippingLeft = cart.shippingFen;
  const applied: AppliedCoupon[] = [];
  const rejected: Pricing['rejected'] = [];
  const groups = new Map<string, string>();
  for (const { code, offer } of offers) {
    const group = offer.stackGroup ?? `offer:${offer.id}`;
    const taken = groups.get(group);
    if (taken) {
      const why = offer.stackGroup ? refusal('stacking_group_taken', { appliedCode: taken, stackGroup: offer.stackGroup }) : refusal('same_offer_taken', { appliedCode: taken });
      rejected.push(rejection(code, offer.id, why));
      continue;
    }
    const result = evaluate(offer, cart, lines, shippingLeft);
    if ('refused' in result) {
      rejected.push(rejection(code, offer.id, result.refused));
      continue;
    }
    groups.set(group, code);
    for (const { line, discountFen } of result.lines) lines.find((l) => l.line === line)!.amountFen -= discountFen;
    shippingLeft -= result.shippingDiscountFen;
    applied.push({ code, ...result });
  }
  const saved = applied.reduce((s, c) => s + c.discountFen + c.shippingDiscountFen, 0);
  return { applied, rejected, saved };
}

/**
 * Prices a cart with the candidate coupons: the combination of combinable coupons (one per stacking group, in the
 * documented order) or the single best exclusive coupon, whichever saves more; every other candidate with its reason.
 */
export function priceCart(cart: Cart, candidates: readonly Candidate[]): Pricing {
  const start: Line[] = cart.lines.map((l, i) => ({ line: l.line ?? i + 1, sku: l.sku, category: l.category, amountFen: l.quantity * l.unitPriceFen }));
  const rejected: Pricing['rejected'] = [];
  const usable: { code: string; offer: PricedOffer; alone: number }[] = [];
  for (const c of candidates) {
    if (c.blocked || !c.offer) {
      rejected.push(rejection(c.code, c.offer?.id, c.blocked ?? refusal('unknown_code', {})));
      continue;
    }
    const alone = evaluate(c.offer, cart, start, cart.shippingFen);
    if ('refused' in alone) rejected.push(rejection(c.code, c.offer.id, alone.refused));
    else usable.push({ code: c.code, offer: c.offer, alone: alone.discountFen + alone.shippingDiscountFen });
  }
  const ordered = (xs: typeof usable) => [...xs].sort((p, q) => KIND_ORDER[p.offer.rule.kind] - KIND_ORDER[q.offer.rule.kind] || q.alone - p.alone || (p.code < q.code ? -1 : 1));
  const combinable = combine(ordered(usable.filter((u) => !u.offer.isExclusive)), cart, start);
  const exclusives = ordered(usable.filter((u) => u.offer.isExclusive)).sort((p, q) => q.alone - p.alone);
  const best = exclusives[0];
  let chosen = combinable;
  if (best && best.alone > combinable.saved) {
    chosen = combine([best], cart, start);
    for (const u of usable) if (u !== best) rejected.push(rejection(u.code, u.offer.id, refusal('exclusive_better', { appliedCode: best.code })));
  } else {
    rejected.push(...combinable.rejected);
    for (const u of exclusives) rejected.push(rejection(u.code, u.offer.id, refusal('combination_better', { savedFen: combinable.saved, aloneFen: u.alone })));
  }
  if (chosen !== combinable) rejected.push(...chosen.rejected);
  const perLine = new Map<number, number>();
  for (const c of chosen.applied) for (const l of c.lines) perLine.set(l.line, (perLine.get(l.line) ?? 0) + l.discountFen);
  const lines = start.map((l) => ({ line: l.line, sku: l.sku, amountFen: l.amountFen, discountFen: perLine.get(l.line) ?? 0, payFen: l.amountFen - (perLine.get(l.line) ?? 0) }));
  return {
    applied: chosen.applied,
    rejected,
    totalDiscountFen: chosen.applied.reduce((s, c) => s + c.discountFen, 0),
    shippingDiscountFen: chosen.applied.reduce((s, c) => s + c.shippingDiscountFen, 0),
    lines,
  };
}
