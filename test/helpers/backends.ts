import { randomBytes } from 'node:crypto';
import { migrate, openStore, type BackendKind, type Store } from '../../src/store/index.ts';

const pgUrl = process.env.SIYU_TEST_DATABASE_URL;

// Personal data is encrypted on every backend, and a PostgreSQL store needs its master key from the environment (or
// a key file): tests and the servers they start share this one.
process.env.SIYU_MASTER_KEY ??= '5369797520746573747320e28094206e6f742061206b657920666f7220757365210a'.slice(0, 64);

/** Every backend a storage test runs on: DuckDB always, PostgreSQL when SIYU_TEST_DATABASE_URL is set. */
export const BACKENDS: BackendKind[] = pgUrl ? ['duckdb', 'postgres'] : ['duckdb'];

/** A fresh database for one test: `:memory:` DuckDB, or a schema of its own on PostgreSQL. */
export function freshLocation(backend: BackendKind): { location: string; cleanup: () => Promise<void> } {
  if (backend === 'duckdb') return { location: ':memory:', cleanup: async () => undefined };
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = new URL(pgUrl!);
  url.searchParams.set('schema', schema);
  return {
    location: url.toString(),
    cleanup: async () => {
      const admin = await openStore(pgUrl!);
      await admin.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    },
  };
}

/** Opens a fresh, migrated store, runs `fn`, then closes and removes it. */
export async function withStore<T>(backend: BackendKind, fn: (store: Store) => Promise<T>): Promise<T> {
  const { location, cleanup } = freshLocation(backend);
  const store = await openStore(location);
  try {
    await migrate(store);
    return await fn(store);
  } finally {
    await store.close();
    await cleanup();
  }
}
