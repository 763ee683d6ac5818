import { SiyuError } from '../core/errors.ts';
import { dialect, jsonRowsParam, readBrandSettings, type Queryable, type Store } from '../store/index.ts';
import { zonedInstant, localParts } from '../core/local-time.ts';
import { readLoyaltySettings } from './settings.ts';
import type { PointsSettings } from './schemas.ts';
import { transactionWithRetry } from './retry.ts';

export type PointsKind = 'earn' | 'redeem' | 'expire' | 'reverse' | 'adjust';
export type PointsSource = 'order' | 'event' | 'journey' | 'staff' | 'job' | 'api';

/** One award: positive points fill a bucket; an `adjust` may be negative and then takes from buckets (FIFO). */
export interface PointsAward {
  customerId: string;
  key: string;
  points: number;
  source: PointsSource;
  sourceId?: string;
  reason?: string;
  orderId?: string;
  /** When the points were earned (default now); pending and expiry count from here. */
  at?: Date;
  /** Usable at once instead of after the pending period (actions, staff grants). */
  isImmediate?: boolean;
  kind?: 'earn' | 'adjust';
}

export type AwardOutcome = { customerId: string; key: string; outcome: 'awarded' | 'duplicate'; points: number };

/** When points earned at `at` expire under the program's rule. */
export function pointsExpiry(settings: PointsSettings, timezone: string, at: Date): Date {
  const p = localParts(timezone, at);
  switch (settings.expiry.kind) {
    case 'rolling':
      return zonedInstant(timezone, p.year, p.month + settings.expiry.months, p.day, p.hour, p.minute);
    case 'calendar': // earned in year Y: cleared at the end of 31 December of Y + 1
      return zonedInstant(timezone, p.year + 2, 1, 1);
    case 'never':
      return new Date('9999-12-31T00:00:00Z');
  }
}

/**
 * Awards points inside the caller's transaction (a journey step's, ingest's): set-based, idempotent per customer and
 * key (a repeat is a `duplicate` and changes nothing). Each positive award is a ledger entry and a bucket, pending for
 * the program's pending days unless immediate; the cached balance moves by the same delta.
 */
export async function awardPoints(tx: Queryable, awards: readonly PointsAward[], options: { now?: Date; settings?: PointsSettings; timezone?: string } = {}): Promise<AwardOutcome[]> {
  const now = options.now ?? new Date();
  const settings = options.settings ?? (await readLoyaltySettings(tx, 'points'));
  const timezone = options.timezone ?? (await readBrandSettings(tx)).timezone;
  for (const a of awards) if (!Number.isInteger(a.points)) throw new SiyuError('validation', 'invalid_points', `points must be whole numbers (${a.customerId} ${a.key})`);
  const existing = await existingKeys(tx, 'points_ledger', awards.map((a) => [a.customerId, a.key]));
  const fresh = [...new Map(awards.filter((a) => !existing.has(`${a.customerId}\u0000${a.key}`) && a.points !== 0).map((a) => [`${a.customerId}\u0000${a.key}`, a])).values()];
  const adds = fresh.filter((a) => a.points > 0);
  await tx.insertRows(
    'points_ledger',
    ['customer_id', 'entry_key', 'kind', 'points', 'source', 'source_id', 'reason', 'order_id', 'created_at'],
    adds.map((a) => [a.customerId, a.key, a.kind ?? 'earn', a.points, a.source, a.sourceId ?? null, a.reason ?? null, a.orderId ?? null, a.at ?? now]),
  );
  await tx.insertRows(
    'points_buckets',
    ['customer_id', 'bucket_key', 'earned', 'remaining', 'available_at', 'expires_at', 'order_id', 'created_at'],
    adds.map((a) => {
      const at = a.at ?? now;
      return [a.customerId, a.key, a.points, a.points, a.isImmediate ? at : new Date(at.getTime() + settings.pendingDays * 86_400_000), pointsExpiry(settings, timezone, at), a.orderId ?? null, now];
    }),
  );
  await moveBalances(tx, adds.map((a) => [a.customerId, a.points]), now);
  for (const a of fresh.filter((x) => x.points < 0)) {
    const taken = await consume(tx, a.customerId, a.key, -a.points, now, { pendingToo: true });
    await insertEntry(tx, { customerId: a.customerId, key: a.key, kind: 'adjust', points: -taken, source: a.source, sourceId: a.sourceId, reason: a.reason, orderId: a.orderId, at: now });
  }
  return awards.map((a) => ({ customerId: a.customerId, key: a.key, outcome: existing.has(`${a.customerId}\u0000${a.key}`) ? 'duplicate' : 'awarded', points: a.points }));
}

export async function existingKeys(tx: Queryable, table: 'points_ledger' | 'growth_ledger' | 'stored_value_ledger', keys: readonly string[][]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await tx.query<{ customer_id: string; entry_key: string }>(
    `SELECT l.customer_id, l.entry_key FROM ${table} l JOIN ${dialect(tx.kind).jsonRows('$1', ['c', 'k'])} k ON l.customer_id = k.c AND l.entry_key = k.k`,
    [jsonRowsParam(keys)],
  );
  return new Set(rows.map((r) => `${r.customer_id}\u0000${r.entry_key}`));
}

/** Adds signed deltas to the cached balances (one statement; accounts are created at zero first). */
export async function moveBalances(tx: Queryable, deltas: readonly [string, number][], now: Date): Promise<void> {
  const by = new Map<string, number>();
  for (const [c, d] of deltas) by.set(c, (by.get(c) ?? 0) + d);
  const rows = [...by].filter(([, d]) => d !== 0).map(([c, d]) => [c, String(d)]);
  if (rows.length === 0) return;
  const values = dialect(tx.kind).jsonRows('$1', ['c', 'd']);
  await tx.execute(`INSERT INTO points_accounts (customer_id, balance, updated_at) SELECT v.c, 0, $2 FROM ${values} v ON CONFLICT DO NOTHING`, [jsonRowsParam(rows), now]);
  await tx.execute(`UPDATE points_accounts SET balance = balance + CAST(v.d AS BIGINT), updated_at = $2 FROM ${values} v WHERE points_accounts.customer_id = v.c`, [jsonRowsParam(rows), now]);
}

export async function insertEntry(tx: Queryable, e: { customerId: string; key: string; kind: PointsKind; points: number; source: PointsSource | string; sourceId?: string; reason?: string; orderId?: string; at: Date }): Promise<void> {
  await tx.execute(
    `INSERT INTO points_ledger (customer_id, entry_key, kind, points, source, source_id, reason, order_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [e.customerId, e.key, e.kind, e.points, e.source, e.sourceId ?? null, e.reason ?? null, e.orderId ?? null, e.at],
  );
}

/**
 * Takes up to `points` from a customer's buckets, earliest expiry first (FIFO), recording each take in
 * points_allocations under `entryKey` and moving the cached balance; returns what it took. `preferBucket` is taken
 * from first (a refund's own earn), `pendingToo` lets pending buckets give (reversals, pending first).
 */
export async function consume(tx: Queryable, customerId: string, entryKey: string, points: number, now: Date, options: { pendingToo?: boolean; preferBucket?: string } = {}): Promise<number> {
  if (points <= 0) return 0;
  // Taking the account row first serialises a customer's consumptions (a row lock on PostgreSQL, a write conflict on DuckDB).
  await tx.execute('UPDATE points_accounts SET updated_at = $2 WHERE customer_id = $1', [customerId, now]);
  const takes = await tx.query<{ bucket_key: string; take: number }>(
    `WITH b AS (
       SELECT bucket_key, remaining,
              sum(remaining) OVER (ORDER BY CASE WHEN bucket_key = $4 THEN 0 WHEN available_at > $3 THEN 1 ELSE 2 END * (CASE WHEN $5 THEN 1 ELSE 0 END), expires_at, available_at, bucket_key ROWS UNBOUNDED PRECEDING) AS cum
       FROM points_buckets WHERE customer_id = $1 AND remaining > 0 AND expires_at > $3 AND ($5 OR available_at <= $3))
     SELECT bucket_key, least(remaining, $2 - (cum - remaining)) AS take FROM b WHERE cum - remaining < $2`,
    [customerId, points, now, options.preferBucket ?? '', options.pendingToo === true],
  );
  const rows = takes.map((t) => [t.bucket_key, String(t.take)]);
  if (rows.length === 0) return 0;
  const values = dialect(tx.kind).jsonRows('$2', ['b', 't']);
  const changed = await tx.execute(
    `UPDATE points_buckets SET remaining = remaining - CAST(v.t AS BIGINT) FROM ${values} v WHERE points_buckets.customer_id = $1 AND points_buckets.bucket_key = v.b AND remaining >= CAST(v.t AS BIGINT)`,
    [customerId, jsonRowsParam(rows)],
  );
  if (changed !== rows.length) throw new SiyuError('conflict', 'points_conflict', `points of ${customerId} changed while being spent; try again`);
  await tx.insertRows('points_allocations', ['customer_id', 'entry_key', 'bucket_key', 'points'], takes.map((t) => [customerId, entryKey, t.bucket_key, Number(t.take)]));
  const taken = takes.reduce((s, t) => s + Number(t.take), 0);
  await moveBalances(tx, [[customerId, -taken]], now);
  return taken;
}

/**
 * Spends points as payment, once per key: at most the program's share of the order, on orders of at least its minimum,
 * from usable (not pending) buckets, earliest expiry first. Returns what was spent and what it is worth.
 */
export async function spendPoints(store: Store, input: { customerId: string; key: string; points: number; orderId?: string; orderTotalFen?: number; now?: Date }): Promise<{ key: string; points: number; valueFen: number; isReplay: boolean }> {
  const now = input.now ?? new Date();
  if (!Number.isInteger(input.points) || input.points <= 0) throw new SiyuError('validation', 'invalid_points', 'points must be a positive whole number', { details: [{ path: 'points', message: 'positive whole number' }] });
  return transactionWithRetry(store, async (tx) => {
    const settings = await readLoyaltySettings(tx, 'points');
    const [done] = await tx.query<{ points: number }>('SELECT points FROM points_ledger WHERE customer_id = $1 AND entry_key = $2', [input.customerId, input.key]);
    if (done) return { key: input.key, points: -Number(done.points), valueFen: -Number(done.points) * settings.fenPerPoint, isReplay: true };
    if (input.orderTotalFen !== undefined) {
      if (input.orderTotalFen < settings.minOrderFen) throw new SiyuError('validation', 'order_too_small', `points pay only on orders of at least ¥${(settings.minOrderFen / 100).toFixed(2)}`);
      const capFen = Math.floor(input.orderTotalFen * settings.maxShareOfOrder);
      if (input.points * settings.fenPerPoint > capFen) throw new SiyuError('validation', 'over_points_cap', `points may pay at most ¥${(capFen / 100).toFixed(2)} of this order (${Math.floor(capFen / settings.fenPerPoint)} points)`, { details: [{ path: 'points', message: 'over the per-order cap' }] });
    }
    const taken = await consume(tx, input.customerId, input.key, input.points, now);
    if (taken < input.points) throw new SiyuError('conflict', 'insufficient_points', `${input.customerId} has ${taken} usable points, not ${input.points}`);
    await insertEntry(tx, { customerId: input.customerId, key: input.key, kind: 'redeem', points: -taken, source: 'api', orderId: input.orderId, at: now });
    return { key: input.key, points: taken, valueFen: taken * settings.fenPerPoint, isReplay: false };
  });
}

export interface PointsBalance {
  customerId: string;
  balance: number;
  pending: number;
  active: number;
  expiring: { expiresAt: Date; points: number }[];
}

/** A customer's balance split pending and active, with what expires when. */
export async function pointsBalance(db: Queryable, customerId: string, now = new Date()): Promise<PointsBalance> {
  const [a] = await db.query<{ balance: number }>('SELECT balance FROM points_accounts WHERE customer_id = $1', [customerId]);
  const buckets = await db.query<{ pending: number; expires_at: Date; points: number }>(
    `SELECT (available_at > $2) AS pending, expires_at, sum(remaining) AS points FROM points_buckets WHERE customer_id = $1 AND remaining > 0 AND expires_at > $2 GROUP BY 1, 2 ORDER BY expires_at`,
    [customerId, now],
  );
  const pending = buckets.filter((b) => b.pending).reduce((s, b) => s + Number(b.points), 0);
  const active = buckets.filter((b) => !b.pending).reduce((s, b) => s + Number(b.points), 0);
  const expiring = new Map<number, number>();
  for (const b of buckets) expiring.set(b.expires_at.getTime(), (expiring.get(b.expires_at.getTime()) ?? 0) + Number(b.points));
  return { customerId, balance: Number(a?.balance ?? 0), pending, active, expiring: [...expiring].map(([t, points]) => ({ expiresAt: new Date(t), points })) };
}

/** A customer's ledger entries, newest first. */
export async function pointsLedger(db: Queryable, customerId: string, limit = 200) {
  const rows = await db.query<{ entry_key: string; kind: PointsKind; points: number; source: string; source_id: string | null; reason: string | null; order_id: string | null; created_at: Date }>(
    'SELECT entry_key, kind, points, source, source_id, reason, order_id, created_at FROM points_ledger WHERE customer_id = $1 ORDER BY created_at DESC, entry_key LIMIT $2',
    [customerId, limit],
  );
  return rows.map((r) => ({ key: r.entry_key, kind: r.kind, points: Number(r.points), source: r.source, sourceId: r.source_id, reason: r.reason, orderId: r.order_id, at: r.created_at }));
}
