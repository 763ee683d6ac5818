import { dialect } from './dialect.ts';
import { appliedVersions, listMigrations } from './migrate.ts';
import type { BackendKind, Store } from './store.ts';

export interface StoreInfo {
  backend: BackendKind;
  location: string;
  version: string;
  bytes: number | null;
  migrations: { applied: number[]; pending: number[] };
  tables: Record<string, number>;
}

/** What `siyu db info` and `siyu stats` print: engine, size, migration state and row counts per table. */
export async function describeStore(store: Store): Promise<StoreInfo> {
  const d = dialect(store.kind);
  const applied = await appliedVersions(store);
  const pending = listMigrations()
    .map((m) => m.version)
    .filter((v) => !applied.includes(v));
  const [{ version }] = (await store.query<{ version: string }>(d.versionQuery)) as [{ version: string }];
  const sizeRows = await store.query<{ bytes: number }>(d.sizeQuery).catch(() => []);
  const names = await store.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`);
  const tables: Record<string, number> = {};
  for (const { table_name } of names) {
    if (table_name === 'schema_migrations') continue;
    const [row] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM ${table_name}`);
    tables[table_name] = Number(row?.n ?? 0);
  }
  return { backend: store.kind, location: store.location, version, bytes: sizeRows[0]?.bytes ?? null, migrations: { applied, pending }, tables };
}
