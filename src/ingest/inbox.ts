import { isSiyuError, SiyuError } from '../core/errors.ts';
import { applyConsentFromMessages, holdTombstoned, keyRingFor, type KeyRing } from '../privacy/index.ts';
import { dialect, jsonRowsParam, type BackendKind, type Queryable, type Store } from '../store/index.ts';
import type { PreparedMessage } from './prepare.ts';
import { sealMessage, writeMessages, type SourcedMessage, type WriteStatus } from './write.ts';

// The inbox splits acknowledging a message from processing it. Acknowledging is one append in one short transaction
// (so a 200 is durable and fast); processing (identity resolution, events, profiles, orders) runs in large batches
// behind it, where its fixed costs per statement are shared by thousands of messages.

interface InboxRow {
  seq: number;
  message_id: string;
  message: string;
  source: string;
  received_at: Date;
}

/**
 * Appends validated messages to the inbox inside the caller's transaction. A messageId already processed (in the
 * `messages` ledger), already waiting in the inbox, or repeated earlier in `entries` is a duplicate and is not
 * appended. Messages are stored sealed (personal values encrypted, personal identifiers as blind indexes). Returns
 * one status per entry, in order.
 */
export async function appendToInbox(tx: Queryable, kind: BackendKind, entries: readonly SourcedMessage[], receivedAt: Date, ring: KeyRing): Promise<WriteStatus[]> {
  // One statement on the hot path: ids already written (the ledger) or still waiting (the inbox).
  const keys = dialect(kind).jsonRows('$1', ['id']);
  const known = await tx.query<{ message_id: string }>(
    `SELECT m.message_id FROM messages m JOIN ${keys} k ON m.message_id = k.id
     UNION ALL SELECT i.message_id FROM inbox i JOIN ${keys} k ON i.message_id = k.id`,
    [jsonRowsParam([...new Set(entries.map((e) => e.message.messageId))].map((id) => [id]))],
  );
  const seen = new Set(known.map((r) => r.message_id));
  const statuses: WriteStatus[] = [];
  const rows: unknown[][] = [];
  for (const { message, source } of entries) {
    if (seen.has(message.messageId)) {
      statuses.push('duplicate');
      continue;
    }
    seen.add(message.messageId);
    statuses.push('accepted');
    // Sealed before it is stored: the inbox holds no personal value in the clear either (docs/privacy.md).
    rows.push([message.messageId, JSON.stringify(sealMessage(ring, message)), source, receivedAt]);
  }
  await tx.insertRows('inbox', ['message_id', 'message', 'source', 'received_at'], rows);
  return statuses;
}

/** A prepared message as read back from the inbox: the one Date field is restored. */
function fromInbox(row: InboxRow): SourcedMessage {
  const parsed = JSON.parse(row.message) as Record<string, unknown>;
  const message = { ...parsed, ts: new Date(parsed.ts as string) } as unknown as PreparedMessage;
  return { message, source: row.source, receivedAt: row.received_at };
}

/**
 * Processes up to `limit` of the oldest inbox messages in one transaction: writes them (writeMessages dedupes on
 * messageId again, so a message appended twice by racing processes is written once) and deletes them from the inbox.
 * Returns how many it took; 0 when the inbox is empty or another process holds the processing lock.
 */
export async function processInbox(store: Store, limit = 5000): Promise<number> {
  const ring = await keyRingFor(store);
  return inboxTurn(store, 0, () => store.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(dialect(store.kind).tryInboxLock);
    if (!lock?.locked) return 0;
    const rows = await tx.query<InboxRow>(`SELECT seq, message_id, message, source, received_at FROM inbox ORDER BY seq LIMIT ${Math.max(1, Math.floor(limit))}`);
    if (rows.length === 0) return 0;
    const now = new Date();
    // Privacy: messages naming an erased person are held unless they bring fresh consent; the consent the written
    // messages carry goes to the ledger in the same transaction (docs/privacy.md).
    const batch = await holdTombstoned(store, tx, rows.map(fromInbox), now);
    const statuses = await writeMessages(tx, store.kind, batch, now, ring);
    await applyConsentFromMessages(tx, store.kind, batch.filter((_, i) => statuses[i] === 'accepted'));
    await deleteFromInbox(tx, store.kind, rows);
    return rows.length;
  }));
}

/**
 * The embedded store's processing lock. PostgreSQL's is an advisory lock taken in the transaction; DuckDB has none,
 * and one process owns the file, so its connections (the server's pipeline and a command's drain) take turns here.
 * Runs `fn`, or returns `busy` at once while another connection of the same database is processing.
 */
const processing = new WeakSet<Store>();
async function inboxTurn<T>(store: Store, busy: T, fn: () => Promise<T>): Promise<T> {
  if (store.kind !== 'duckdb') return fn();
  const owner = store.forkOf ?? store;
  if (processing.has(owner)) return busy;
  processing.add(owner);
  try {
    return await fn();
  } finally {
    processing.delete(owner);
  }
}

async function deleteFromInbox(tx: Queryable, kind: BackendKind, rows: readonly InboxRow[]): Promise<void> {
  await tx.execute(
    `DELETE FROM inbox WHERE seq IN (SELECT CAST(k.seq AS BIGINT) FROM ${dialect(kind).jsonRows('$1', ['seq'])} k)`,
    [jsonRowsParam(rows.map((r) => [r.seq]))],
  );
}

/** Moves the oldest inbox message to inbox_failures with the error, so the messages behind it can proceed. */
async function quarantineHead(store: Store, error: unknown): Promise<void> {
  await inboxTurn(store, undefined, () => store.transaction(async (tx) => {
    const rows = await tx.query<InboxRow>('SELECT seq, message_id, message, source, received_at FROM inbox ORDER BY seq LIMIT 1');
    const head = rows[0];
    if (!head) return;
    await tx.insertRows('inbox_failures', ['seq', 'message_id', 'message', 'source', 'received_at', 'error', 'failed_at'], [
      [head.seq, head.message_id, head.message, head.source, head.received_at, error instanceof Error ? error.message : String(error), new Date()],
    ]);
    await deleteFromInbox(tx, store.kind, rows);
  }));
}

/** Messages acknowledged but not yet processed. */
export async function countInbox(store: Queryable): Promise<number> {
  const [row] = await store.query<{ n: number }>('SELECT count(*) AS n FROM inbox');
  return Number(row?.n ?? 0);
}

/**
 * Processes until the inbox is empty, waiting while another process holds the processing lock (PostgreSQL).
 * Throws `unavailable` if messages are still waiting after `timeoutMs`.
 */
export async function drainInbox(store: Store, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await processInbox(store)) > 0) continue;
    const pending = await countInbox(store);
    if (pending === 0) return;
    if (Date.now() > deadline) throw new SiyuError('unavailable', 'inbox_busy', `${pending} inbox messages are still waiting after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface InboxProcessorOptions {
  /** Messages per processing transaction. */
  batchSize?: number;
  /** How often to look for messages appended by other processes (PostgreSQL) when not woken. */
  pollMs?: number;
  /** Told about errors the processor recovered from (a failed batch, a quarantined message). */
  onError?: (error: unknown) => void;
  /** Told after each committed pass that wrote messages (real-time tags listen here). */
  onProcessed?: (messages: number) => void;
}

/**
 * Runs `processInbox` continuously: immediately when woken (the writer wakes it after each commit), else every
 * `pollMs`. A batch that fails is retried one message at a time; a message that fails alone is quarantined in
 * inbox_failures. While the store is unavailable it waits and tries again, so nothing acknowledged is dropped.
 */
export class InboxProcessor {
  private running: Promise<void> | undefined;
  private stopping = false;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly onProcessed: (messages: number) => void;

  constructor(
    private readonly store: Store,
    options: InboxProcessorOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 5000;
    this.pollMs = options.pollMs ?? 250;
    this.onError = options.onError ?? (() => undefined);
    this.onProcessed = options.onProcessed ?? (() => undefined);
  }

  start(): void {
    this.stopping = false;
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  /** Asks for a pass now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Processes until the inbox is empty (messages appended meanwhile included). */
  async drain(): Promise<void> {
    while ((await this.step()) > 0);
  }

  /** Stops the loop after its current pass, then drains what is left. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.running;
    await this.drain();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      let processed = 0;
      try {
        processed = await this.step();
        if (processed > 0) this.onProcessed(processed);
      } catch (error) {
        this.onError(error); // the store is unavailable; wait for the next poll
      }
      if (processed === 0 && !this.woken && !this.stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeUp = undefined;
      }
    }
  }

  /** One batch; on a failure that is not the store's, one message at a time, quarantining one that fails alone. */
  private async step(): Promise<number> {
    try {
      return await processInbox(this.store, this.batchSize);
    } catch (error) {
      if (isSiyuError(error) && error.kind === 'unavailable') throw error;
      this.onError(error);
      try {
        return await processInbox(this.store, 1);
      } catch (alone) {
        if (isSiyuError(alone) && alone.kind === 'unavailable') throw alone;
        this.onError(alone);
        await quarantineHead(this.store, alone);
        return 1;
      }
    }
  }
}
