import type { z } from 'zod';
import { SiyuError, type ErrorDetail } from './errors.ts';

/** Turns every zod issue into `{ path, message }`, with paths written `a.b[0].c`. */
export function zodDetails(error: z.ZodError, prefix = ''): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: joinPath(prefix, issue.path), message: issue.message }));
}

export function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

/** Parses at an edge (HTTP body, CLI flag, config file); throws a validation SiyuError listing every issue. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = zodDetails(result.error);
  throw new SiyuError('validation', 'invalid_input', `invalid ${what}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
}

/** A calendar day given as YYYY-MM-DD (a flag or option named `flag`); anything else is a validation error. */
export function parseDay(value: string, flag: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new SiyuError('validation', 'invalid_date', `${flag} must be a date like 2026-06-30, not ${JSON.stringify(value)}`);
  }
  return value;
}
