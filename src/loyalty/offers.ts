import { localActor, recordAudit } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import type { Queryable, Store } from '../store/index.ts';
import { normaliseCode } from './codes.ts';
import type { PricedOffer } from './pricing.ts';
import { Applicability, OfferInput, OfferRule } from './schemas.ts';

export type OfferStatus = 'active' | 'paused' | 'ended';

/** An offer with its budgets and what has been used of them. */
export interface Offer extends PricedOffer {
  campaign: string | null;
  validFrom: Date | null;
  validTo: Date | null;
  validDays: number | null;
  budgetCount: number | null;
  budgetDiscountFen: number | null;
  perCustomerLimit: number | null;
  perDayLimit: number | null;
  isRefundReturning: boolean;
  usedCount: number;
  usedDiscountFen: number;
  status: OfferStatus;
  sharedCode: string | null;
  createdAt: Date;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export const OFFER_SELECT = `SELECT o.*, (SELECT min(c.code) FROM coupon_codes c WHERE c.offer_id = o.offer_id AND c.is_shared) AS shared_code FROM loyalty_offers o`;

/** The one row-mapping function for offers. */
export function offerFromRow(r: Record<string, unknown>): Offer {
  return {
    id: String(r.offer_id),
    name: String(r.name),
    campaign: (r.campaign as string | null) ?? null,
    rule: OfferRule.parse(json(r.rule)),
    applies: Applicability.parse(json(r.applies)),
    minSpendFen: Number(r.min_spend_fen),
    stackGroup: (r.stack_group as string | null) ?? null,
    isExclusive: Boolean(r.is_exclusive),
    validFrom: (r.valid_from as Date | null) ?? null,
    validTo: (r.valid_to as Date | null) ?? null,
    validDays: num(r.valid_days),
    budgetCount: num(r.budget_count),
    budgetDiscountFen: num(r.budget_discount_fen),
    perCustomerLimit: num(r.per_customer_limit),
    perDayLimit: num(r.per_day_limit),
    isRefundReturning: Boolean(r.is_refund_returning),
    usedCount: Number(r.used_count),
    usedDiscountFen: Number(r.used_discount_fen),
    status: r.status as OfferStatus,
    sharedCode: (r.shared_code as string | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

/**
 * Creates an offer, or changes one: rules, validity, limits and budgets may change; what has been used never does
 * (a lower budget than what is used stops further redemptions, it does not undo any). A shared code is created with it.
 */
export async function upsertOffer(store: Store | Queryable, input: unknown, options: { actor?: string; now?: Date } = {}): Promise<Offer> {
  const o = parseOrThrow(OfferInput, input, 'offer');
  const now = options.now ?? new Date();
  const run = async (tx: Queryable) => {
    const existing = await tx.query('SELECT offer_id FROM loyalty_offers WHERE offer_id = $1', [o.id]);
    const values = [
      o.id, o.name, o.campaign ?? null, o.rule.kind, JSON.stringify(o.rule), JSON.stringify(o.applies), o.minSpendFen, o.stackGroup ?? null, o.isExclusive,
      o.validFrom ?? null, o.validTo ?? null, o.validDays ?? null, o.budgetCount ?? null, o.budgetDiscountFen ?? null, o.perCustomerLimit ?? null, o.perDayLimit ?? null,
      o.isRefundReturning, now,
    ];
    if (existing.length === 0) {
      await tx.execute(
        `INSERT INTO loyalty_offers (offer_id, name, campaign, kind, rule, applies, min_spend_fen, stack_group, is_exclusive, valid_from, valid_to, valid_days,
           budget_count, budget_discount_fen, per_customer_limit, per_day_limit, is_refund_returning, used_count, used_discount_fen, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, 0, 'active', $18, $18)`,
        values,
      );
    } else {
      await tx.execute(
        `UPDATE loyalty_offers SET name = $2, campaign = $3, kind = $4, rule = $5, applies = $6, min_spend_fen = $7, stack_group = $8, is_exclusive = $9,
           valid_from = $10, valid_to = $11, valid_days = $12, budget_count = $13, budget_discount_fen = $14, per_customer_limit = $15, per_day_limit = $16,
           is_refund_returning = $17, updated_at = $18 WHERE offer_id = $1`,
        values,
      );
    }
    if (o.sharedCode) {
      const code = normaliseCode(o.sharedCode);
      const taken = await tx.query<{ offer_id: string }>('SELECT offer_id FROM coupon_codes WHERE code = $1', [code]);
      if (taken[0] && taken[0].offer_id !== o.id) throw new SiyuError('conflict', 'code_taken', `code ${code} belongs to offer ${taken[0].offer_id}`, { details: [{ path: 'sharedCode', message: 'already in use' }] });
      if (!taken[0]) {
        await tx.execute(
          `INSERT INTO coupon_codes (code, offer_id, is_shared, state, issued_at, expires_at, source, updated_at) VALUES ($1, $2, TRUE, 'issued', $3, $4, 'shared', $3)`,
          [code, o.id, now, o.validTo ?? null],
        );
      }
    }
    await recordAudit(tx, { actor: options.actor ?? localActor(), action: existing.length ? 'offer.update' : 'offer.create', target: o.id, at: now });
    return offerFromRow((await tx.query(`${OFFER_SELECT} WHERE o.offer_id = $1`, [o.id]))[0]!);
  };
  return 'transaction' in store ? store.transaction(run) : run(store);
}

export async function findOffer(db: Queryable, id: string): Promise<Offer | undefined> {
  const rows = await db.query(`${OFFER_SELECT} WHERE o.offer_id = $1`, [id]);
  return rows[0] ? offerFromRow(rows[0]) : undefined;
}

export async function getOffer(db: Queryable, id: string): Promise<Offer> {
  const offer = await findOffer(db, id);
  if (!offer) throw new SiyuError('not_found', 'offer_not_found', `no offer ${JSON.stringify(id)}`);
  return offer;
}

export async function listOffers(db: Queryable, query: { status?: OfferStatus; campaign?: string } = {}): Promise<Offer[]> {
  const rows = await db.query(
    `${OFFER_SELECT} WHERE ($1::TEXT IS NULL OR o.status = $1) AND ($2::TEXT IS NULL OR o.campaign = $2) ORDER BY o.created_at, o.offer_id`,
    [query.status ?? null, query.campaign ?? null],
  );
  return rows.map(offerFromRow);
}

/** Pauses, resumes or ends an offer; ending voids its coupons not yet redeemed. */
export async function setOfferStatus(store: Store, id: string, status: OfferStatus, options: { actor?: string; now?: Date } = {}): Promise<Offer> {
  const now = options.now ?? new Date();
  return store.transaction(async (tx) => {
    await getOffer(tx, id);
    await tx.execute('UPDATE loyalty_offers SET status = $2, updated_at = $3 WHERE offer_id = $1', [id, status, now]);
    if (status === 'ended') await tx.execute(`UPDATE coupon_codes SET state = 'void', updated_at = $2 WHERE offer_id = $1 AND state IN ('issued', 'claimed')`, [id, now]);
    await recordAudit(tx, { actor: options.actor ?? localActor(), action: `offer.${status === 'active' ? 'resume' : status === 'paused' ? 'pause' : 'end'}`, target: id, at: now });
    return getOffer(tx, id);
  });
}
