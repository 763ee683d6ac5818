import { createTempTable, dialect, queueWatchedEvents, type Queryable, type Store } from '../store/index.ts';
import { readLoyaltySettings } from './settings.ts';

/**
 * The expiry job: every bucket whose time has come gives up what remains, as one `expire` entry per bucket (keyed by
 * the bucket, so a second run finds nothing to do and writes nothing), traced in points_allocations, with the cached
 * balances moved by the same deltas. Also sends one `Points Expiring` event per customer and expiry day that falls
 * within the program's reminder days, for journeys. All set-based, in one transaction.
 */
export async function expirePoints(store: Store, now = new Date()): Promise<{ buckets: number; points: number; customers: number; reminders: number }> {
  return store.transaction(async (tx) => {
    await createTempTable(tx, 'points_due', `SELECT customer_id, bucket_key, remaining FROM points_buckets WHERE expires_at <= $1 AND remaining > 0`, [now]);
    const [due] = await tx.query<{ buckets: number; points: number; customers: number }>('SELECT count(*) AS buckets, coalesce(sum(remaining), 0) AS points, count(DISTINCT customer_id) AS customers FROM points_due');
    if (Number(due!.buckets) > 0) {
      await tx.execute(
        `INSERT INTO points_ledger (customer_id, entry_key, kind, points, source, reason, created_at)
         SELECT customer_id, 'expire:' || bucket_key, 'expire', -remaining, 'job', 'expired', $1 FROM points_due`,
        [now],
      );
      await tx.execute(`INSERT INTO points_allocations (customer_id, entry_key, bucket_key, points) SELECT customer_id, 'expire:' || bucket_key, bucket_key, remaining FROM points_due`);
      await tx.execute(
        `UPDATE points_buckets SET remaining = points_buckets.remaining - d.remaining FROM points_due d WHERE points_buckets.customer_id = d.customer_id AND points_buckets.bucket_key = d.bucket_key`,
      );
      await tx.execute(
        `UPDATE points_accounts SET balance = balance - d.points, updated_at = $1
         FROM (SELECT customer_id, sum(remaining) AS points FROM points_due GROUP BY customer_id) d WHERE points_accounts.customer_id = d.customer_id`,
        [now],
      );
    }
    await tx.execute('DROP TABLE points_due');
    const reminders = await remindExpiring(tx, now);
    return { buckets: Number(due!.buckets), points: Number(due!.points), customers: Number(due!.customers), reminders };
  });
}

async function remindExpiring(tx: Queryable, now: Date): Promise<number> {
  const settings = await readLoyaltySettings(tx, 'points');
  const until = new Date(now.getTime() + settings.reminderDays * 86_400_000);
  const select = `SELECT b.customer_id, 'points-expiring:' || b.customer_id || ':' || CAST(CAST(b.expires_at AS DATE) AS VARCHAR) AS message_id, 'Points Expiring' AS name,
                         ${dialect(tx.kind).jsonObject([['points', 'sum(b.remaining)'], ['expires_at', 'CAST(min(b.expires_at) AS VARCHAR)']])} AS properties, CAST($1 AS TIMESTAMPTZ) AS ts
                  FROM points_buckets b
                  WHERE b.remaining > 0 AND b.expires_at > $1 AND b.expires_at <= $2 AND b.available_at <= $1
                    AND NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_id = b.customer_id AND e.message_id = 'points-expiring:' || b.customer_id || ':' || CAST(CAST(b.expires_at AS DATE) AS VARCHAR))
                  GROUP BY b.customer_id, CAST(b.expires_at AS DATE)`;
  const params = [now, until];
  const n = await tx.execute(`INSERT INTO events (customer_id, message_id, type, name, properties, ts, received_at, source) SELECT customer_id, message_id, 'track', name, properties, ts, ts, 'siyu loyalty' FROM (${select}) e`, params);
  if (n > 0) {
    // queue what was just inserted, read back by its ids
    await queueWatchedEvents(tx, `SELECT customer_id, message_id, name, properties, ts FROM events WHERE name = 'Points Expiring' AND ts = CAST($1 AS TIMESTAMPTZ) AND source = 'siyu loyalty'`, [now]);
  }
  return n;
}

export interface PointsCheck {
  customers: number;
  mismatches: { customerId: string; cached: number; ledger: number; buckets: number; allocations: number }[];
}

/**
 * Proves the cached balances: for every customer the cached balance, the ledger's sum, and the buckets' remaining
 * all agree, and every bucket's remaining equals what it earned less what its allocations took.
 */
export async function checkPoints(db: Queryable): Promise<PointsCheck> {
  const rows = await db.query<{ customer_id: string; cached: number; ledger: number; buckets: number; allocations: number }>(
    `WITH l AS (SELECT customer_id, sum(points) AS ledger FROM points_ledger GROUP BY customer_id),
          b AS (SELECT customer_id, sum(remaining) AS buckets, sum(earned) AS earned FROM points_buckets GROUP BY customer_id),
          a AS (SELECT customer_id, sum(points) AS taken FROM points_allocations GROUP BY customer_id),
          ids AS (SELECT customer_id FROM l UNION SELECT customer_id FROM points_accounts)
     SELECT ids.customer_id, coalesce(p.balance, 0) AS cached, coalesce(l.ledger, 0) AS ledger, coalesce(b.buckets, 0) AS buckets,
            coalesce(b.earned, 0) - coalesce(a.taken, 0) AS allocations
     FROM ids LEFT JOIN points_accounts p ON p.customer_id = ids.customer_id LEFT JOIN l ON l.customer_id = ids.customer_id
     LEFT JOIN b ON b.customer_id = ids.customer_id LEFT JOIN a ON a.customer_id = ids.customer_id`,
  );
  const mismatches = rows
    .map((r) => ({ customerId: r.customer_id, cached: Number(r.cached), ledger: Number(r.ledger), buckets: Number(r.buckets), allocations: Number(r.allocations) }))
    .filter((r) => r.cached !== r.ledger || r.ledger !== r.buckets || r.buckets !== r.allocations);
  return { customers: rows.length, mismatches };
}
