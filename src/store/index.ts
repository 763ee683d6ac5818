import { DuckDBStore } from './duckdb.ts';
import type { Store } from './store.ts';

export type { BackendKind, Columns, Queryable, Row, Store } from './store.ts';
export { DuckDBStore, DuckDBSession } from './duckdb.ts';
export { migrate, assertMigrated, listMigrations, appliedVersions } from './migrate.ts';
export { describeStore, type StoreInfo } from './info.ts';
export { dialect } from './dialect.ts';
export { FACT_TABLE_KEYS } from './fact-keys.ts';
export { jsonRowsParam } from './values.ts';
export { readBrandSettings, reportingCurrency, type BrandSettings } from './settings.ts';
export { queueWatchedEvents, queueWatchedRows } from './event-queue.ts';
export { createTempTable } from './temp-table.ts';
export { fixedOffset, latestOrderDay, localDay, localSeconds, onOrBefore, PURCHASES } from './order-days.ts';

export const DEFAULT_DATABASE = './siyu.duckdb';

/** The database a command uses: `--db`, else `SIYU_DATABASE_URL`, else `./siyu.duckdb`. */
export function resolveDatabase(flag?: string): string {
  return flag ?? process.env.SIYU_DATABASE_URL ?? DEFAULT_DATABASE;
}

/** Opens `postgres://…` / `postgresql://…` on PostgreSQL, anything else as a DuckDB file path (or `:memory:`). */
export async function openStore(location: string): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(location)) {
    // Loaded on demand: the driver costs about 0.1 s of start-up that embedded-store commands need not pay.
    const { PostgresStore } = await import('./postgres.ts');
    return PostgresStore.open(location);
  }
  return DuckDBStore.open(location);
}
export { withIndexesRebuilt } from './bulk-indexes.ts';
// The key ring sits here, at the bottom, because both privacy (personal data) and access (TOTP secrets) seal
// values with it, and privacy already depends on access: neither can import the other's key ring.
export { KEY_BYTES, keyFileFor, loadMasterKey, masterKeyCheck, parseMasterKey, type MasterKey, type MasterKeyOptions, type MasterKeyOrigin } from './master-key.ts';
export { configureMasterKey, forgetKeyRing, INDEX_KEY_ID, insertDataKey, isToken, KEY_REFRESH_MS, KeyRing, keyRingFor, listDataKeys, masterKeyFor, tokenKeyId, TOKEN_PREFIX, type DataKeyInfo, type FieldPlace } from './keyring.ts';
