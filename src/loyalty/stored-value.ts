import { SiyuError } from '../core/errors.ts';
import type { Queryable, Store } from '../store/index.ts';
import { transactionWithRetry } from './retry.ts';
import { readLoyaltySettings } from './settings.ts';

export interface StoredValueEntry {
  key: string;
  kind: 'top_up' | 'spend' | 'refund' | 'adjust';
  principalFen: number;
  bonusFen: number;
  isReplay: boolean;
}

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

async function replay(tx: Queryable, customerId: string, key: string): Promise<StoredValueEntry | undefined> {
  const [row] = await tx.query<{ kind: StoredValueEntry['kind']; principal_fen: number; bonus_fen: number }>('SELECT kind, principal_fen, bonus_fen FROM stored_value_ledger WHERE customer_id = $1 AND entry_key = $2', [customerId, key]);
  return row ? { key, kind: row.kind, principalFen: Number(row.principal_fen), bonusFen: Number(row.bonus_fen), isReplay: true } : undefined;
}

async function write(tx: Queryable, customerId: string, e: Omit<StoredValueEntry, 'isReplay'>, source: string, sourceId: string | null, now: Date): Promise<StoredValueEntry> {
  await tx.execute(
    'INSERT INTO stored_value_ledger (customer_id, entry_key, kind, principal_fen, bonus_fen, source, source_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [customerId, e.key, e.kind, e.principalFen, e.bonusFen, source, sourceId, now],
  );
  return { ...e, isReplay: false };
}

/**
 * Tops up a card, once per key, with the best bonus rule the amount reaches (充 500 送 50). The principal may not take
 * the card past the configured cap: a guarded delta, so two top-ups at once cannot pass it together.
 */
export async function topUp(store: Store, input: { customerId: string; key: string; amountFen: number; source?: string; now?: Date }): Promise<StoredValueEntry> {
  if (!Number.isInteger(input.amountFen) || input.amountFen <= 0) throw new SiyuError('validation', 'invalid_amount', 'amountFen must be a positive whole number', { details: [{ path: 'amountFen', message: 'positive whole fen' }] });
  const now = input.now ?? new Date();
  return transactionWithRetry(store, async (tx) => {
    const seen = await replay(tx, input.customerId, input.key);
    if (seen) return seen;
    const settings = await readLoyaltySettings(tx, 'stored_value');
    const bonus = settings.bonusRules.filter((r) => input.amountFen >= r.minTopUpFen).reduce((best, r) => Math.max(best, r.bonusFen), 0);
    await tx.execute('INSERT INTO stored_value_accounts (customer_id, principal_fen, bonus_fen, updated_at) VALUES ($1, 0, 0, $2) ON CONFLICT DO NOTHING', [input.customerId, now]);
    const n = await tx.execute(
      'UPDATE stored_value_accounts SET principal_fen = principal_fen + $2, bonus_fen = bonus_fen + $3, updated_at = $4 WHERE customer_id = $1 AND principal_fen + $2 <= $5',
      [input.customerId, input.amountFen, bonus, now, settings.capFen],
    );
    if (n !== 1) throw new SiyuError('conflict', 'over_prepaid_cap', `a card may hold at most ${yuan(settings.capFen)}; this top-up would pass it`, { details: [{ path: 'amountFen', message: 'over the cap' }] });
    return write(tx, input.customerId, { key: input.key, kind: 'top_up', principalFen: input.amountFen, bonusFen: bonus }, input.source ?? 'api', null, now);
  });
}

/**
 * Pays from a card, once per key: principal and bonus in proportion to the balance (so the bonus, which is not the
 * customer's money, is used up at the same pace), by guarded deltas that cannot take either below zero.
 */
export async function spendStoredValue(store: Store, input: { customerId: string; key: string; amountFen: number; orderId?: string; now?: Date }): Promise<StoredValueEntry> {
  if (!Number.isInteger(input.amountFen) || input.amountFen <= 0) throw new SiyuError('validation', 'invalid_amount', 'amountFen must be a positive whole number', { details: [{ path: 'amountFen', message: 'positive whole fen' }] });
  const now = input.now ?? new Date();
  return transactionWithRetry(store, async (tx) => {
    const seen = await replay(tx, input.customerId, input.key);
    if (seen) return seen;
    await tx.execute('UPDATE stored_value_accounts SET updated_at = $2 WHERE customer_id = $1', [input.customerId, now]); // lock the card first
    const [a] = await tx.query<{ principal_fen: number; bonus_fen: number }>('SELECT principal_fen, bonus_fen FROM stored_value_accounts WHERE customer_id = $1', [input.customerId]);
    const principal = Number(a?.principal_fen ?? 0);
    const bonus = Number(a?.bonus_fen ?? 0);
    if (principal + bonus < input.amountFen) throw new SiyuError('conflict', 'insufficient_stored_value', `the card holds ${yuan(principal + bonus)}, not ${yuan(input.amountFen)}`);
    const fromBonus = Math.min(bonus, Math.floor((input.amountFen * bonus) / (principal + bonus)));
    const fromPrincipal = input.amountFen - fromBonus;
    const n = await tx.execute(
      'UPDATE stored_value_accounts SET principal_fen = principal_fen - $2, bonus_fen = bonus_fen - $3 WHERE customer_id = $1 AND principal_fen >= $2 AND bonus_fen >= $3',
      [input.customerId, fromPrincipal, fromBonus],
    );
    if (n !== 1) throw new SiyuError('conflict', 'stored_value_changed', 'the card changed while paying; try again');
    return write(tx, input.customerId, { key: input.key, kind: 'spend', principalFen: -fromPrincipal, bonusFen: -fromBonus }, 'api', input.orderId ?? null, now);
  });
}

/** Refunds a payment to the card, once per key: the same principal and bonus it took, as deltas (the cap does not apply to money returned). */
export async function refundStoredValue(store: Store, input: { customerId: string; key: string; spendKey: string; now?: Date }): Promise<StoredValueEntry> {
  const now = input.now ?? new Date();
  return transactionWithRetry(store, async (tx) => {
    const seen = await replay(tx, input.customerId, input.key);
    if (seen) return seen;
    const spend = await replay(tx, input.customerId, input.spendKey);
    if (!spend || spend.kind !== 'spend') throw new SiyuError('not_found', 'spend_not_found', `no payment ${input.spendKey} of ${input.customerId}`);
    const [done] = await tx.query('SELECT 1 AS x FROM stored_value_ledger WHERE customer_id = $1 AND kind = $2 AND source_id = $3', [input.customerId, 'refund', input.spendKey]);
    if (done) throw new SiyuError('conflict', 'already_refunded', `payment ${input.spendKey} has been refunded`);
    await tx.execute('UPDATE stored_value_accounts SET principal_fen = principal_fen + $2, bonus_fen = bonus_fen + $3, updated_at = $4 WHERE customer_id = $1', [input.customerId, -spend.principalFen, -spend.bonusFen, now]);
    return write(tx, input.customerId, { key: input.key, kind: 'refund', principalFen: -spend.principalFen, bonusFen: -spend.bonusFen }, 'api', input.spendKey, now);
  });
}

/** A card's balance, principal and bonus apart, and its entries, newest first. */
export async function storedValueBalance(db: Queryable, customerId: string) {
  const [a] = await db.query<{ principal_fen: number; bonus_fen: number }>('SELECT principal_fen, bonus_fen FROM stored_value_accounts WHERE customer_id = $1', [customerId]);
  const entries = await db.query<{ entry_key: string; kind: string; principal_fen: number; bonus_fen: number; created_at: Date }>(
    'SELECT entry_key, kind, principal_fen, bonus_fen, created_at FROM stored_value_ledger WHERE customer_id = $1 ORDER BY created_at DESC, entry_key LIMIT 200',
    [customerId],
  );
  return {
    customerId,
    principalFen: Number(a?.principal_fen ?? 0),
    bonusFen: Number(a?.bonus_fen ?? 0),
    entries: entries.map((e) => ({ key: e.entry_key, kind: e.kind, principalFen: Number(e.principal_fen), bonusFen: Number(e.bonus_fen), at: e.created_at })),
  };
}
