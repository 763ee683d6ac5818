import { dialect, jsonRowsParam, type Queryable, type Store, keyRingFor } from '../store/index.ts';
import { identifierIndex } from './blind-index.ts';
import { grantsConsent, type ConsentMessage } from './consent-ingest.ts';
import { encryptJson, findEncryptedColumn } from './fields.ts';
import { listPurposes } from './purposes.ts';

/** A message as the inbox processor holds it, with the identifiers resolution would use. */
export interface IdentifiedMessage extends ConsentMessage {
  message: ConsentMessage['message'] & { identifiers: readonly { type: string; value: string }[] };
  receivedAt?: Date;
}

/** The tombstone key of a customer id (kept beside the keys of the person's identifiers). */
export const CUSTOMER_ID_TYPE = 'customer_id';

/** Whether any tombstone is in force: checked first, so ingest pays one tiny query while there are none. */
export async function hasTombstones(db: Queryable): Promise<boolean> {
  const [row] = await db.query('SELECT 1 AS found FROM privacy_tombstones WHERE cleared_at IS NULL LIMIT 1');
  return row !== undefined;
}

/** The blind keys of the tombstones in force (one per identifier and customer id of each erased person). */
export async function activeTombstones(db: Queryable): Promise<string[]> {
  return (await db.query<{ blind_key: string }>('SELECT blind_key FROM privacy_tombstones WHERE cleared_at IS NULL')).map((r) => r.blind_key);
}

/**
 * Which of `identifiers` belong to an erased person (a tombstone in force), as `type value` keys joined by U+0000:
 * a sync from a provider (WeCom's contact list) skips them rather than recreating the person.
 */
export async function tombstonedIdentifiers(db: Queryable, indexKey: Buffer, identifiers: readonly { type: string; value: string }[]): Promise<Set<string>> {
  if (identifiers.length === 0 || !(await hasTombstones(db))) return new Set();
  const keyOf = new Map(identifiers.map((i) => [identifierIndex(indexKey, i.type, i.value), `${i.type}\u0000${i.value}`]));
  const hits = await db.query<{ blind_key: string }>(
    `SELECT t.blind_key FROM privacy_tombstones t JOIN ${dialect(db.kind).jsonRows('$1', ['k'])} k ON t.blind_key = k.k WHERE t.cleared_at IS NULL`,
    [jsonRowsParam([...keyOf.keys()].map((k) => [k]))],
  );
  return new Set(hits.map((h) => keyOf.get(h.blind_key)!));
}

/**
 * The inbox processor's erasure check, before a batch is written and inside its transaction: a message carrying an
 * identifier (or customer id) of an erased person is moved to privacy_quarantine (encrypted) instead of recreating
 * them, unless it also grants consent for some purpose; then the person's tombstones are cleared and it goes
 * through. Returns the messages to write, in order.
 */
export async function holdTombstoned<M extends IdentifiedMessage>(store: Store, tx: Queryable, batch: readonly M[], now = new Date()): Promise<M[]> {
  if (batch.length === 0 || !(await hasTombstones(tx))) return [...batch];
  const ring = await keyRingFor(store, tx);
  const keysOf = (m: M) => [...m.message.identifiers.map((i) => identifierIndex(ring.indexKey, i.type, i.value))];
  const all = [...new Set(batch.flatMap(keysOf))];
  const hits = await tx.query<{ blind_key: string }>(
    `SELECT t.blind_key FROM privacy_tombstones t JOIN ${dialect(tx.kind).jsonRows('$1', ['k'])} k ON t.blind_key = k.k WHERE t.cleared_at IS NULL`,
    [jsonRowsParam(all.map((k) => [k]))],
  );
  if (hits.length === 0) return [...batch];
  const dead = new Set(hits.map((h) => h.blind_key));
  const purposes = await listPurposes(tx);
  const column = findEncryptedColumn('privacy_quarantine', 'message')!;
  const pass: M[] = [];
  const held: unknown[][] = [];
  const cleared: string[] = [];
  for (const entry of batch) {
    const matched = keysOf(entry).filter((k) => dead.has(k));
    if (matched.length === 0) pass.push(entry);
    else if (grantsConsent(entry.message, purposes)) {
      cleared.push(...matched);
      pass.push(entry);
    } else {
      const id = entry.message.messageId;
      // Identifiers hold phones and emails under a key named `value`: they are sealed whole.
      const { identifiers, ...rest } = entry.message;
      const sealed = { ...(encryptJson(ring, column, id, rest) as object), identifiers: ring.encrypt(JSON.stringify(identifiers), { table: column.table, column: `${column.column}.identifiers`, row: id }) };
      held.push([id, JSON.stringify(sealed), entry.source, entry.receivedAt ?? now, matched[0]!, now]);
    }
  }
  await tx.insertRows('privacy_quarantine', ['message_id', 'message', 'source', 'received_at', 'blind_key', 'quarantined_at'], held, '(message_id) DO NOTHING');
  if (cleared.length > 0) {
    await tx.execute(
      // Every identifier of the person, not only those this message carried: they are one person again.
      `UPDATE privacy_tombstones SET cleared_at = $2, cleared_by = 'fresh consent' WHERE cleared_at IS NULL
       AND request_id IN (SELECT t.request_id FROM privacy_tombstones t JOIN ${dialect(tx.kind).jsonRows('$1', ['k'])} x ON t.blind_key = x.k)`,
      [jsonRowsParam([...new Set(cleared)].map((k) => [k])), now],
    );
  }
  return pass;
}

/** Messages held back because they named an erased person, newest first (ids only: their content is encrypted). */
export async function listQuarantine(db: Queryable): Promise<{ messageId: string; source: string; receivedAt: Date; quarantinedAt: Date }[]> {
  const rows = await db.query<{ message_id: string; source: string; received_at: Date; quarantined_at: Date }>('SELECT message_id, source, received_at, quarantined_at FROM privacy_quarantine ORDER BY quarantined_at DESC, message_id');
  return rows.map((r) => ({ messageId: r.message_id, source: r.source, receivedAt: r.received_at, quarantinedAt: r.quarantined_at }));
}
