import { SiyuError } from '../core/errors.ts';

// Driver errors stop here: domain code only ever sees SiyuError kinds (STYLE.md, Errors).
export function translateDriverError(error: unknown, sql: string): SiyuError {
  if (error instanceof SiyuError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const pgCode = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  const statement = sql.replace(/\s+/g, ' ').trim().slice(0, 160);
  if (pgCode === '23505' || /^Constraint Error: (Duplicate key|PRIMARY KEY or UNIQUE constraint violation)/.test(message)) {
    return new SiyuError('conflict', 'duplicate_key', message, { cause: error });
  }
  if (pgCode === '23502' || pgCode === '23503' || pgCode === '23514' || /^Constraint Error/.test(message)) {
    return new SiyuError('validation', 'constraint_violation', message, { cause: error });
  }
  if (/^TransactionContext Error: Conflict on |write-write conflict/.test(message)) {
    // DuckDB's optimistic concurrency: another connection of this process (the server's API and its ingest pipeline
    // each have one) changed the same row in a transaction still open or committed since this one began. Nothing of
    // this transaction is kept; trying it again sees the other's commit.
    return new SiyuError('unavailable', 'write_conflict', `another transaction changed the same rows at the same time; try again (${message})`, { cause: error });
  }
  const lock = message.match(/Could not set lock on file "([^"]*)": Conflicting lock is held in (.*?) \(PID (\d+)\)/);
  if (lock) {
    // Another process has the embedded file open; the CLI turns this into sending the command to that process when
    // it is a Siyu server (cli/remote.ts).
    return new SiyuError('unavailable', 'store_locked', `${lock[1]} is open in another process (PID ${lock[3]}, ${lock[2]})`, {
      cause: error,
      details: [{ file: lock[1], message: `held by PID ${lock[3]}` }],
    });
  }
  if (pgCode.startsWith('08') || pgCode === '57P01' || /ECONNREFUSED|Could not set lock on file/.test(message)) {
    return new SiyuError('unavailable', 'database_unavailable', message, { cause: error });
  }
  return new SiyuError('internal', 'database_error', `${message} (in: ${statement})`, { cause: error });
}
