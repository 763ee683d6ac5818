import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SiyuError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import type { Queryable, Store } from '../store/index.ts';
import { recordAudit } from './audit.ts';
import { formatDataScope, readDataScope } from './data-scope.ts';
import type { Permission } from './permissions.ts';
import type { Principal } from './principal.ts';
import { ALL_CUSTOMERS, DataScope, PermissionCode } from './schemas.ts';

/** An API key as listed: never the key itself, which is shown once at creation. */
export interface ApiKey {
  keyId: string;
  name: string;
  scopes: Permission[];
  dataScope: DataScope;
  createdAt: Date;
  createdBy: string | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

export const CreateApiKeyInput = z
  .object({
    name: z.string().trim().min(1, 'a key needs a name, e.g. "mini-program"').max(100),
    scopes: z.array(PermissionCode).min(1, 'a key needs at least one scope').default(['ingest:write']),
    /** Days until it stops working; absent: never. */
    expiresInDays: z.number().positive().max(3650).optional(),
    dataScope: DataScope.default(ALL_CUSTOMERS),
  })
  .strict();
export type CreateApiKeyInput = z.input<typeof CreateApiKeyInput>;

export const KEY_PREFIX = 'syk_';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** The 8 characters after the prefix: the key's id, how listings and logs name it. */
const keyIdOf = (key: string): string => key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 8);

interface KeyRow {
  key_id: string;
  name: string;
  key_hash: string;
  scopes: string;
  data_scope: string;
  created_at: Date;
  created_by: string | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}

const fromRow = (r: KeyRow): ApiKey => ({
  keyId: r.key_id,
  name: r.name,
  scopes: z.array(PermissionCode).parse(JSON.parse(r.scopes)),
  dataScope: readDataScope(r.data_scope),
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
});

/** Creates a key and returns it in full, once; only its SHA-256 is stored. Audited as key.create. */
export async function createApiKey(store: Store, input: CreateApiKeyInput, actor: string): Promise<ApiKey & { key: string }> {
  const spec = parseOrThrow(CreateApiKeyInput, input, 'API key');
  const scopes = [...new Set(spec.scopes)].sort();
  const createdAt = new Date();
  const expiresAt = spec.expiresInDays === undefined ? null : new Date(createdAt.getTime() + spec.expiresInDays * 86_400_000);
  return store.transaction(async (tx) => {
    // 24 random bytes; the 8-character id repeats an existing one about once in 2^48 keys, and is then drawn again.
    for (;;) {
      const key = KEY_PREFIX + randomBytes(24).toString('base64url');
      const keyId = keyIdOf(key);
      // An id is typed as a CLI argument, where a leading '-' would read as an option.
      if (keyId.startsWith('-') || (await tx.query('SELECT 1 AS taken FROM api_keys WHERE key_id = $1', [keyId])).length) continue;
      await tx.execute(
        'INSERT INTO api_keys (key_id, name, key_hash, scopes, data_scope, created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [keyId, spec.name, sha256(key), JSON.stringify(scopes), JSON.stringify(spec.dataScope), createdAt, actor, expiresAt],
      );
      await recordAudit(tx, { actor, action: 'key.create', target: keyId, details: { name: spec.name, scopes, dataScope: formatDataScope(spec.dataScope), expiresAt: expiresAt?.toISOString() ?? null } });
      return { key, keyId, name: spec.name, scopes, dataScope: spec.dataScope, createdAt, createdBy: actor, expiresAt, lastUsedAt: null, revokedAt: null, revokedBy: null };
    }
  });
}

/** Every key, oldest first, revoked and expired ones included. */
export async function listApiKeys(db: Queryable): Promise<ApiKey[]> {
  return (await db.query<KeyRow>('SELECT * FROM api_keys ORDER BY created_at, key_id')).map(fromRow);
}

// Keys revoked by this process, and when: authenticators here drop them from their caches at once.
const revokedHere = new Map<string, number>();

/**
 * Revokes a key: refused from now on by this process, and by other processes (PostgreSQL) once their cache of it
 * expires (5 s for API routes, 30 s for ingest). Audited as key.revoke.
 */
export async function revokeApiKey(store: Store, keyId: string, actor: string): Promise<void> {
  await store.transaction(async (tx) => {
    const changed = await tx.execute('UPDATE api_keys SET revoked_at = $2, revoked_by = $3 WHERE key_id = $1 AND revoked_at IS NULL', [keyId, new Date(), actor]);
    if (changed === 0) throw new SiyuError('not_found', 'key_not_found', `no active API key with id ${keyId} (see: siyu keys list)`);
    await recordAudit(tx, { actor, action: 'key.revoke', target: keyId });
  });
  revokedHere.set(keyId, Date.now());
}

/** Why a key was refused; each becomes a 401 with its own code. */
export type KeyRefusal = 'invalid_key' | 'key_revoked' | 'key_expired';

export type KeyCheck = { ok: true; key: ApiKey; principal: Principal } | { ok: false; refusal: KeyRefusal };

// last_used_at is written at most once a minute per key and process: a busy key costs no write per request.
const TOUCH_MS = 60_000;

/**
 * Checks keys against the store. With `cacheMs` > 0, a key is remembered that long, so a busy key costs no query per
 * request; a revocation made in this process applies at once, one made by another process within `cacheMs`.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { key: ApiKey; until: number; readAt: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly store: Queryable,
    private readonly options: { cacheMs?: number } = {},
  ) {}

  async check(key: string): Promise<KeyCheck> {
    const digest = sha256(key);
    const now = Date.now();
    let found = this.cache.get(digest);
    if (!found || found.until <= now || (revokedHere.get(found.key.keyId) ?? -1) >= found.readAt) {
      const [row] = await this.store.query<KeyRow>('SELECT * FROM api_keys WHERE key_id = $1', [keyIdOf(key)]);
      if (!row || !key.startsWith(KEY_PREFIX) || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(digest))) return { ok: false, refusal: 'invalid_key' };
      found = { key: fromRow(row), until: now + (this.options.cacheMs ?? 0), readAt: now };
      if (this.options.cacheMs) this.cache.set(digest, found);
    }
    const apiKey = found.key;
    if (apiKey.revokedAt) return { ok: false, refusal: 'key_revoked' };
    if (apiKey.expiresAt && apiKey.expiresAt.getTime() <= now) return { ok: false, refusal: 'key_expired' };
    if (now - (this.touched.get(apiKey.keyId) ?? 0) > TOUCH_MS) {
      this.touched.set(apiKey.keyId, now);
      await this.store.execute('UPDATE api_keys SET last_used_at = $2 WHERE key_id = $1', [apiKey.keyId, new Date(now)]);
    }
    const principal: Principal = { kind: 'key', id: apiKey.keyId, name: apiKey.name, roles: [], permissions: new Set(apiKey.scopes), dataScope: apiKey.dataScope, mustEnrolTotp: false };
    return { ok: true, key: apiKey, principal };
  }
}

/**
 * A duration for `--expires-in`: `90d`, `12w`, `36h`, or a bare number of days. Returns days; `never` gives undefined.
 */
export function parseExpiry(text: string): number | undefined {
  if (text === 'never') return undefined;
  const match = /^(\d+(?:\.\d+)?)([dwh]?)$/.exec(text.trim());
  const value = match ? Number(match[1]) : NaN;
  if (!match || !(value > 0)) throw new SiyuError('validation', 'invalid_expiry', `--expires-in must look like 90d, 12w or 36h (or never), not ${JSON.stringify(text)}`);
  return match[2] === 'w' ? value * 7 : match[2] === 'h' ? value / 24 : value;
}
