import type { Queryable } from '../store/index.ts';

/**
 * What erasure does to a customer-scoped table's rows of the erased person. `delete`: they go. `anonymise`: they move
 * to a random id that nothing links to the person, so aggregates stay as they were (orders keep GMV, order counts and
 * repeat rates; the messages ledger keeps refusing replays).
 */
export type ErasurePolicy = 'delete' | 'anonymise';

export interface CustomerTable {
  table: string;
  /** Its columns, in order (erasure copies anonymised rows column by column). */
  columns: string[];
  policy: ErasurePolicy;
}

/** Tables whose rows are kept under an anonymous id on erasure; every other customer-scoped table loses them. */
const ANONYMISED: Record<string, ErasurePolicy> = { orders: 'anonymise', order_items: 'anonymise', messages: 'anonymise' };

/**
 * Anonymised tables keyed by their own id rather than by customer_id (the messages ledger, keyed by message_id):
 * their customer_id is updated in place. The others are copied under the new id and deleted, as merges do, because
 * Citus cannot update a distribution column.
 */
export const RELABELLED_IN_PLACE = new Set(['messages']);

/** Handled by erasure itself, not row by row: the profile row, the identity routing table. */
export const SPECIAL_TABLES = new Set(['customers', 'identities']);

/**
 * Columns outside `customer_id` that hold a customer id, so access bundles and erasure find the person there too.
 * `customers.merged_into` is followed separately (the profiles merged into the person are the person).
 */
export const CUSTOMER_REFERENCES: readonly { table: string; column: string }[] = [
  { table: 'customer_merges', column: 'merged_id' },
  { table: 'identity_conflicts', column: 'owner_id' },
];

/** Sets the erasure policy of a table added by a later module (default: delete). */
export function setErasurePolicy(table: string, policy: ErasurePolicy): void {
  ANONYMISED[table] = policy;
}

/**
 * Every table in the store with a `customer_id` column, read from information_schema each time, so a table added by
 * a later migration is covered by access bundles and erasure without being listed anywhere.
 */
export async function listCustomerTables(db: Queryable): Promise<CustomerTable[]> {
  const rows = await db.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
       AND c.table_name IN (SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'customer_id')
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const { table_name, column_name } of rows) tables.set(table_name, [...(tables.get(table_name) ?? []), column_name]);
  return [...tables].map(([table, columns]) => ({ table, columns, policy: ANONYMISED[table] ?? 'delete' }));
}

/** The person behind a customer id: the canonical id and every profile merged into it (each is the same person). */
export async function personIds(db: Queryable, canonicalId: string): Promise<string[]> {
  const rows = await db.query<{ customer_id: string }>('SELECT customer_id FROM customers WHERE customer_id = $1 OR merged_into = $1 ORDER BY customer_id', [canonicalId]);
  return rows.map((r) => r.customer_id);
}

/** `$n, $n+1, …` placeholders for a list of ids. */
export const placeholders = (count: number, first = 1): string => Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
