import { parseBirthday } from '../core/birthday.ts';
import { dialect, isToken, jsonRowsParam, keyRingFor, type Store } from '../store/index.ts';
import { blindIndex, isBlindIndex, PERSONAL_IDENTIFIER_TYPES } from './blind-index.ts';
import { SEALED_PROFILE_COLUMNS, sealPii } from './fields.ts';

// Stores written before personal data was sealed (migration 034) hold phones and emails as plain identity values and
// plain profile columns; stores from before migration 036, plain birthdays. Lookups now compare blind indexes, so a
// plain identity would no longer be found and the
// person would be created again: this converts them, once, when Siyu next opens the store.

const PERSONAL_TYPES = [...PERSONAL_IDENTIFIER_TYPES].map((t) => `'${t}'`).join(', ');
const BATCH = 5000;

export interface SealReport {
  identities: number;
  customers: number;
  conflicts: number;
}

/**
 * Seals plaintext personal values left by an earlier version: identity values of personal types become blind indexes
 * with the value sealed beside them, and profile phone, email, name and birthday become tokens, with the birthday's
 * year and month filled in birth_year and birth_month (in batches, each in its own
 * transaction, so it can stop and resume). Cheap when there is nothing to do: two indexed probes. Personal values
 * inside JSON columns are sealed by `siyu keys rotate-data-key --encrypt-plaintext`.
 */
export async function sealExistingPersonalData(store: Store): Promise<SealReport> {
  const report: SealReport = { identities: 0, customers: 0, conflicts: 0 };
  const plainIdentities = `SELECT type, value, customer_id, source, created_at FROM identities WHERE type IN (${PERSONAL_TYPES}) AND value NOT LIKE 'b1:%'`;
  const plainCustomers = `SELECT customer_id, ${SEALED_PROFILE_COLUMNS.join(', ')} FROM customers WHERE ${SEALED_PROFILE_COLUMNS.map((c) => `${c} NOT LIKE 'e1:%'`).join(' OR ')}`;
  const [a] = await store.query(`${plainIdentities} LIMIT 1`);
  const [b] = await store.query(`${plainCustomers} LIMIT 1`);
  const [c] = await store.query(`SELECT 1 AS x FROM identity_conflicts WHERE type IN (${PERSONAL_TYPES}) AND value NOT LIKE 'b1:%' LIMIT 1`);
  if (!a && !b && !c) return report;
  const ring = await keyRingFor(store);
  const d = dialect(store.kind);
  for (;;) {
    const rows = await store.query<{ type: string; value: string; customer_id: string; source: string | null; created_at: Date }>(`${plainIdentities} ORDER BY type, value LIMIT ${BATCH}`);
    if (rows.length === 0) break;
    await store.transaction(async (tx) => {
      await tx.execute(`DELETE FROM identities WHERE EXISTS (SELECT 1 FROM ${d.jsonRows('$1', ['t', 'v'])} k WHERE k.t = identities.type AND k.v = identities.value)`, [jsonRowsParam(rows.map((r) => [r.type, r.value]))]);
      await tx.insertRows(
        'identities',
        ['type', 'value', 'secret', 'customer_id', 'source', 'created_at'],
        rows.map((r) => [r.type, blindIndex(ring.indexKey, r.type, r.value), sealPii(ring, r.value), r.customer_id, r.source, r.created_at]),
        '(type, value) DO NOTHING',
      );
    });
    report.identities += rows.length;
  }
  for (;;) {
    const rows = await store.query<Record<(typeof SEALED_PROFILE_COLUMNS)[number] | 'customer_id', string | null>>(`${plainCustomers} ORDER BY customer_id LIMIT ${BATCH}`);
    if (rows.length === 0) break;
    const seal = (v: string | null) => (v === null || isToken(v) ? v : sealPii(ring, v));
    // A plain birthday (migration 036 made the DATEs ISO text) also gives the plain year and month kept beside it;
    // one that is not a date (none should be) is dropped rather than sealed as something no reader understands.
    const birth = (v: string | null) => (v === null || isToken(v) ? undefined : (parseBirthday(v) ?? null));
    const values = rows.map((r) => {
      const b = birth(r.birthday);
      const birthday = b === undefined ? r.birthday : b === null ? null : sealPii(ring, b.iso);
      return [r.customer_id, ...SEALED_PROFILE_COLUMNS.map((c) => (c === 'birthday' ? birthday : seal(r[c]))), b ? b.year : null, b ? b.month : null, b === undefined ? 0 : 1];
    });
    await store.execute(
      `UPDATE customers SET ${SEALED_PROFILE_COLUMNS.map((c) => `${c} = v.${c}`).join(', ')},
         birth_year = CASE WHEN CAST(v.plain_birthday AS INTEGER) = 1 THEN CAST(v.birth_year AS SMALLINT) ELSE customers.birth_year END,
         birth_month = CASE WHEN CAST(v.plain_birthday AS INTEGER) = 1 THEN CAST(v.birth_month AS SMALLINT) ELSE customers.birth_month END
       FROM ${d.jsonRows('$1', ['customer_id', ...SEALED_PROFILE_COLUMNS, 'birth_year', 'birth_month', 'plain_birthday'])} v WHERE customers.customer_id = v.customer_id`,
      [jsonRowsParam(values)],
    );
    report.customers += rows.length;
  }
  const conflicts = await store.query<{ customer_id: string; type: string; value: string }>(`SELECT customer_id, type, value FROM identity_conflicts WHERE type IN (${PERSONAL_TYPES}) AND value NOT LIKE 'b1:%'`);
  for (const r of conflicts) {
    if (isBlindIndex(r.value)) continue;
    await store.execute('UPDATE identity_conflicts SET value = $4 WHERE customer_id = $1 AND type = $2 AND value = $3', [r.customer_id, r.type, r.value, blindIndex(ring.indexKey, r.type, r.value)]);
    report.conflicts++;
  }
  return report;
}
