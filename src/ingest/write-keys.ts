import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import type { Store } from '../store/index.ts';

/** A write key as listed: never the key itself, which is shown once at creation. */
export interface WriteKey {
  keyId: string;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const PREFIX = 'syk_';
const hash = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Creates a write key and returns it in full; only its sha256 is stored. */
export async function createWriteKey(store: Store, name: string): Promise<WriteKey & { key: string }> {
  const label = name.trim();
  if (!label) throw new SiyuError('validation', 'invalid_name', 'a write key needs a name, e.g. "mini-program"');
  const key = PREFIX + randomBytes(24).toString('base64url');
  const keyId = key.slice(PREFIX.length, PREFIX.length + 8);
  const createdAt = new Date();
  await store.execute('INSERT INTO write_keys (key_id, name, key_hash, created_at) VALUES ($1, $2, $3, $4)', [keyId, label, hash(key), createdAt]);
  return { key, keyId, name: label, createdAt, revokedAt: null };
}

export async function listWriteKeys(store: Store): Promise<WriteKey[]> {
  const rows = await store.query<{ key_id: string; name: string; created_at: Date; revoked_at: Date | null }>(
    'SELECT key_id, name, created_at, revoked_at FROM write_keys ORDER BY created_at, key_id',
  );
  return rows.map((r) => ({ keyId: r.key_id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

export async function revokeWriteKey(store: Store, keyId: string): Promise<void> {
  const changed = await store.execute('UPDATE write_keys SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL', [keyId, new Date()]);
  if (changed === 0) throw new SiyuError('not_found', 'write_key_not_found', `no active write key with id ${keyId} (see: siyu keys list)`);
}

/**
 * Checks write keys against the store, remembering good ones for a short while so a busy ingest
 * endpoint does not hit the database per request. A revoked key stops working within `ttlMs`.
 */
export class WriteKeyVerifier {
  private readonly cache = new Map<string, { name: string; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 30_000,
  ) {}

  /** The key's name, or undefined when the key is unknown or revoked. */
  async verify(key: string): Promise<string | undefined> {
    const digest = hash(key);
    const cached = this.cache.get(digest);
    if (cached && cached.until > Date.now()) return cached.name;
    const [row] = await this.store.query<{ name: string; key_hash: string }>(
      'SELECT name, key_hash FROM write_keys WHERE key_id = $1 AND revoked_at IS NULL',
      [key.slice(PREFIX.length, PREFIX.length + 8)],
    );
    if (!row || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(digest))) return undefined;
    this.cache.set(digest, { name: row.name, until: Date.now() + this.ttlMs });
    return row.name;
  }
}
