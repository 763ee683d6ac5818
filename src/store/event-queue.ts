import type { Queryable } from './store.ts';

/**
 * Events some consumer watches for (the journey engine: triggers, waits for an event, exits and goals) are queued in
 * `event_queue` by the same transaction that writes them to `events`, and the consumer deletes them once processed.
 * Unlike a cursor over `received_at`, a queue misses no event whose transaction commits late, and the consumer never
 * scans the events table. Only names listed in `watched_events` are queued.
 */

/** Queues the rows of `select` (columns customer_id, message_id, name, properties, ts) whose name is watched. */
export async function queueWatchedEvents(tx: Queryable, select: string, params: readonly unknown[] = []): Promise<number> {
  return tx.execute(
    `INSERT INTO event_queue (customer_id, message_id, name, properties, ts, queued_at)
     SELECT s.customer_id, s.message_id, s.name, s.properties, s.ts, now() FROM (${select}) s WHERE s.name IN (SELECT name FROM watched_events)`,
    params,
  );
}

/** Queues those of `rows` (written by the caller to events in this transaction) whose name is watched. */
export async function queueWatchedRows(tx: Queryable, rows: readonly { customerId: string; messageId: string; name: string | null; properties: unknown; ts: Date }[]): Promise<number> {
  if (rows.length === 0) return 0;
  const watched = new Set((await tx.query<{ name: string }>('SELECT name FROM watched_events')).map((r) => r.name));
  const queued = rows.filter((r) => r.name !== null && watched.has(r.name));
  const now = new Date();
  return tx.insertRows(
    'event_queue',
    ['customer_id', 'message_id', 'name', 'properties', 'ts', 'queued_at'],
    queued.map((r) => [r.customerId, r.messageId, r.name, r.properties === null || r.properties === undefined ? null : JSON.stringify(r.properties), r.ts, now]),
  );
}
