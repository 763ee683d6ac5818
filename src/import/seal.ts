import { blindIndexSql, encryptBatchParallel, hmacPads, PERSONAL_IDENTIFIER_TYPES, SEALED_PROFILE_COLUMNS, type KeyRing } from '../privacy/index.ts';
import type { Queryable } from '../store/index.ts';

// Personal data is sealed in the staging engine, after the checks and before anything reaches the store
// (docs/privacy.md, "Encryption at rest"): phones and emails that identify a customer become blind indexes, computed
// inside DuckDB from the index key's HMAC pads, and the values are encrypted on helper threads. Staging is always a
// DuckDB (the embedded store itself, or a scratch one in front of PostgreSQL).

/** The plain parts kept beside a sealed birthday (core/birthday.ts), from the checked DATE. */
const BIRTH_PARTS = 'CAST(year(c.birthday) AS SMALLINT) AS birth_year, CAST(month(c.birthday) AS SMALLINT) AS birth_month';

const text = (values: readonly unknown[] | undefined): (string | null)[] => (values ?? []).map((v) => (v === null || v === undefined ? null : String(v)));

/**
 * Seals the good rows of `siyu_checked`:
 * - a customer import: phone and email become blind indexes (the identities' values), with the encrypted values
 *   in phone_secret and email_secret (the profile's columns); name and birthday are encrypted in place, and the
 *   birthday's year and month are added as birth_year and birth_month;
 * - an order import keyed by phone or email: the key becomes its blind index, and each key's first row carries the
 *   encrypted value in key_secret (for the identity of a customer the import creates).
 */
export async function sealChecked(db: Queryable, kind: string, identifier: string, ring: KeyRing | null): Promise<void> {
  if (kind === 'customers') {
    await db.execute('ALTER TABLE siyu_checked ADD COLUMN phone_secret VARCHAR');
    await db.execute('ALTER TABLE siyu_checked ADD COLUMN email_secret VARCHAR');
  }
  if (kind === 'orders') await db.execute('ALTER TABLE siyu_checked ADD COLUMN key_secret VARCHAR');
  if (ring === null) {
    // Unsealed (bench/pii-import.ts's floor): the profile columns take the values as they are.
    if (kind === 'customers') {
      await db.execute('UPDATE siyu_checked SET phone_secret = phone, email_secret = email');
      await db.execute(`CREATE OR REPLACE TEMP TABLE siyu_checked AS SELECT c.* REPLACE (CAST(c.birthday AS VARCHAR) AS birthday), ${BIRTH_PARTS} FROM siyu_checked c`);
    }
    return;
  }
  const { inner, outer } = hmacPads(ring.indexKey);
  const blind = (type: string, column: string) => blindIndexSql('duckdb', `'${type}'`, column, '$1', '$2');
  if (kind === 'customers') {
    // The checked birthday is a DATE: sealed as its ISO text.
    const columns = SEALED_PROFILE_COLUMNS.map((k) => (k === 'birthday' ? 'CAST(birthday AS VARCHAR) AS birthday' : k));
    const c = await db.queryColumns(`SELECT siyu_row, ${columns.join(', ')} FROM siyu_checked WHERE siyu_reason IS NULL AND (${SEALED_PROFILE_COLUMNS.map((k) => `${k} IS NOT NULL`).join(' OR ')})`);
    const rows = text(c.siyu_row) as string[];
    if (rows.length === 0) return;
    const sealed = await encryptBatchParallel(ring, { table: 'pii', rows, columns: Object.fromEntries(SEALED_PROFILE_COLUMNS.map((k) => [k, text(c[k])])), piiValue: true });
    await db.execute(`CREATE TEMP TABLE siyu_sealed (siyu_row BIGINT, ${SEALED_PROFILE_COLUMNS.map((k) => `${k} VARCHAR`).join(', ')})`);
    await db.appendRows('siyu_sealed', ['siyu_row', ...SEALED_PROFILE_COLUMNS], rows.map((r, i) => [Number(r), ...SEALED_PROFILE_COLUMNS.map((k) => sealed.columns[k]![i])]));
    // Rebuilt rather than updated: an UPDATE of every row keeps the old versions until commit, in memory that the
    // import's cap (1 GB) needs for the load.
    await db.execute(
      `CREATE OR REPLACE TEMP TABLE siyu_checked AS
       SELECT c.* REPLACE (${blind('phone', 'c.phone')} AS phone, ${blind('email', 'c.email')} AS email, coalesce(s.name, c.name) AS name,
                           coalesce(s.birthday, CAST(c.birthday AS VARCHAR)) AS birthday, s.phone AS phone_secret, s.email AS email_secret), ${BIRTH_PARTS}
       FROM siyu_checked c LEFT JOIN siyu_sealed s ON s.siyu_row = c.siyu_row`,
      [inner, outer],
    );
    await db.execute('DROP TABLE siyu_sealed');
    return;
  }
  if (kind === 'orders' && PERSONAL_IDENTIFIER_TYPES.has(identifier)) {
    const c = await db.queryColumns('SELECT min(siyu_row) AS siyu_row, customer_id FROM siyu_checked WHERE siyu_reason IS NULL AND customer_id IS NOT NULL GROUP BY customer_id');
    const rows = text(c.siyu_row) as string[];
    if (rows.length === 0) return;
    const sealed = await encryptBatchParallel(ring, { table: 'pii', rows, columns: { key: text(c.customer_id) }, piiValue: true });
    await db.execute('CREATE TEMP TABLE siyu_sealed (siyu_row BIGINT, secret VARCHAR)');
    await db.appendRows('siyu_sealed', ['siyu_row', 'secret'], rows.map((r, i) => [Number(r), sealed.columns.key![i]]));
    await db.execute(
      `CREATE OR REPLACE TEMP TABLE siyu_checked AS
       SELECT c.* REPLACE (${blind(identifier, 'c.customer_id')} AS customer_id, s.secret AS key_secret)
       FROM siyu_checked c LEFT JOIN siyu_sealed s ON s.siyu_row = c.siyu_row`,
      [inner, outer],
    );
    await db.execute('DROP TABLE siyu_sealed');
  }
}
