import { parseOrThrow } from '../core/validation.ts';
import type { Queryable } from '../store/index.ts';
import { PointsSettings, StoredValueSettings, TierSettings } from './schemas.ts';

const SCHEMAS = { points: PointsSettings, tiers: TierSettings, stored_value: StoredValueSettings } as const;
type Key = keyof typeof SCHEMAS;
type Settings = { points: PointsSettings; tiers: TierSettings; stored_value: StoredValueSettings };

/** The program's settings of one kind, with defaults for what is not set; JSON read back is parsed again. */
export async function readLoyaltySettings<K extends Key>(db: Queryable, key: K): Promise<Settings[K]> {
  const rows = await db.query<{ value: unknown }>('SELECT value FROM loyalty_settings WHERE key = $1', [key]);
  const raw = rows[0]?.value;
  const value = typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {});
  return parseOrThrow(SCHEMAS[key], value, `loyalty settings ${key}`) as Settings[K];
}

/** Replaces the settings of one kind (checked first; every problem named by its path). */
export async function writeLoyaltySettings<K extends Key>(db: Queryable, key: K, value: unknown, now = new Date()): Promise<Settings[K]> {
  const parsed = parseOrThrow(SCHEMAS[key], value, `loyalty settings ${key}`) as Settings[K];
  await db.execute(
    `INSERT INTO loyalty_settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [key, JSON.stringify(parsed), now],
  );
  return parsed;
}
