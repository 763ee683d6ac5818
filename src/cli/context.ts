import { io } from './io.ts';
import { forwardToServer, StoreHeldError } from './remote.ts';
import type { Command } from 'commander';
import { formatDetail, isSiyuError, SiyuError, type ErrorKind } from '../core/errors.ts';
import { drainInbox } from '../ingest/index.ts';
import { sealExistingPersonalData } from '../privacy/index.ts';
import { sealPlainTotpSecrets } from '../access/index.ts';
import { migrate, openStore, resolveDatabase, type Store } from '../store/index.ts';

const EXIT: Record<ErrorKind, number> = {
  validation: 2,
  too_large: 2,
  not_found: 3,
  conflict: 4,
  unauthorized: 5,
  forbidden: 5,
  rate_limited: 5,
  unavailable: 6,
  internal: 1,
};

/** Adds the `--db` option every command takes. */
export function withDb(command: Command): Command {
  return command.option('--db <path-or-url>', 'DuckDB file, :memory:, or postgres://… (default: $SIYU_DATABASE_URL or ./siyu.duckdb)');
}

/**
 * Opens the store named by `--db`, brings its schema up to date (unless `migrate: false`, for the `db` commands
 * that report on the schema themselves), writes any messages a server acknowledged but had not processed when it
 * stopped (unless `drainInbox: false`: `serve` processes them itself), runs `fn`, and always closes it.
 */
export async function withOpenStore<T>(db: string | undefined, fn: (store: Store) => Promise<T>, options: { migrate?: boolean; drainInbox?: boolean } = {}): Promise<T> {
  // Inside the server that holds the store, for a CLI that sent it the command: its store is open and migrated.
  const held = io().store;
  if (held) return fn(held);
  const location = resolveDatabase(db);
  let store: Store;
  try {
    store = await openStore(location);
  } catch (error) {
    if (isSiyuError(error) && error.code === 'store_locked') {
      const pid = /PID (\d+)/.exec(error.message)?.[1];
      throw new StoreHeldError(location, pid === undefined ? undefined : Number(pid), error);
    }
    throw error;
  }
  try {
    if (options.migrate !== false) {
      await migrate(store);
      const sealed = await sealExistingPersonalData(store);
      if (sealed.identities + sealed.customers + sealed.conflicts > 0) {
        process.stderr.write(`sealed personal data written before encryption at rest: ${sealed.identities} identities, ${sealed.customers} profiles, ${sealed.conflicts} conflicts (docs/privacy.md)\n`);
      }
      const secrets = await sealPlainTotpSecrets(store);
      if (secrets > 0) process.stderr.write(`sealed ${secrets} TOTP secret${secrets > 1 ? 's' : ''} stored in plain by an earlier version (docs/security.md)\n`);
    }
    if (options.migrate !== false && options.drainInbox !== false) await drainInbox(store);
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * The single CLI error wrapper: a SiyuError becomes one line (plus its details) and an exit code by kind;
 * anything else is a bug and prints its stack.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      try {
        await fn(...args);
      } catch (error) {
        // The embedded store is held by a running server: the command runs there instead (cli/remote.ts).
        if (!(error instanceof StoreHeldError) || io().store) throw error;
        io().exitCode = await forwardToServer(error, process.argv.slice(2));
      }
    } catch (error) {
      if (isSiyuError(error)) {
        io().stderr.write(`siyu: ${error.message}\n`);
        const shown = error.details.slice(0, 20);
        for (const detail of shown) io().stderr.write(`  ${formatDetail(detail)}\n`);
        if (error.details.length > shown.length) io().stderr.write(`  … and ${error.details.length - shown.length} more\n`);
        io().exitCode = EXIT[error.kind];
      } else {
        io().stderr.write(`siyu: unexpected error (a bug; please report it)\n${error instanceof Error ? error.stack : String(error)}\n`);
        io().exitCode = 1;
      }
    }
  };
}

/** Prints JSON when `--json` was given, else the human form. */
export function emit(json: boolean | undefined, value: unknown, human: () => string): void {
  io().stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** A whole-number flag ≥ `min`, or a one-line error naming the flag. */
export function parseCount(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new SiyuError('validation', 'invalid_flag', `${flag} must be a whole number ≥ ${min}, not ${JSON.stringify(value)}`);
  return n;
}

