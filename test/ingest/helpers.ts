import { drainInbox, ingestMessages, IngestWriter, type IngestReport } from '../../src/ingest/index.ts';
import type { Store } from '../../src/store/index.ts';
import { ownerOf } from '../helpers/pii.ts';

let counter = 0;

/**
 * Sends messages through the same path the HTTP API uses (validation, the inbox), filling in a unique messageId
 * unless one is given, then processes the inbox so the messages are written when it returns.
 */
export async function send(store: Store, ...messages: Record<string, unknown>[]): Promise<IngestReport> {
  const writer = new IngestWriter(store);
  const report = await ingestMessages(
    writer,
    messages.map((m) => ({ messageId: `m-${++counter}`, ...m })),
    { source: 'test' },
  );
  await drain(store);
  return report;
}

/** Processes the ingest inbox until it is empty (alongside a server's own processor, if one runs). */
export const drain = (store: Store): Promise<void> => drainInbox(store, 10_000);

/** The customer an identifier routes to (phones and emails by their blind index). */
export const customerOf = ownerOf;

export async function eventCustomers(store: Store): Promise<string[]> {
  const rows = await store.query<{ customer_id: string }>('SELECT DISTINCT customer_id FROM events ORDER BY customer_id');
  return rows.map((r) => r.customer_id);
}
