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
  if (pgCode.startsWith('08') || pgCode === '57P01' || /ECONNREFUSED|Could not set lock on file/.test(message)) {
    return new SiyuError('unavailable', 'database_unavailable', message, { cause: error });
  }
  return new SiyuError('internal', 'database_error', `${message} (in: ${statement})`, { cause: error });
}
