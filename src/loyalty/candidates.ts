import { localParts } from '../core/local-time.ts';
import type { Queryable } from '../store/index.ts';
import { isMistyped, normaliseCode } from './codes.ts';
import { offerFromRow, type Offer } from './offers.ts';
import type { Candidate } from './pricing.ts';
import { refusal, type Refusal } from './refusals.ts';

/** The brand-local day of `at`, as the per-day counters key it. */
export function localDay(timezone: string, at: Date): string {
  const p = localParts(timezone, at);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

interface CodeRow extends Record<string, unknown> {
  code: string;
  offer_id: string;
  customer_id: string | null;
  state: string;
  max_uses: number | null;
  used: number;
  expires_at: Date | null;
  customer_used: number | null;
  day_used: number | null;
}

/**
 * The coupons a cart may use: the codes typed in and, for a known customer, every open coupon in their wallet; each
 * with its offer, or the reason it cannot be used at all, checked against the code, the offer's window and status,
 * and every budget (a check only: the guarded updates of a redemption decide). One query: this is the hot path.
 */
export async function loadCandidates(db: Queryable, input: { codes: readonly string[]; customerId?: string; withWallet: boolean; now: Date; day: string }): Promise<(Candidate & { offer?: Offer; ownerId?: string | null })[]> {
  const typed = [...new Set(input.codes.map(normaliseCode))];
  const wallet = input.withWallet && input.customerId !== undefined;
  const placeholders = typed.map((_, i) => `$${i + (wallet ? 4 : 3)}`);
  const rows = await db.query<CodeRow>(
    `SELECT c.code, c.customer_id, c.state, c.max_uses, c.used, c.expires_at, o.*, cu.used AS customer_used, du.used AS day_used
     FROM coupon_codes c JOIN loyalty_offers o ON o.offer_id = c.offer_id
     LEFT JOIN loyalty_offer_usage cu ON cu.offer_id = c.offer_id AND cu.scope = $${wallet ? 2 : 1}
     LEFT JOIN loyalty_offer_usage du ON du.offer_id = c.offer_id AND du.scope = $${wallet ? 3 : 2}
     WHERE ${typed.length ? `c.code IN (${placeholders.join(', ')})` : 'FALSE'}${wallet ? ` OR (c.customer_id = $1 AND c.state IN ('issued', 'claimed'))` : ''}`,
    [...(wallet ? [input.customerId] : []), `c:${input.customerId ?? ''}`, `d:${input.day}`, ...typed],
  );
  const byCode = new Map(rows.map((r) => [r.code, r]));
  const codes = [...typed, ...rows.map((r) => r.code).filter((c) => !typed.includes(c))];
  return codes.map((code) => {
    const row = byCode.get(code);
    if (!row) return { code, blocked: refusal(isMistyped(code) ? 'mistyped_code' : 'unknown_code', {}) };
    const offer = offerFromRow(row);
    const blocked =
      codeProblem(row, input) ??
      offerProblem(offer, input.now) ??
      (input.customerId && offer.perCustomerLimit !== null && Number(row.customer_used ?? 0) >= offer.perCustomerLimit ? refusal('customer_limit_reached', { perCustomerLimit: offer.perCustomerLimit }) : undefined) ??
      (offer.perDayLimit !== null && Number(row.day_used ?? 0) >= offer.perDayLimit ? refusal('day_limit_reached', { perDayLimit: offer.perDayLimit }) : undefined);
    return { code, offer, blocked, ownerId: row.customer_id };
  });
}

function codeProblem(row: CodeRow, input: { customerId?: string; now: Date }): Refusal | undefined {
  if (row.state === 'redeemed' || (row.max_uses !== null && row.used >= row.max_uses)) return refusal('already_used', {});
  if (row.state === 'void') return refusal('voided', {});
  if (row.state === 'expired' || (row.expires_at && row.expires_at <= input.now)) return refusal('expired', { expiresAt: row.expires_at?.toISOString() ?? null });
  if (row.customer_id && input.customerId && row.customer_id !== input.customerId) return refusal('other_customer', {});
  return undefined;
}

/** Why an offer accepts no redemption now, if it does not. */
export function offerProblem(offer: Offer, now: Date): Refusal | undefined {
  if (offer.status !== 'active') return refusal('offer_not_active', { status: offer.status });
  if (offer.validFrom && offer.validFrom > now) return refusal('not_yet_valid', { validFrom: offer.validFrom.toISOString() });
  if (offer.validTo && offer.validTo <= now) return refusal('offer_expired', { validTo: offer.validTo.toISOString() });
  if (offer.budgetCount !== null && offer.usedCount >= offer.budgetCount) return refusal('budget_used_up', { budgetCount: offer.budgetCount });
  if (offer.budgetDiscountFen !== null && offer.usedDiscountFen >= offer.budgetDiscountFen) return refusal('discount_budget_used_up', { budgetDiscountFen: offer.budgetDiscountFen });
  return undefined;
}
