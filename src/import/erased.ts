import { blindIndexSql, CUSTOMER_ID_TYPE, hmacPads, PERSONAL_IDENTIFIER_TYPES, type KeyRing } from '../privacy/index.ts';
import type { Queryable } from '../store/index.ts';

// An erased person leaves tombstones: blind indexes of their identifiers and customer ids (docs/privacy.md,
// "Deletion"). A bulk file from the brand's CRM may still hold them; its rows must not bring the person back. The
// check runs in the staging DuckDB after sealing, so the keys it compares are the ones the load would store.

export const ERASED_REASON = 'this person was erased at their request (a deletion request); their data is not imported again without fresh consent';

/**
 * Marks the good rows of `siyu_checked` that name an erased person (by customer id, user id, phone or email) as
 * rejected, with ERASED_REASON. `tombstones` are the blind keys in force, read from the store beforehand.
 */
export async function rejectErased(db: Queryable, kind: string, identifier: string, ring: KeyRing, tombstones: readonly string[]): Promise<void> {
  if (tombstones.length === 0 || (kind !== 'customers' && kind !== 'orders')) return;
  const index = (type: string, column: string) => blindIndexSql('duckdb', `'${type}'`, column, '$1', '$2');
  // Phones and emails are blind indexes already (seal.ts); any other key is indexed here.
  const keyOf = (type: string, column: string) => (PERSONAL_IDENTIFIER_TYPES.has(type) ? column : index(type, column));
  const keys =
    kind === 'customers'
      ? ['phone', 'email', index('user_id', 'customer_id'), index(CUSTOMER_ID_TYPE, 'customer_id')]
      : [keyOf(identifier, 'customer_id'), ...(identifier === 'user_id' ? [index(CUSTOMER_ID_TYPE, 'customer_id')] : [])];
  await db.execute('CREATE TEMP TABLE siyu_tombstones (blind_key VARCHAR PRIMARY KEY)');
  try {
    await db.appendRows('siyu_tombstones', ['blind_key'], tombstones.map((k) => [k]));
    const { inner, outer } = hmacPads(ring.indexKey);
    const where = keys.map((k) => `${k} IN (SELECT blind_key FROM siyu_tombstones)`).join(' OR ');
    await db.execute(
      `UPDATE siyu_checked SET siyu_reason = '${ERASED_REASON}' WHERE siyu_reason IS NULL AND customer_id IS NOT NULL AND (${where})`,
      where.includes('$1') ? [inner, outer] : [],
    );
  } finally {
    await db.execute('DROP TABLE siyu_tombstones');
  }
}
