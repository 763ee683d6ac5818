import { isToken, tokenKeyId, type KeyRing } from '../store/index.ts';

/** Keys of a JSON document (traits, properties, context) whose values are personal data, at any depth. */
export const PII_JSON_KEYS: ReadonlySet<string> = new Set(['name', 'firstName', 'first_name', 'lastName', 'last_name', 'phone', 'mobile', 'email', 'birthday', 'address']);

/** A column that holds encrypted values: a whole text value, or the PII keys inside a JSON document. */
export interface EncryptedColumn {
  table: string;
  column: string;
  /**
   * The columns that identify a row for as long as it exists. The values are bound to them, so they must not
   * change: for rows that a merge moves to another customer, this is their own id (message_id), not customer_id.
   */
  keyColumns: readonly string[];
  /** SQL types of key columns that are not TEXT (e.g. `{ seq: 'BIGINT' }`). */
  keyTypes?: Readonly<Record<string, string>>;
  kind: 'text' | 'json';
  /** How a json column is stored: JSON, or TEXT holding JSON (the inbox). Default JSON. */
  storedAs?: 'JSON' | 'TEXT';
  /**
   * A personal value that moves between rows (customer columns and identity values, which merges and set-based
   * imports copy from one profile to another in SQL): bound to the place `pii.value` instead of its own row, so one
   * token can sit in several places. See docs/privacy.md, "Binding".
   */
  piiValue?: true;
}

/** The profile columns (customers) that hold sealed tokens. */
export const SEALED_PROFILE_COLUMNS = ['phone', 'email', 'name', 'birthday'] as const;

/** The place every piiValue token is bound to. */
const PII_VALUE_PLACE = { table: 'pii', column: 'value', row: '' } as const;

/** Encrypts a personal value (a phone, email, name) as a token that customer and identity columns can all hold. */
export function sealPii(ring: KeyRing, plaintext: string): string {
  return ring.encrypt(plaintext, PII_VALUE_PLACE);
}

/** Opens a token made by sealPii; plaintext (written before encryption) and null are returned as they are. */
export function openPii<T extends string | null | undefined>(ring: KeyRing, value: T): T {
  return (isToken(value) ? ring.decrypt(value, PII_VALUE_PLACE) : value) as T;
}

/** The row part of a field's place: its key values joined by `/`. */
export const rowKey = (values: readonly unknown[]): string => values.map((v) => String(v)).join('/');

/** Encrypts a text column's value. */
export function encryptText(ring: KeyRing, column: EncryptedColumn, row: string, plaintext: string): string {
  return column.piiValue ? sealPii(ring, plaintext) : ring.encrypt(plaintext, { table: column.table, column: column.column, row });
}

/** Decrypts a text column's value; a value that is not a token (written before encryption) is returned as is. */
export function decryptText(ring: KeyRing, column: EncryptedColumn, row: string, value: string): string {
  if (column.piiValue) return openPii(ring, value);
  return isToken(value) ? ring.decrypt(value, { table: column.table, column: column.column, row }) : value;
}

type Json = unknown;

/**
 * Walks a JSON document and maps the values under PII keys (`fn(value, path)`), leaving everything else as it is.
 * `path` is the dotted path from the root (`traits.address`), which binds each value to where it sits.
 */
function mapPii(value: Json, fn: (value: Json, path: string) => Json, path = '', keys: ReadonlySet<string> = PII_JSON_KEYS): Json {
  if (Array.isArray(value)) return value.map((v, i) => mapPii(v, fn, `${path}[${i}]`, keys));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, Json> = {};
  for (const [key, v] of Object.entries(value as Record<string, Json>)) {
    const at = path ? `${path}.${key}` : key;
    out[key] = keys.has(key) && v !== null && v !== undefined && v !== '' ? fn(v, at) : mapPii(v, fn, at, keys);
  }
  return out;
}

/**
 * The personal keys of a track, page or screen event's properties: the same, less `name`, which there names a product
 * or a page, not a person.
 */
export const EVENT_PII_JSON_KEYS: ReadonlySet<string> = new Set([...PII_JSON_KEYS].filter((k) => k !== 'name'));

const placeOf = (column: EncryptedColumn, row: string, path: string) => ({ table: column.table, column: `${column.column}.${path}`, row });

/** Encrypts the PII values of a JSON document (each as the JSON of its value, so objects and numbers round-trip). */
export function encryptJson(ring: KeyRing, column: EncryptedColumn, row: string, doc: Json, keys: ReadonlySet<string> = PII_JSON_KEYS): Json {
  if (column.piiValue) return mapPii(doc, (v) => (isToken(v) ? v : sealPii(ring, JSON.stringify(v))), '', keys);
  return mapPii(doc, (v, path) => (isToken(v) ? v : ring.encrypt(JSON.stringify(v), placeOf(column, row, path))), '', keys);
}

/** Decrypts every encrypted value of a JSON document. */
export function decryptJson(ring: KeyRing, column: EncryptedColumn, row: string, doc: Json): Json {
  if (column.piiValue) return mapPii(doc, (v) => (isToken(v) ? (JSON.parse(openPii(ring, v)) as Json) : v), '');
  return mapPii(doc, (v, path) => (isToken(v) ? (JSON.parse(ring.decrypt(v, placeOf(column, row, path))) as Json) : v), '');
}

/**
 * Re-encrypts under the active key every value of a column's stored text that is not under it (and encrypts
 * plaintext values). Returns the new stored text, or undefined when nothing changed.
 */
export function reencryptStored(ring: KeyRing, column: EncryptedColumn, row: string, stored: string): string | undefined {
  if (column.kind === 'text') {
    if (tokenKeyId(stored) === ring.activeKeyId) return undefined;
    return encryptText(ring, column, row, decryptText(ring, column, row, stored));
  }
  let changed = false;
  const doc = mapPii(JSON.parse(stored) as Json, (v, path) => {
    const place = column.piiValue ? PII_VALUE_PLACE : placeOf(column, row, path);
    if (isToken(v) && tokenKeyId(v) === ring.activeKeyId) return v;
    changed = true;
    return ring.encrypt(isToken(v) ? ring.decrypt(v, place) : JSON.stringify(v), place);
  });
  return changed ? JSON.stringify(doc) : undefined;
}

const registry = new Map<string, EncryptedColumn>();

/**
 * Registers a column as holding encrypted values, so key rotation re-encrypts it and access bundles decrypt it.
 * Every table that stores personal data registers its columns here (privacy's own tables below; the customer,
 * identity, event and inbox columns when they are encrypted).
 */
export function registerEncryptedColumn(column: EncryptedColumn): void {
  registry.set(`${column.table}.${column.column}`, column);
}

/** Every registered encrypted column. */
export function listEncryptedColumns(): EncryptedColumn[] {
  return [...registry.values()];
}

/** The registered column `table.column`, if any. */
export function findEncryptedColumn(table: string, column: string): EncryptedColumn | undefined {
  return registry.get(`${table}.${column}`);
}

// Personal values of profiles and identities (docs/privacy.md): tokens that merges may copy between rows.
for (const column of SEALED_PROFILE_COLUMNS) registerEncryptedColumn({ table: 'customers', column, keyColumns: ['customer_id'], kind: 'text', piiValue: true });
registerEncryptedColumn({ table: 'identities', column: 'secret', keyColumns: ['type', 'value'], kind: 'text', piiValue: true });
registerEncryptedColumn({ table: 'customers', column: 'traits', keyColumns: ['customer_id'], kind: 'json', piiValue: true });
// Stored events never change rows (a merge changes their customer_id, not their message_id).
for (const column of ['properties', 'context']) registerEncryptedColumn({ table: 'events', column, keyColumns: ['message_id'], kind: 'json' });

// Privacy's own tables. Consent entries and requests move with merges, so they are bound to their own ids.
registerEncryptedColumn({ table: 'consent_entries', column: 'evidence', keyColumns: ['entry_id'], kind: 'text' });
registerEncryptedColumn({ table: 'privacy_requests', column: 'details', keyColumns: ['request_id'], kind: 'json' });
registerEncryptedColumn({ table: 'privacy_quarantine', column: 'message', keyColumns: ['message_id'], kind: 'json', storedAs: 'TEXT' });
// Not personal data, but a secret as good as half a password: the TOTP seeds of console users (src/access/totp.ts).
registerEncryptedColumn({ table: 'users', column: 'totp_secret', keyColumns: ['user_id'], kind: 'text' });
