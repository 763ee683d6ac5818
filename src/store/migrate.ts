import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SiyuError } from '../core/errors.ts';
import type { BackendKind, Store } from './store.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The numbered `.sql` files in store/migrations, in order. The same files run on both engines. */
export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), name: file.slice(4, -4), sql: readFileSync(`${dir}/${file}`, 'utf8') }));
}

export async function appliedVersions(store: Store): Promise<number[]> {
  await store.execute(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
  );
  const rows = await store.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((row) => row.version);
}

/**
 * Applies every migration not yet applied (up to version `through`, when given: tests of a migration that converts
 * data stop before it), each in its own transaction. Returns the versions applied now.
 */
export async function migrate(store: Store, options: { through?: number } = {}): Promise<Migration[]> {
  const done = new Set(await appliedVersions(store));
  const pending = listMigrations().filter((m) => !done.has(m.version) && m.version <= (options.through ?? Infinity));
  for (const migration of pending) {
    try {
      await store.transaction(async (tx) => {
        for (const statement of splitStatements(migration.sql, store.kind)) await tx.execute(statement);
        await tx.execute('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [migration.version, migration.name]);
      });
    } catch (error) {
      throw new SiyuError('internal', 'migration_failed', `migration ${migration.version}_${migration.name} failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return pending;
}

/** Throws unless every migration has been applied: commands other than `db migrate` need the full schema. */
export async function assertMigrated(store: Store): Promise<void> {
  const done = new Set(await appliedVersions(store));
  const missing = listMigrations().filter((m) => !done.has(m.version));
  if (missing.length > 0) {
    throw new SiyuError('unavailable', 'not_migrated', `${store.location} is missing ${missing.length} migration(s); run \`siyu db migrate\` first`);
  }
}

const POSTGRES_ONLY = /^\s*-- postgres-only\s*$/m;

/**
 * Our migrations hold no procedural code, so splitting on `;` at line ends is exact. A statement whose comment
 * lines include `-- postgres-only` (keys and indexes DuckDB is better without) is skipped on DuckDB.
 */
export function splitStatements(sql: string, kind: BackendKind): string[] {
  return sql
    .split(/;\s*$/m)
    .filter((s) => kind === 'postgres' || !POSTGRES_ONLY.test(s))
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
