import { SiyuError } from '../core/errors.ts';
import { dialect, jsonRowsParam, queueWatchedEvents, type Queryable, type Store } from '../store/index.ts';
import { existingKeys } from './points.ts';
import { readLoyaltySettings } from './settings.ts';
import type { TierSettings } from './schemas.ts';

export interface GrowthAward {
  customerId: string;
  key: string;
  points: number;
  source: string;
  sourceId?: string;
  at?: Date;
}

/** SQL for the tier a growth total `g` qualifies for, and for a tier name's rank (0 = lowest). */
function tierSql(settings: TierSettings) {
  const tiers = [...settings.tiers].sort((a, b) => a.threshold - b.threshold);
  const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return {
    tiers,
    qualifies: (g: string) => `CASE ${[...tiers].reverse().map((t) => `WHEN ${g} >= ${t.threshold} THEN ${lit(t.name)}`).join(' ')} ELSE ${lit(tiers[0]!.name)} END`,
    rank: (name: string) => `CASE ${name} ${tiers.map((t, i) => `WHEN ${lit(t.name)} THEN ${i}`).join(' ')} ELSE -1 END`,
    threshold: (name: string) => `CASE ${name} ${tiers.map((t) => `WHEN ${lit(t.name)} THEN ${t.threshold}`).join(' ')} ELSE 0 END`,
  };
}

/**
 * Adds growth value (成长值) in the caller's transaction, idempotent per customer and key, then upgrades at once every
 * customer whose growth over the window now reaches a higher tier. Returns how many were upgraded.
 */
export async function awardGrowth(tx: Queryable, awards: readonly GrowthAward[], now: Date, settings?: TierSettings): Promise<number> {
  const existing = await existingKeys(tx, 'growth_ledger', awards.map((a) => [a.customerId, a.key]));
  const fresh = [...new Map(awards.filter((a) => a.points !== 0 && !existing.has(`${a.customerId}\u0000${a.key}`)).map((a) => [`${a.customerId}\u0000${a.key}`, a])).values()];
  if (fresh.length === 0) return 0;
  await tx.insertRows('growth_ledger', ['customer_id', 'entry_key', 'points', 'source', 'source_id', 'created_at'], fresh.map((a) => [a.customerId, a.key, a.points, a.source, a.sourceId ?? null, a.at ?? now]));
  return changeTiers(tx, [...new Set(fresh.map((a) => a.customerId))], now, settings ?? (await readLoyaltySettings(tx, 'tiers')), 'upgrade');
}

/**
 * Moves tiers: `upgrade` raises those whose window growth reaches a higher tier (and enrols new members at the lowest);
 * `evaluate` also lowers, with 保级 and grace: a member below the tier's threshold keeps the tier while the window's
 * growth is at least keepShare of it; otherwise a grace period starts, and at an evaluation after it ends the member
 * moves to the tier the growth qualifies for. Each change is a tier_history row and a `Tier Changed` event.
 */
async function changeTiers(tx: Queryable, customerIds: readonly string[] | 'all', now: Date, settings: TierSettings, mode: 'upgrade' | 'evaluate'): Promise<number> {
  const t = tierSql(settings);
  const since = new Date(now.getTime() - settings.windowDays * 86_400_000);
  const scope = customerIds === 'all' ? '' : `AND g.customer_id IN (SELECT k.c FROM ${dialect(tx.kind).jsonRows('$3', ['c'])} k)`;
  const params: unknown[] = [since, now, ...(customerIds === 'all' ? [] : [jsonRowsParam(customerIds.map((c) => [c]))])];
  await tx.execute('DROP TABLE IF EXISTS tier_moves');
  await tx.execute(
    `CREATE TEMP TABLE tier_moves AS
     WITH grown AS (
       SELECT g.customer_id, sum(CASE WHEN g.created_at > $1 AND g.created_at <= $2 THEN g.points ELSE 0 END) AS growth
       FROM growth_ledger g WHERE TRUE ${scope} GROUP BY g.customer_id
       ${mode === 'evaluate' ? 'UNION ALL SELECT m.customer_id, 0 FROM member_tiers m WHERE m.customer_id NOT IN (SELECT customer_id FROM growth_ledger)' : ''}
     ), s AS (
       SELECT w.customer_id, w.growth, m.tier AS current, m.grace_until, ${t.qualifies('w.growth')} AS qualified
       FROM grown w LEFT JOIN member_tiers m ON m.customer_id = w.customer_id
     )
     SELECT customer_id, current, qualified, growth, grace_until,
            CASE WHEN current IS NULL OR ${t.rank('qualified')} > ${t.rank('current')} THEN 'upgrade'
                 WHEN ${t.rank('qualified')} = ${t.rank('current')} THEN 'hold'
                 WHEN growth >= ${settings.keepShare} * ${t.threshold('current')} THEN 'kept'
                 WHEN grace_until IS NULL THEN 'grace'
                 WHEN grace_until <= $2 THEN 'downgrade'
                 ELSE 'waiting' END AS move
     FROM s`,
    params,
  );
  const moves = mode === 'upgrade' ? `('upgrade')` : `('upgrade', 'downgrade')`;
  await tx.execute(
    `INSERT INTO tier_history (customer_id, changed_at, from_tier, to_tier, reason) SELECT customer_id, $1, current, qualified, move FROM tier_moves WHERE move IN ${moves}`,
    [now],
  );
  await tx.execute(`DELETE FROM member_tiers WHERE customer_id IN (SELECT customer_id FROM tier_moves WHERE move IN ${moves})`);
  await tx.execute(`INSERT INTO member_tiers (customer_id, tier, since, grace_until, updated_at) SELECT customer_id, qualified, $1, NULL, $1 FROM tier_moves WHERE move IN ${moves}`, [now]);
  if (mode === 'evaluate') {
    await tx.execute(`UPDATE member_tiers SET grace_until = $1 WHERE customer_id IN (SELECT customer_id FROM tier_moves WHERE move = 'grace')`, [new Date(now.getTime() + settings.graceDays * 86_400_000)]);
    await tx.execute(`UPDATE member_tiers SET grace_until = NULL WHERE customer_id IN (SELECT customer_id FROM tier_moves WHERE move IN ('hold', 'kept'))`);
  }
  const events = `SELECT customer_id, 'tier:' || customer_id || ':' || CAST($1 AS VARCHAR) || ':' || qualified AS message_id, 'Tier Changed' AS name,
                         ${dialect(tx.kind).jsonObject([['from', 'current'], ['to', 'qualified'], ['reason', 'move'], ['growth', 'growth']])} AS properties, CAST($2 AS TIMESTAMPTZ) AS ts
                  FROM tier_moves WHERE move IN ${moves} AND current IS NOT NULL`;
  await tx.execute(`INSERT INTO events (customer_id, message_id, type, name, properties, ts, received_at, source) SELECT customer_id, message_id, 'track', name, properties, ts, ts, 'siyu loyalty' FROM (${events}) e`, [now.toISOString(), now]);
  await queueWatchedEvents(tx, events, [now.toISOString(), now]);
  const [n] = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM tier_moves WHERE move IN ${moves}`);
  await tx.execute('DROP TABLE tier_moves');
  return Number(n!.n);
}

/** The scheduled evaluation: upgrades, 保级, grace periods and downgrades for every member; idempotent within a day. */
export async function evaluateTiers(store: Store, now = new Date()): Promise<{ changed: number }> {
  return store.transaction(async (tx) => ({ changed: await changeTiers(tx, 'all', now, await readLoyaltySettings(tx, 'tiers'), 'evaluate') }));
}

/** Sets customers' tier by hand or from a journey (reason `set`), with the same history and event. */
export async function setTier(tx: Queryable, customerIds: readonly string[], tier: string, options: { now?: Date } = {}): Promise<number> {
  const settings = await readLoyaltySettings(tx, 'tiers');
  if (!settings.tiers.some((t) => t.name === tier)) throw new SiyuError('validation', 'unknown_tier', `no tier ${JSON.stringify(tier)}; tiers are ${settings.tiers.map((t) => t.name).join(', ')}`);
  const now = options.now ?? new Date();
  const ids = jsonRowsParam([...new Set(customerIds)].map((c) => [c]));
  const rows = dialect(tx.kind).jsonRows('$1', ['c']);
  const changed = await tx.query<{ customer_id: string; tier: string | null }>(`SELECT k.c AS customer_id, m.tier FROM ${rows} k LEFT JOIN member_tiers m ON m.customer_id = k.c WHERE m.tier IS NULL OR m.tier <> $2`, [ids, tier]);
  for (const c of changed) {
    await tx.execute('DELETE FROM member_tiers WHERE customer_id = $1', [c.customer_id]);
    await tx.execute('INSERT INTO member_tiers (customer_id, tier, since, grace_until, updated_at) VALUES ($1, $2, $3, NULL, $3)', [c.customer_id, tier, now]);
    await tx.execute(`INSERT INTO tier_history (customer_id, changed_at, from_tier, to_tier, reason) VALUES ($1, $2, $3, $4, 'set')`, [c.customer_id, now, c.tier, tier]);
    // Typed JSON here, not in the INSERT: the event queue takes the same select, and PostgreSQL will not put text in its JSON column.
    const event = `SELECT $1 AS customer_id, $2 AS message_id, 'Tier Changed' AS name, CAST($3 AS JSON) AS properties, CAST($4 AS TIMESTAMPTZ) AS ts`;
    const params = [c.customer_id, `tier:${c.customer_id}:${now.toISOString()}:${tier}`, JSON.stringify({ from: c.tier, to: tier, reason: 'set' }), now];
    await tx.execute(`INSERT INTO events (customer_id, message_id, type, name, properties, ts, received_at, source) SELECT customer_id, message_id, 'track', name, properties, ts, ts, 'siyu loyalty' FROM (${event}) e`, params);
    await queueWatchedEvents(tx, event, params);
  }
  return changed.length;
}

/** A customer's tier, growth over the window, and tier history. */
export async function customerTier(db: Queryable, customerId: string, now = new Date()) {
  const settings = await readLoyaltySettings(db, 'tiers');
  const [m] = await db.query<{ tier: string; since: Date; grace_until: Date | null }>('SELECT tier, since, grace_until FROM member_tiers WHERE customer_id = $1', [customerId]);
  const [g] = await db.query<{ growth: number }>('SELECT coalesce(sum(points), 0) AS growth FROM growth_ledger WHERE customer_id = $1 AND created_at > $2 AND created_at <= $3', [customerId, new Date(now.getTime() - settings.windowDays * 86_400_000), now]);
  const history = await db.query<{ changed_at: Date; from_tier: string | null; to_tier: string; reason: string }>('SELECT changed_at, from_tier, to_tier, reason FROM tier_history WHERE customer_id = $1 ORDER BY changed_at', [customerId]);
  return {
    customerId,
    tier: m?.tier ?? null,
    since: m?.since ?? null,
    graceUntil: m?.grace_until ?? null,
    growth: Number(g!.growth),
    history: history.map((h) => ({ at: h.changed_at, from: h.from_tier, to: h.to_tier, reason: h.reason })),
  };
}

/** The points multiplier of each customer's tier (1 for non-members). */
export async function tierMultipliers(tx: Queryable, customerIds: readonly string[], settings?: TierSettings): Promise<Map<string, number>> {
  const s = settings ?? (await readLoyaltySettings(tx, 'tiers'));
  if (customerIds.length === 0) return new Map();
  const rows = await tx.query<{ customer_id: string; tier: string }>(`SELECT m.customer_id, m.tier FROM member_tiers m JOIN ${dialect(tx.kind).jsonRows('$1', ['c'])} k ON k.c = m.customer_id`, [jsonRowsParam(customerIds.map((c) => [c]))]);
  const by = new Map(s.tiers.map((t) => [t.name, t.pointsMultiplier]));
  return new Map(rows.map((r) => [r.customer_id, by.get(r.tier) ?? 1]));
}
