import { FACT_TABLE_KEYS, type Queryable } from '../store/index.ts';

// Tables whose rows are moved with care by mergeProfiles itself, not by the generic move.
const SPECIAL = new Set(['customers', 'identities', 'customer_merges']);

/** Every table with a customer_id column, and its columns; later migrations' tables follow merges automatically. */
async function customerScopedTables(tx: Queryable): Promise<Map<string, string[]>> {
  const rows = await tx.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE t.table_catalog = current_database() AND t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
       AND c.table_name IN (SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'customer_id')
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const { table_name, column_name } of rows) {
    if (SPECIAL.has(table_name)) continue;
    tables.set(table_name, [...(tables.get(table_name) ?? []), column_name]);
  }
  return tables;
}

export interface MergeRecord {
  survivor: string;
  loser: string;
  reason: 'identify' | 'alias' | 'import';
  evidence?: string;
  messageId?: string;
  at: Date;
}

/**
 * Folds `loser` into `survivor` inside the caller's transaction. Rows are copied then deleted rather than
 * updated in place, because Citus cannot update a distribution column. Where both profiles hold the same key
 * (an order sent twice under two ids), the survivor's row wins. The loser's profile row stays, pointing at
 * the survivor, so old ids still resolve.
 */
export async function mergeProfiles(tx: Queryable, merge: MergeRecord): Promise<void> {
  const { survivor, loser } = merge;
  for (const [table, columns] of await customerScopedTables(tx)) {
    // Quoted: customer_attribute_values has a column per attribute, named by the brand.
    const select = columns.map((c) => (c === 'customer_id' ? '$1' : `l."${c}"`)).join(', ');
    // The fact tables have no key constraint on DuckDB, so their key is matched explicitly.
    const key = FACT_TABLE_KEYS[table]?.filter((c) => c !== 'customer_id');
    const keep = key
      ? `AND NOT EXISTS (SELECT 1 FROM ${table} s WHERE ${['s.customer_id = $1', ...key.map((c) => `s.${c} = l.${c}`)].join(' AND ')})`
      : 'ON CONFLICT DO NOTHING';
    await tx.execute(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) SELECT ${select} FROM ${table} l WHERE l.customer_id = $2 ${keep}`, [survivor, loser]);
    await tx.execute(`DELETE FROM ${table} WHERE customer_id = $1`, [loser]);
  }
  await tx.execute('UPDATE identities SET customer_id = $1 WHERE customer_id = $2', [survivor, loser]);
  await tx.execute('UPDATE identity_conflicts SET owner_id = $1 WHERE owner_id = $2', [survivor, loser]);

  // The survivor keeps its own values; the loser fills the gaps.
  const [a, b] = await Promise.all([survivor, loser].map((id) => tx.query<Record<string, unknown>>('SELECT * FROM customers WHERE customer_id = $1', [id])));
  const keep = a?.[0];
  const gone = b?.[0];
  if (keep && gone) {
    // A birthday's plain year and month go with it: all three are null together, so each COALESCE takes the same side.
    const fill = ['phone', 'email', 'name', 'gender', 'birthday', 'birth_year', 'birth_month', 'city', 'registered_at', 'channel'];
    const traits = { ...((gone.traits as object) ?? {}), ...((keep.traits as object) ?? {}) };
    const created = (keep.created_at as Date) < (gone.created_at as Date) ? keep.created_at : gone.created_at;
    await tx.execute(
      `UPDATE customers SET traits = $2, created_at = $3, updated_at = $4, ${fill.map((c, i) => `${c} = COALESCE(${c}, $${i + 5})`).join(', ')} WHERE customer_id = $1`,
      [survivor, traits, created, merge.at, ...fill.map((c) => gone[c] ?? null)],
    );
  }
  await tx.execute('UPDATE customers SET merged_into = $1, updated_at = $3 WHERE customer_id = $2 OR merged_into = $2', [survivor, loser, merge.at]);
  await tx.insertRows(
    'customer_merges',
    ['customer_id', 'merged_id', 'reason', 'evidence', 'message_id', 'merged_at'],
    [[survivor, loser, merge.reason, merge.evidence ?? null, merge.messageId ?? null, merge.at]],
    '(customer_id, merged_id) DO NOTHING',
  );
}
