import { isSiyuError } from '../core/errors.ts';
import type { Queryable, Store } from '../store/index.ts';

/**
 * Runs `fn` in a transaction, again when it lost a race: a write-write conflict (DuckDB's optimistic concurrency, when
 * forks of one database write the same row) or a duplicate idempotency key another transaction committed first. The
 * retry then sees the winner's row, so the caller gets the same answer a replay gets.
 */
export async function transactionWithRetry<T>(store: Store, fn: (tx: Queryable) => Promise<T>, attempts = 200): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.transaction(fn);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
    }
  }
}

function isRetryable(error: unknown): boolean {
  if (!isSiyuError(error)) return false;
  if (error.code === 'duplicate_key') return true;
  // DuckDB reports a key another transaction committed first when this one commits, and a write-write conflict as such.
  if (error.code === 'write_conflict') return true; // store/driver-errors.ts names DuckDB's write-write conflicts
  return error.code === 'database_error' && (/duplicate key/i.test(error.message) || (/conflict/i.test(error.message) && !/constraint/i.test(error.message)));
}
