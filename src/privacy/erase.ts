import { randomUUID } from 'node:crypto';
import type { Queryable, KeyRing } from '../store/index.ts';
import { blindIndex, identifierIndex } from './blind-index.ts';
import { CUSTOMER_REFERENCES, listCustomerTables, personIds, placeholders, quoteIdent, RELABELLED_IN_PLACE, SPECIAL_TABLES } from './customer-tables.ts';
import { CUSTOMER_ID_TYPE } from './tombstones.ts';

export interface ErasureReport {
  /** The profile ids erased (the person's canonical id and every profile merged into it). */
  customerIds: string[];
  /** The random id the anonymised rows (orders, order lines, the messages ledger) now carry; null if none had any. */
  anonymousId: string | null;
  /** Rows deleted or anonymised, per table. */
  tables: Record<string, { deleted: number; anonymised: number }>;
  tombstones: number;
}

/**
 * Erases a person inside the caller's transaction: deletes their rows from every customer-scoped table (found in
 * information_schema, so derived tables added later are included) and every row that names them elsewhere, deletes
 * their identities and profiles, and moves the rows that aggregates rest on (orders, order lines, the messages
 * ledger) to a fresh random id that nothing links back to them, under a placeholder profile that keeps only the
 * sign-up time and channel. Their pending or failed inbox messages and quarantined messages go too. Leaves
 * tombstones (blind indexes of every identifier and id they had) so a later message cannot silently recreate them.
 */
export async function eraseCustomer(tx: Queryable, ring: KeyRing, canonicalId: string, requestId: string, now = new Date()): Promise<ErasureReport> {
  const ids = await personIds(tx, canonicalId);
  const report: ErasureReport = { customerIds: ids, anonymousId: null, tables: {}, tombstones: 0 };
  if (ids.length === 0) return report;
  const inIds = (column: string, first = 1) => `${quoteIdent(column)} IN (${placeholders(ids.length, first)})`;
  const count = (table: string, key: 'deleted' | 'anonymised', n: number) => {
    if (n === 0) return;
    const entry = (report.tables[table] ??= { deleted: 0, anonymised: 0 });
    entry[key] += n;
  };

  const identities = await tx.query<{ type: string; value: string }>(`SELECT type, value FROM identities WHERE ${inIds('customer_id')}`, ids);
  const claimed = await tx.query<{ type: string; value: string }>(`SELECT type, value FROM identity_conflicts WHERE ${inIds('customer_id')}`, ids);
  const keys = new Set([...identities, ...claimed].map((i) => identifierIndex(ring.indexKey, i.type, i.value)));
  for (const id of ids) keys.add(blindIndex(ring.indexKey, CUSTOMER_ID_TYPE, id));

  // Messages still waiting, failed or held that carry the person: by the ledger's message ids, and by user or anonymous id.
  const userIds = [...identities, ...claimed].filter((i) => i.type === 'user_id' || i.type === 'anonymous_id').map((i) => i.value);
  for (const table of ['inbox', 'inbox_failures', 'privacy_quarantine']) {
    const byId = userIds.length === 0 ? 'FALSE' : `(CAST(message AS JSON)->>'userId' IN (${placeholders(userIds.length, ids.length + 1)}) OR CAST(message AS JSON)->>'anonymousId' IN (${placeholders(userIds.length, ids.length + 1)}))`;
    count(table, 'deleted', await tx.execute(`DELETE FROM ${table} WHERE message_id IN (SELECT message_id FROM messages WHERE ${inIds('customer_id')}) OR ${byId}`, [...ids, ...userIds]));
  }

  const [profile] = await tx.query<{ created_at: Date; registered_at: Date | null; channel: string | null }>('SELECT created_at, registered_at, channel FROM customers WHERE customer_id = $1', [canonicalId]);
  const anonymousId = `erased:${randomUUID()}`;
  for (const table of await listCustomerTables(tx)) {
    if (SPECIAL_TABLES.has(table.table)) continue;
    const name = quoteIdent(table.table);
    if (table.policy === 'anonymise' && RELABELLED_IN_PLACE.has(table.table)) {
      const moved = await tx.execute(`UPDATE ${name} SET customer_id = $${ids.length + 1} WHERE ${inIds('customer_id')}`, [...ids, anonymousId]);
      count(table.table, 'anonymised', moved);
      continue;
    }
    if (table.policy === 'anonymise') {
      const select = table.columns.map((c) => (c === 'customer_id' ? `CAST($${ids.length + 1} AS TEXT)` : quoteIdent(c))).join(', ');
      const moved = await tx.execute(`INSERT INTO ${name} (${table.columns.map(quoteIdent).join(', ')}) SELECT ${select} FROM ${name} WHERE ${inIds('customer_id')}`, [...ids, anonymousId]);
      count(table.table, 'anonymised', moved);
      if (moved > 0) report.anonymousId = anonymousId;
    }
    const deleted = await tx.execute(`DELETE FROM ${name} WHERE ${inIds('customer_id')}`, ids);
    if (table.policy === 'delete') count(table.table, 'deleted', deleted);
  }
  for (const ref of CUSTOMER_REFERENCES) count(ref.table, 'deleted', await tx.execute(`DELETE FROM ${quoteIdent(ref.table)} WHERE ${inIds(ref.column)}`, ids));
  count('identities', 'deleted', await tx.execute(`DELETE FROM identities WHERE ${inIds('customer_id')}`, ids));
  count('customers', 'deleted', await tx.execute(`DELETE FROM customers WHERE ${inIds('customer_id')}`, ids));
  if (report.anonymousId && profile) {
    await tx.insertRows('customers', ['customer_id', 'traits', 'registered_at', 'channel', 'created_at', 'updated_at'], [[anonymousId, { erased: true }, profile.registered_at, profile.channel, profile.created_at, now]]);
  }
  // Requests outlive the person, anonymised: what was asked (which may name them) goes, the fact and dates stay.
  await tx.execute(`UPDATE privacy_requests SET subject_id = $${ids.length + 1}, details = NULL WHERE ${inIds('subject_id')}`, [...ids, report.anonymousId ?? anonymousId]);
  report.tombstones = await tx.insertRows('privacy_tombstones', ['blind_key', 'request_id', 'created_at'], [...keys].map((k) => [k, requestId, now]), '(blind_key) DO UPDATE SET request_id = excluded.request_id, created_at = excluded.created_at, cleared_at = NULL, cleared_by = NULL');
  return report;
}
