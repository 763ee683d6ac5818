import type { Queryable } from '../store/index.ts';

/** A message's state. Queued → (the contact policy) deferred | skipped | sending → handed_over | failed | unknown → delivered | failed → read → clicked. */
export type MessageState = 'queued' | 'deferred' | 'skipped' | 'sending' | 'handed_over' | 'delivered' | 'failed' | 'unknown' | 'read' | 'clicked';

/** The columns a queued message is given, in this order, by the SELECT passed to `queueMessages`. */
export const QUEUED_COLUMNS = ['customer_id', 'message_id', 'channel', 'purpose', 'journey_id', 'instance_id', 'node', 'priority', 'content', 'context', 'due_at', 'expires_at'] as const;

/**
 * Writes the messages `select` returns (the QUEUED_COLUMNS, by name) to the outbox, in the caller's transaction,
 * state `queued`, with their first state-history row. A message id already in the outbox is not written again, so
 * replaying the step that queued it queues nothing twice. Returns how many were queued.
 */
export async function queueMessages(tx: Queryable, select: string, params: readonly unknown[], now: Date): Promise<number> {
  await tx.execute('DROP TABLE IF EXISTS queueing');
  await tx.execute(
    `CREATE TEMP TABLE queueing AS SELECT s.* FROM (${select}) s
     WHERE NOT EXISTS (SELECT 1 FROM outbound_messages m WHERE m.customer_id = s.customer_id AND m.message_id = s.message_id)`,
    params,
  );
  const columns = QUEUED_COLUMNS.join(', ');
  const queued = await tx.execute(
    `INSERT INTO outbound_messages (${columns}, state, created_at, updated_at) SELECT ${columns}, 'queued', CAST($1 AS TIMESTAMPTZ), CAST($1 AS TIMESTAMPTZ) FROM queueing`,
    [now],
  );
  await tx.execute(`INSERT INTO outbound_message_states (customer_id, message_id, changed_at, state, detail) SELECT customer_id, message_id, CAST($1 AS TIMESTAMPTZ), 'queued', NULL FROM queueing`, [now]);
  await tx.execute('DROP TABLE queueing');
  return queued;
}
