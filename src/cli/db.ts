import type { Command } from 'commander';
import { describeStore, listMigrations, migrate } from '../store/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('create, upgrade and inspect the database');

  withDb(db.command('migrate').description('apply pending numbered migrations (every other command also does this)'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(
          opts.db,
          async (store) => {
            const applied = await migrate(store);
            const names = applied.map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`);
            emit(opts.json, { location: store.location, applied: names }, () =>
              applied.length ? `applied ${applied.length} migration(s) to ${store.location}: ${names.join(', ')}` : `${store.location} is up to date (${listMigrations().length} migrations)`,
            );
          },
          { migrate: false },
        ),
      ),
    );

  withDb(db.command('info').description('backend, version, size, migrations and row counts'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(
          opts.db,
          async (store) => {
            const info = await describeStore(store);
            emit(opts.json, info, () =>
              [
                `backend     ${info.backend} (${info.version})`,
                `location    ${info.location}`,
                `size        ${info.bytes === null ? 'unknown' : `${(info.bytes / 1024 / 1024).toFixed(1)} MB`}`,
                `migrations  ${info.migrations.applied.length} applied, ${info.migrations.pending.length} pending`,
                ...Object.entries(info.tables).map(([table, n]) => `${table.padEnd(18)}${n.toLocaleString('en-US')} rows`),
              ].join('\n'),
            );
          },
          { migrate: false },
        ),
      ),
    );
}
