import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import type { Queryable, Store } from './store.ts';
import { KEY_BYTES, loadMasterKey, masterKeyCheck, type MasterKey, type MasterKeyOptions } from './master-key.ts';

// Envelope encryption: the master key (outside the database) wraps a few random keys stored in `data_keys`; the
// data keys encrypt fields, the index key computes blind indexes. Rotating the data key re-encrypts fields and
// leaves blind indexes alone, because the index key is a key of its own, not derived from the data key or the master
// key. Rotating the master key only re-wraps the rows of `data_keys`.

/** Where a field value belongs. It is bound into the ciphertext (GCM additional data), so a value moved elsewhere fails. */
export interface FieldPlace {
  table: string;
  column: string;
  /** The row's stable key, e.g. the customer id; for several key columns their values joined by `/`. */
  row: string;
}

/** The text form of an encrypted field: `e1:<key id>:<base64url(iv ‖ ciphertext ‖ tag)>`. */
export const TOKEN_PREFIX = 'e1:';
const TOKEN = /^e1:([a-z0-9]{1,16}):([A-Za-z0-9_-]{38,})$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The fixed id of the one index key: a unique key, so two processes opening a new store cannot make two. */
export const INDEX_KEY_ID = 'index';

export interface DataKeyInfo {
  keyId: string;
  kind: 'data' | 'index';
  isActive: boolean;
  createdAt: Date;
  retiredAt: Date | null;
}

/** True when `value` is an encrypted field token (of any key). */
export function isToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

/** The data key id a token was made under, or undefined for a value that is not a token. */
export function tokenKeyId(value: string): string | undefined {
  return TOKEN.exec(value)?.[1];
}

const aadOf = (place: FieldPlace) => Buffer.from(`siyu1\u0000${place.table}\u0000${place.column}\u0000${place.row}`, 'utf8');
const describe = (place: FieldPlace) => `${place.table}.${place.column} of row ${JSON.stringify(place.row)}`;

// Random IVs drawn from a pooled buffer: one getrandom call per 4,096 fields instead of one per field.
const ivPool = Buffer.alloc(IV_BYTES * 4096);
let ivOffset = ivPool.length;
function nextIv(): Buffer {
  if (ivOffset === ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = Buffer.from(ivPool.subarray(ivOffset, ivOffset + IV_BYTES));
  ivOffset += IV_BYTES;
  return iv;
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < IV_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const body = decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return body;
}

interface KeyRow {
  key_id: string;
  kind: 'data' | 'index';
  wrapped: string;
  master_check: string;
  is_active: boolean;
  created_at: Date;
  retired_at: Date | null;
}

const wrapAad = (keyId: string) => Buffer.from(`siyu1\u0000data_keys\u0000${keyId}`, 'utf8');

/** Wraps a key under the master key, bound to its key id. */
export function wrapKey(master: Buffer, keyId: string, key: Buffer): string {
  return seal(master, key, wrapAad(keyId)).toString('base64url');
}

function unwrapKey(master: Buffer, row: KeyRow, origin: string): Buffer {
  const key = open(master, Buffer.from(row.wrapped, 'base64url'), wrapAad(row.key_id));
  if (!key) throw new SiyuError('internal', 'data_key_tampered', `data key ${row.key_id} does not unwrap under the master key from ${origin} although its fingerprint matches: the data_keys row was altered`);
  return key;
}

/** The data keys, the index key and which data key encrypts new values, unwrapped in memory. */
export class KeyRing {
  readonly loadedAt = Date.now();

  private constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    /** The data key new values are encrypted under. */
    readonly activeKeyId: string,
    /** The HMAC key of blind indexes. */
    readonly indexKey: Buffer,
  ) {}

  /**
   * Reads and unwraps the store's keys, creating the index key and a first data key when there are none. A master
   * key that is not the one the keys were wrapped under is named as such, with its origin.
   */
  static async open(db: Queryable, master: MasterKey): Promise<KeyRing> {
    let rows = await readKeyRows(db);
    if (!rows.some((r) => r.kind === 'index') || !rows.some((r) => r.kind === 'data' && r.is_active)) {
      await createMissingKeys(db, master.key, rows);
      rows = await readKeyRows(db);
    }
    const check = masterKeyCheck(master.key);
    const origin = master.path ? `${master.origin} ${master.path}` : master.origin;
    const foreign = rows.find((r) => r.master_check !== check);
    if (foreign) {
      throw new SiyuError('unavailable', 'wrong_master_key', `the master key from ${origin} is not the one this store's keys are wrapped under (fingerprint ${check}, expected ${foreign.master_check}); use the right SIYU_MASTER_KEY or key file`);
    }
    const keys = new Map(rows.filter((r) => r.kind === 'data').map((r) => [r.key_id, unwrapKey(master.key, r, origin)]));
    const index = rows.find((r) => r.kind === 'index')!;
    // Several active keys can exist for a moment (two processes creating the first one); the newest wins.
    const active = rows.filter((r) => r.kind === 'data' && r.is_active).sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || (a.key_id < b.key_id ? -1 : 1))[0]!;
    return new KeyRing(keys, active.key_id, unwrapKey(master.key, index, origin));
  }

  /**
   * The unwrapped keys, to hand to a worker thread of this process (which rebuilds the ring with fromMaterial):
   * encrypting a large import on every core. Never persist or log it.
   */
  material(): { dataKeys: [string, Buffer][]; activeKeyId: string; indexKey: Buffer } {
    return { dataKeys: [...this.keys], activeKeyId: this.activeKeyId, indexKey: this.indexKey };
  }

  /** A ring from material() in a worker thread. */
  static fromMaterial(material: { dataKeys: [string, Uint8Array][]; activeKeyId: string; indexKey: Uint8Array }): KeyRing {
    return new KeyRing(new Map(material.dataKeys.map(([id, key]) => [id, Buffer.from(key)])), material.activeKeyId, Buffer.from(material.indexKey));
  }

  /** True when this ring can decrypt values made under `keyId`. */
  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Encrypts one field value under the active data key, bound to its place. */
  encrypt(plaintext: string, place: FieldPlace): string {
    return `${TOKEN_PREFIX}${this.activeKeyId}:${seal(this.keys.get(this.activeKeyId)!, Buffer.from(plaintext, 'utf8'), aadOf(place)).toString('base64url')}`;
  }

  /**
   * Decrypts a token made by `encrypt` for the same place. Throws a clear error for a value that is not a token, a
   * key this store does not have, and a value that was altered or copied from another row or column.
   */
  decrypt(token: string, place: FieldPlace): string {
    const match = TOKEN.exec(token);
    if (!match) throw new SiyuError('internal', 'not_encrypted', `${describe(place)} is not an encrypted value`);
    const key = this.keys.get(match[1]!);
    if (!key) throw new SiyuError('unavailable', 'unknown_data_key', `${describe(place)} is encrypted under data key ${match[1]}, which this store's key table does not hold (a value from another store?)`);
    const plain = open(key, Buffer.from(match[2]!, 'base64url'), aadOf(place));
    if (!plain) throw new SiyuError('internal', 'decrypt_failed', `${describe(place)} does not decrypt: it was altered, or copied from another row or column`);
    return plain.toString('utf8');
  }
}

async function readKeyRows(db: Queryable): Promise<KeyRow[]> {
  return db.query<KeyRow>('SELECT key_id, kind, wrapped, master_check, is_active, created_at, retired_at FROM data_keys ORDER BY created_at, key_id');
}

async function createMissingKeys(db: Queryable, master: Buffer, rows: readonly KeyRow[]): Promise<void> {
  const check = masterKeyCheck(master);
  const now = new Date();
  if (!rows.some((r) => r.kind === 'index')) {
    await db.insertRows('data_keys', ['key_id', 'kind', 'wrapped', 'master_check', 'is_active', 'created_at'], [[INDEX_KEY_ID, 'index', wrapKey(master, INDEX_KEY_ID, randomBytes(KEY_BYTES)), check, true, now]], '(key_id) DO NOTHING');
  }
  if (!rows.some((r) => r.kind === 'data' && r.is_active)) await insertDataKey(db, master, now);
}

/** A new random data key id: `d` and 8 hex digits. */
export function newDataKeyId(): string {
  // 16 characters (the most a token's key id may have): longer than the 12 bytes DuckDB keeps inline in a string.
  return `d${randomBytes(8).toString('hex').slice(0, 15)}`;
}

/** Adds a new data key, wrapped, as the active one (the others stay readable). Returns its id. */
export async function insertDataKey(db: Queryable, master: Buffer, at = new Date()): Promise<string> {
  const keyId = newDataKeyId();
  await db.execute(`UPDATE data_keys SET is_active = FALSE WHERE kind = 'data' AND is_active`);
  await db.insertRows('data_keys', ['key_id', 'kind', 'wrapped', 'master_check', 'is_active', 'created_at'], [[keyId, 'data', wrapKey(master, keyId, randomBytes(KEY_BYTES)), masterKeyCheck(master), true, at]]);
  return keyId;
}

/** The store's keys, without key material. */
export async function listDataKeys(db: Queryable): Promise<DataKeyInfo[]> {
  return (await readKeyRows(db)).map((r) => ({ keyId: r.key_id, kind: r.kind, isActive: r.is_active, createdAt: r.created_at, retiredAt: r.retired_at }));
}

// Per store: how to find its master key, and the ring read from it. A ring is re-read after KEY_REFRESH_MS, so a
// rotation made by another process reaches every writer within that time.
/** How long a process keeps using the key ring it read before reading `data_keys` again. */
export const KEY_REFRESH_MS = 5_000;
const configured = new WeakMap<Store, MasterKeyOptions & { masterKey?: MasterKey }>();
const rings = new WeakMap<Store, { ring: Promise<KeyRing>; at: number }>();
/** Keys belong to the database: a fork (a second connection) uses its store's configuration and ring. */
const owner = (store: Store): Store => store.forkOf ?? store;

/**
 * Sets how a store finds its master key: a key given directly (tests, a secrets manager), or key-file options. Call
 * before the first `keyRingFor`; by default the environment and the key file beside an embedded store are used.
 */
export function configureMasterKey(store: Store, options: MasterKeyOptions & { masterKey?: Buffer }): void {
  const { masterKey, ...rest } = options;
  configured.set(owner(store), { ...rest, masterKey: masterKey ? { key: masterKey, origin: 'given' } : undefined });
  rings.delete(owner(store));
}

/** The master key a store is configured with (loading it as configureMasterKey said, or from the environment). */
export async function masterKeyFor(store: Store, db: Queryable = store): Promise<MasterKey> {
  const options = configured.get(owner(store)) ?? {};
  if (options.masterKey) return options.masterKey;
  const [row] = await db.query<{ n: number }>('SELECT count(*) AS n FROM data_keys');
  const master = loadMasterKey(store.location, { ...options, mayCreate: Number(row?.n ?? 0) === 0 });
  // An in-memory store's random key must stay the same for as long as the store lives.
  if (master.origin === 'ephemeral' || master.origin === 'created') configured.set(owner(store), { ...options, masterKey: master });
  return master;
}

/**
 * The store's key ring, read at most every KEY_REFRESH_MS. Inside a transaction, pass it as `db`: on DuckDB the
 * store's own connection is held by the transaction, so reading through the store would wait for ever.
 */
export async function keyRingFor(store: Store, db: Queryable = store): Promise<KeyRing> {
  const cached = rings.get(owner(store));
  if (cached && Date.now() - cached.at < KEY_REFRESH_MS) return cached.ring;
  const ring = masterKeyFor(store, db).then((master) => KeyRing.open(db, master));
  // A ring read inside a transaction may hold keys that transaction creates and then rolls back: not cached.
  if (db !== store) return ring;
  rings.set(owner(store), { ring, at: Date.now() });
  ring.catch(() => rings.delete(owner(store)));
  return ring;
}

/** Forgets a store's cached ring, so the next use reads `data_keys` again (after a rotation in this process). */
export function forgetKeyRing(store: Store): void {
  rings.delete(owner(store));
}
