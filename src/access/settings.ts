import { SiyuError } from '../core/errors.ts';
import { zodDetails } from '../core/validation.ts';
import type { Queryable, Store } from '../store/index.ts';
import { recordAudit } from './audit.ts';
import { ACCESS_SETTING_KEYS, AccessSettings } from './schemas.ts';

const KEYS = Object.entries(ACCESS_SETTING_KEYS) as [keyof AccessSettings, string][];

/** The access settings (session lifetimes, lock-out, TOTP for admins), with defaults for those never set. */
export async function readAccessSettings(db: Queryable): Promise<AccessSettings> {
  const rows = await db.query<{ key: string; value: string }>(`SELECT key, value FROM settings WHERE key IN (${KEYS.map((_, i) => `$${i + 1}`).join(', ')})`, KEYS.map(([, key]) => key));
  const raw = Object.fromEntries(KEYS.flatMap(([name, key]) => rows.filter((r) => r.key === key).map((r) => [name, r.value])));
  const parsed = AccessSettings.safeParse(raw);
  // A bad stored value falls back to nothing: refuse to run on it rather than guess a weaker lock-out.
  if (!parsed.success) throw new SiyuError('internal', 'invalid_access_settings', `stored access settings are invalid: ${zodDetails(parsed.error).map((d) => `${d.path}: ${d.message}`).join('; ')}`);
  return parsed.data;
}

// Sessions read the settings on every request; on DuckDB that query is a fifth of the check, so they are remembered
// for a few seconds per store handle. A change made in this process applies at once (the version moves).
const CACHE_MS = 5_000;
let version = 0;
const cached = new WeakMap<Queryable, { settings: AccessSettings; until: number; version: number }>();

/** `readAccessSettings`, remembered for 5 s per store; changes by another process apply within that time. */
export async function readAccessSettingsCached(db: Queryable): Promise<AccessSettings> {
  const hit = cached.get(db);
  if (hit && hit.until > Date.now() && hit.version === version) return hit.settings;
  const seen = version;
  const settings = await readAccessSettings(db);
  cached.set(db, { settings, until: Date.now() + CACHE_MS, version: seen });
  return settings;
}

/**
 * Changes access settings given by their names (`lockoutFailures`) or keys (`access.lockout_failures`), checked
 * together, and audits the change with the old and new values.
 */
export async function updateAccessSettings(store: Store, changes: Record<string, string>, actor: string): Promise<AccessSettings> {
  const byName: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [given, value] of Object.entries(changes)) {
    const match = KEYS.find(([name, key]) => given === name || given === key || given === key.slice('access.'.length));
    if (match) byName[match[0]] = value;
    else unknown.push(given);
  }
  if (unknown.length) {
    throw new SiyuError('validation', 'unknown_setting', `unknown access setting ${unknown.join(', ')}; known: ${KEYS.map(([, k]) => k.slice('access.'.length)).join(', ')}`, { details: unknown.map((u) => ({ path: u, message: 'unknown setting' })) });
  }
  const updated = await store.transaction(async (tx) => {
    const before = await readAccessSettings(tx);
    const parsed = AccessSettings.safeParse({ ...before, ...byName });
    if (!parsed.success) {
      const details = zodDetails(parsed.error).map((d) => ({ ...d, path: ACCESS_SETTING_KEYS[d.path as keyof AccessSettings]?.slice('access.'.length) ?? d.path }));
      throw new SiyuError('validation', 'invalid_setting', `invalid access setting: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
    }
    const after = parsed.data;
    const changed = KEYS.filter(([name]) => after[name] !== before[name]);
    for (const [name, key] of changed) {
      await tx.execute('INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at', [key, String(after[name]), new Date()]);
    }
    if (changed.length) {
      await recordAudit(tx, { actor, action: 'settings.update', target: 'access', details: Object.fromEntries(changed.map(([name, key]) => [key, { from: before[name], to: after[name] }])) });
    }
    return after;
  });
  // After the commit, so no reader caches the old values under the new version.
  version++;
  return updated;
}
