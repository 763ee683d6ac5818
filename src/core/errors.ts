/** The closed set of error kinds. Each front end maps a kind to an HTTP status or an exit code in one place. */
export type ErrorKind = 'validation' | 'not_found' | 'conflict' | 'forbidden' | 'unauthorized' | 'rate_limited' | 'too_large' | 'unavailable' | 'internal';

/** Where a problem is: a field path inside a payload, or a line of a file. */
export interface ErrorDetail {
  path?: string;
  line?: number;
  file?: string;
  message: string;
}

/** The one error type Siyu throws on purpose. `code` is stable and machine-readable; `message` is for people. */
export class SiyuError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: ErrorDetail[];

  constructor(kind: ErrorKind, code: string, message: string, options: { details?: ErrorDetail[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SiyuError';
    this.kind = kind;
    this.code = code;
    this.details = options.details ?? [];
  }
}

export function isSiyuError(error: unknown): error is SiyuError {
  return error instanceof SiyuError;
}

/** Formats one detail as `path: message` or `file:line: message`. */
export function formatDetail(detail: ErrorDetail): string {
  const where = detail.path ?? (detail.line !== undefined ? `${detail.file ?? 'line'}:${detail.line}` : undefined);
  return where ? `${where}: ${detail.message}` : detail.message;
}

export function assertNever(value: never): never {
  throw new SiyuError('internal', 'unreachable', `unexpected value ${JSON.stringify(value)}`);
}
