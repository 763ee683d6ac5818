import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Queryable, KeyRing } from '../store/index.ts';
import { CUSTOMER_REFERENCES, listCustomerTables, personIds, placeholders, quoteIdent } from './customer-tables.ts';
import { decryptJson, decryptText, listEncryptedColumns, rowKey } from './fields.ts';

/** Everything held about one person, table by table, decrypted. */
export interface AccessBundle {
  customerId: string;
  /** Every profile id that is this person (merged profiles included). */
  customerIds: string[];
  generatedAt: Date;
  tables: Record<string, Record<string, unknown>[]>;
}

/**
 * Collects every row about a person: the profile and identities, every table with a customer_id column (orders,
 * events, layers, scores, segments, tags, consents, recommendations… and any table a later migration adds), rows
 * that name them in other columns, and their data-subject requests. Encrypted values are decrypted with `ring`.
 */
export async function collectPersonalData(db: Queryable, ring: KeyRing, canonicalId: string, now = new Date()): Promise<AccessBundle> {
  const ids = await personIds(db, canonicalId);
  const tables: Record<string, Record<string, unknown>[]> = {};
  const read = async (table: string, column: string) => {
    const rows = await db.query<Record<string, unknown>>(`SELECT * FROM ${quoteIdent(table)} WHERE ${quoteIdent(column)} IN (${placeholders(ids.length)})`, ids);
    if (rows.length > 0) tables[table] = [...(tables[table] ?? []), ...rows.map((r) => decryptRow(ring, table, r))];
  };
  await read('customers', 'customer_id');
  await read('identities', 'customer_id');
  for (const t of await listCustomerTables(db)) if (t.table !== 'customers' && t.table !== 'identities') await read(t.table, 'customer_id');
  for (const ref of CUSTOMER_REFERENCES) await read(ref.table, ref.column);
  await read('privacy_requests', 'subject_id');
  return { customerId: canonicalId, customerIds: ids, generatedAt: now, tables };
}

function decryptRow(ring: KeyRing, table: string, row: Record<string, unknown>): Record<string, unknown> {
  const out = { ...row };
  for (const column of listEncryptedColumns().filter((c) => c.table === table)) {
    const value = out[column.column];
    if (value === null || value === undefined) continue;
    const key = rowKey(column.keyColumns.map((k) => row[k]));
    if (column.kind === 'text') out[column.column] = decryptText(ring, column, key, String(value));
    else {
      const doc = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
      const plain = decryptJson(ring, column, key, doc);
      out[column.column] = typeof value === 'string' ? JSON.stringify(plain) : plain;
    }
  }
  return out;
}

/**
 * One CSV cell. Values that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
 * get a leading apostrophe, so an export opened in Excel or WPS cannot execute what a customer typed.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  let text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function toCsv(rows: readonly Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n')}\n`;
}

/** Writes a bundle as `bundle.json` and one `<table>.csv` per table into `dir` (created). Returns the file names. */
export function writeBundle(bundle: AccessBundle, dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = ['bundle.json'];
  writeFileSync(join(dir, 'bundle.json'), `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o600 });
  for (const [table, rows] of Object.entries(bundle.tables)) {
    writeFileSync(join(dir, `${table}.csv`), toCsv(rows), { mode: 0o600 });
    files.push(`${table}.csv`);
  }
  return files;
}
