import type { Queryable } from '../store/index.ts';

/** One counted use of a coupon: its code, offer, customer (when known), brand-local day and discount. */
export interface Use {
  code: string;
  offerId: string;
  customerId: string | null;
  day: string;
  discountFen: number;
  perCustomerLimit: number | null;
  perDayLimit: number | null;
}

/**
 * Takes one use from every counter a redemption is limited by, each with a guarded delta that changes exactly one row
 * or none: the customer's count, the code's uses, the offer's count and discount budgets, and the day's count. The
 * first that refuses ends it: the counters already taken are given back by deltas, in this same transaction, and the
 * reason is returned. Counters are always taken in this order (customer, code, offer, day), here and in `giveUse`, so
 * two redemptions never wait on each other's locks in a cycle. The customer's row comes first because it is the only
 * one nobody else contends for: the rows every redemption of a popular offer locks (a shared code, the offer, the
 * day) are taken last, so each is held for as short a time as possible before the commit.
 */
export async function takeUse(tx: Queryable, use: Use, now: Date): Promise<string | undefined> {
  const done: ((tx: Queryable) => Promise<unknown>)[] = [];
  if (use.customerId !== null) {
    const scope = `c:${use.customerId}`;
    if (!(await takeScope(tx, use.offerId, scope, use.perCustomerLimit))) return "the customer's limit for this offer is reached";
    done.push((t) => giveScope(t, use.offerId, scope));
  }
  const code = await tx.execute(
    `UPDATE coupon_codes SET used = used + 1, updated_at = $3,
       state = CASE WHEN max_uses IS NOT NULL AND used + 1 >= max_uses THEN 'redeemed' ELSE state END
     WHERE code = $1 AND state IN ('issued', 'claimed') AND (max_uses IS NULL OR used + 1 <= max_uses)
       AND (expires_at IS NULL OR expires_at > $3) AND (customer_id IS NULL OR $2::TEXT IS NULL OR customer_id = $2)`,
    [use.code, use.customerId, now],
  );
  if (code !== 1) return undo(tx, done, 'the code has been used, voided or has expired');
  done.push((t) => giveCode(t, use.code, now));
  const offer = await tx.execute(
    `UPDATE loyalty_offers SET used_count = used_count + 1, used_discount_fen = used_discount_fen + $2
     WHERE offer_id = $1 AND status = 'active' AND (budget_count IS NULL OR used_count + 1 <= budget_count)
       AND (budget_discount_fen IS NULL OR used_discount_fen + $2 <= budget_discount_fen)`,
    [use.offerId, use.discountFen],
  );
  if (offer !== 1) return undo(tx, done, "the offer's budget is used up or the offer is not active");
  done.push((t) => giveOffer(t, use.offerId, use.discountFen));
  if (!(await takeScope(tx, use.offerId, `d:${use.day}`, use.perDayLimit))) return undo(tx, done, "today's limit for this offer is reached");
  return undefined;
}

/** One guarded upsert of a usage counter: the first use inserts 1; later ones add 1 unless that passes the limit. */
async function takeScope(tx: Queryable, offerId: string, scope: string, limit: number | null): Promise<boolean> {
  const n = await tx.execute(
    'INSERT INTO loyalty_offer_usage AS u (offer_id, scope, used) VALUES ($1, $2, 1) ON CONFLICT (offer_id, scope) DO UPDATE SET used = u.used + 1 WHERE $3::BIGINT IS NULL OR u.used + 1 <= $3',
    [offerId, scope, limit],
  );
  return n === 1;
}

function giveScope(tx: Queryable, offerId: string, scope: string): Promise<number> {
  return tx.execute('UPDATE loyalty_offer_usage SET used = used - 1 WHERE offer_id = $1 AND scope = $2', [offerId, scope]);
}

function giveOffer(tx: Queryable, offerId: string, discountFen: number): Promise<number> {
  return tx.execute('UPDATE loyalty_offers SET used_count = used_count - 1, used_discount_fen = used_discount_fen - $2 WHERE offer_id = $1', [offerId, discountFen]);
}

async function undo(tx: Queryable, done: readonly ((tx: Queryable) => Promise<unknown>)[], reason: string): Promise<string> {
  for (const step of [...done].reverse()) await step(tx);
  return reason;
}

/** Gives a code one use back: a redeemed code opens again (claimed if it has an owner), or is expired if its time is past. */
function giveCode(tx: Queryable, code: string, now: Date): Promise<number> {
  return tx.execute(
    `UPDATE coupon_codes SET used = used - 1, updated_at = $2,
       state = CASE WHEN state <> 'redeemed' THEN state WHEN expires_at IS NOT NULL AND expires_at <= $2 THEN 'expired' WHEN customer_id IS NULL THEN 'issued' ELSE 'claimed' END
     WHERE code = $1`,
    [code, now],
  );
}

/** Gives back every counter a use took (a release or a returned coupon): deltas only, in the same order as takeUse. */
export async function giveUse(tx: Queryable, use: Omit<Use, 'perCustomerLimit' | 'perDayLimit'>, now: Date): Promise<void> {
  if (use.customerId !== null) await giveScope(tx, use.offerId, `c:${use.customerId}`);
  await giveCode(tx, use.code, now);
  await giveOffer(tx, use.offerId, use.discountFen);
  await giveScope(tx, use.offerId, `d:${use.day}`);
}
