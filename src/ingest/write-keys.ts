import { z } from 'zod';
import { ApiKeyAuthenticator, createApiKey, grants, listApiKeys, localActor, revokeApiKey, type ApiKey, type KeyRefusal } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { zodDetails } from '../core/validation.ts';
import type { Queryable, Store } from '../store/index.ts';

// Write keys are API keys with the ingest:write scope (migration 025 moved them into api_keys under the same ids and
// hashes). The browser origins a key lets send events are ingest's own concern, kept in write_key_origins by key id.

/** A write key as listed: never the key itself, which is shown once at creation. */
export type WriteKey = ApiKey & {
  /** Browser origins whose pages may send with this key (`*`: any); sorted. Empty: no browser page may. */
  allowedOrigins: string[];
};

/** What the ingest routes know about the key a request carried. */
export interface VerifiedWriteKey {
  keyId: string;
  name: string;
  allowedOrigins: string[];
}

const ORIGIN_HINT = 'write an origin as scheme://host[:port], e.g. https://shop.example or http://localhost:5173, or * for any';

/** An allowed origin as browsers send it in the Origin header: `scheme://host[:port]`, lower case, no default port. */
const Origin = z.string().transform((value, ctx) => {
  if (value === '*') return value;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const isOrigin = url && (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash && !url.host.includes('*');
  if (!url || !isOrigin || value.includes('?') || value.includes('#')) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an origin; ${ORIGIN_HINT}` });
    return z.NEVER;
  }
  return url.origin;
});

function parseOrigins(values: readonly string[], path: string): string[] {
  const parsed = z.array(Origin).safeParse(values);
  if (parsed.success) return parsed.data;
  const details = zodDetails(parsed.error, path);
  throw new SiyuError('validation', 'invalid_origin', details.map((d) => `${d.path}: ${d.message}`).join('; '), { details });
}

const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/** Whether a page at `origin` (the request's Origin header) may send with a key that allows `allowed`. */
export function isOriginAllowed(allowed: readonly string[], origin: string): boolean {
  return allowed.includes('*') || allowed.includes(origin.toLowerCase());
}

export interface CreateWriteKeyOptions {
  /** Browser origins allowed to send with the key; none by default (server SDKs send no Origin and need none). */
  allowedOrigins?: readonly string[];
  /** Scopes beyond ingest:write. */
  scopes?: ApiKey['scopes'];
  expiresInDays?: number;
  dataScope?: ApiKey['dataScope'];
  actor?: string;
}

/** Creates an API key with the ingest:write scope (and any others given) and its allowed origins; returns it in full, once. */
export async function createWriteKey(store: Store, name: string, options: CreateWriteKeyOptions = {}): Promise<WriteKey & { key: string }> {
  const allowedOrigins = sortedUnique(parseOrigins(options.allowedOrigins ?? [], 'origins'));
  const created = await createApiKey(store, { name, scopes: options.scopes ?? ['ingest:write'], expiresInDays: options.expiresInDays, dataScope: options.dataScope }, options.actor ?? localActor());
  await writeOrigins(store, created.keyId, allowedOrigins);
  return { ...created, allowedOrigins };
}

/** The write keys (API keys with ingest:write), or with `all` every API key, each with the browser origins it allows. */
export async function listWriteKeys(store: Store, options: { all?: boolean } = {}): Promise<WriteKey[]> {
  const origins = await keyOrigins(store);
  return (await listApiKeys(store)).filter((k) => options.all || k.scopes.includes('ingest:write')).map((k) => ({ ...k, allowedOrigins: origins.get(k.keyId) ?? [] }));
}

async function keyOrigins(db: Queryable, keyId?: string): Promise<Map<string, string[]>> {
  const rows = await db.query<{ key_id: string; origin: string }>(`SELECT key_id, origin FROM write_key_origins ${keyId ? 'WHERE key_id = $1' : ''} ORDER BY key_id, origin`, keyId ? [keyId] : []);
  const byKey = new Map<string, string[]>();
  for (const { key_id, origin } of rows) byKey.set(key_id, [...(byKey.get(key_id) ?? []), origin]);
  return byKey;
}

/** A change to a key's allowed origins: `set` replaces the list, then `add` and `remove` edit it. */
export interface OriginsChange {
  set?: readonly string[];
  add?: readonly string[];
  remove?: readonly string[];
}

/**
 * Changes which browser origins an active key allows and returns the new list. Running servers see the change
 * within 30 s (their key cache).
 */
export async function updateWriteKeyOrigins(store: Store, keyId: string, change: OriginsChange): Promise<string[]> {
  const set = change.set && parseOrigins(change.set, 'set');
  const add = parseOrigins(change.add ?? [], 'add');
  const remove = new Set(parseOrigins(change.remove ?? [], 'remove'));
  return store.transaction(async (tx) => {
    const [key] = await tx.query('SELECT key_id FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL', [keyId]);
    if (!key) throw new SiyuError('not_found', 'write_key_not_found', `no active write key with id ${keyId} (see: siyu keys list)`);
    const current = set ?? (await keyOrigins(tx, keyId)).get(keyId) ?? [];
    const next = sortedUnique([...current, ...add].filter((o) => !remove.has(o)));
    await tx.execute('DELETE FROM write_key_origins WHERE key_id = $1', [keyId]);
    await writeOrigins(tx, keyId, next);
    return next;
  });
}

async function writeOrigins(db: Queryable, keyId: string, origins: readonly string[]): Promise<void> {
  if (origins.length > 0) await db.insertRows('write_key_origins', ['key_id', 'origin'], origins.map((origin) => [keyId, origin]));
}

export async function revokeWriteKey(store: Store, keyId: string, actor = localActor()): Promise<void> {
  await revokeApiKey(store, keyId, actor);
}

/** A write key check: the key (its name is the events' source), or why it was refused. */
export type WriteKeyCheck = { ok: true; key: VerifiedWriteKey } | { ok: false; refusal: KeyRefusal | 'missing_scope' };

/**
 * Checks write keys against the store, remembering good ones and their origins for a short while so a busy ingest
 * endpoint does not hit the database per request. A revocation or a change of origins takes effect within `ttlMs`.
 */
export class WriteKeyVerifier {
  private readonly keys: ApiKeyAuthenticator;
  private readonly origins = new Map<string, { origins: string[]; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 30_000,
  ) {
    this.keys = new ApiKeyAuthenticator(store, { cacheMs: ttlMs });
  }

  async check(key: string): Promise<WriteKeyCheck> {
    const checked = await this.keys.check(key);
    if (!checked.ok) return checked;
    if (!grants(checked.key.scopes, 'ingest:write')) return { ok: false, refusal: 'missing_scope' };
    const { keyId, name } = checked.key;
    let cached = this.origins.get(keyId);
    if (!cached || cached.until <= Date.now()) {
      cached = { origins: (await keyOrigins(this.store, keyId)).get(keyId) ?? [], until: Date.now() + this.ttlMs };
      this.origins.set(keyId, cached);
    }
    return { ok: true, key: { keyId, name, allowedOrigins: cached.origins } };
  }

  /** The key, or undefined when it is unknown, revoked, expired or lacks the ingest:write scope. */
  async verify(key: string): Promise<VerifiedWriteKey | undefined> {
    const checked = await this.check(key);
    return checked.ok ? checked.key : undefined;
  }
}
