import { closeSync, openSync, writeSync } from 'node:fs';
import { SiyuError } from '../core/errors.ts';
import type { Queryable } from '../store/index.ts';
import { ident, literal } from './sql.ts';
import type { StagedFile } from './stage.ts';

/** A record that was not imported: where it was, why, and the record itself as read. */
export interface RejectedRecord {
  line: number;
  reason: string;
  record: string;
}

/** One kind of reason and how many records gave it, with one of the values that caused it. */
export interface RejectReason {
  reason: string;
  count: number;
  example: string | null;
}

const HEADER = 'line,reason,record\n';

/**
 * The default of `--max-rejects`: 1% of the records or 10,000, whichever is more. A file that bad is more likely the
 * wrong file, or the wrong mapping, than data worth loading without its rejects.
 */
export function defaultMaxRejects(records: number): number {
  return Math.max(10_000, Math.ceil(records / 100));
}

const cell = (value: string | number): string => {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/**
 * Writes rejects as CSV (line, reason, record) as they are found, in the order given (the file's), so memory stays
 * bounded however many there are. The file is created with the first reject.
 */
export class RejectsWriter {
  private fd: number | undefined;
  private buffer = '';
  count = 0;

  constructor(readonly path: string) {}

  add(record: RejectedRecord): void {
    this.count++;
    this.buffer += `${record.line},${cell(record.reason)},${cell(record.record)}\n`;
    if (this.buffer.length > 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.fd === undefined) {
      this.fd = openSync(this.path, 'w');
      writeSync(this.fd, HEADER);
    }
    writeSync(this.fd, this.buffer);
    this.buffer = '';
  }

  /** Flushes and closes; returns the path when anything was written. */
  close(): string | null {
    if (this.count > 0) this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return this.count > 0 ? this.path : null;
  }
}

/** The source record as JSON text, without the record number: the SQL of it over the staged row `s`. */
const recordJson = (staged: StagedFile): string => `to_json({${staged.columns.map((c) => `${literal(c)}: s.${ident(c)}`).join(', ')}})::VARCHAR`;

/**
 * Every reject of a staged import in line order, as a SQL query over DuckDB's staging tables: lines the reader could
 * not parse (`siyu_unreadable`), rows that failed a check (`siyu_checked`), and rows the store refused (`siyu_refused`).
 */
function rejectsQuery(staged: StagedFile, withRefused: boolean): string {
  const parts = [
    'SELECT line, reason, record FROM siyu_unreadable',
    `SELECT ${staged.lineSql('c.siyu_row')} AS line, c.siyu_reason AS reason, ${recordJson(staged)} AS record
     FROM siyu_checked c JOIN siyu_src s ON s.siyu_row = c.siyu_row WHERE c.siyu_reason IS NOT NULL`,
    ...(withRefused
      ? [`SELECT ${staged.lineSql('r.siyu_row')} AS line, r.reason, ${recordJson(staged)} AS record FROM siyu_refused r JOIN siyu_src s ON s.siyu_row = r.siyu_row`]
      : []),
  ];
  return parts.join('\nUNION ALL\n');
}

/**
 * Writes the rejects of a staged import to `path` straight from DuckDB (its CSV writer quotes as RFC 4180 does), in
 * line order, the first `limit` of them when a limit is given. Nothing passes through JavaScript memory.
 */
export async function exportRejects(db: Queryable, staged: StagedFile, path: string, options: { limit?: number; withRefused?: boolean } = {}): Promise<void> {
  const limit = options.limit === undefined ? '' : ` LIMIT ${options.limit}`;
  await db.execute(`COPY (SELECT line, reason, record FROM (${rejectsQuery(staged, options.withRefused ?? false)}) ORDER BY line${limit}) TO ${literal(path)} (FORMAT csv, HEADER true)`);
}

/**
 * The most frequent kinds of reason among a staged import's rejects. A record with several bad columns counts once
 * for each; the value that was bad is taken out of the reason and shown as an example, so "status: not one of …"
 * counts as one reason whatever the status was.
 */
export async function topRejectReasons(db: Queryable, withRefused: boolean, top = 5): Promise<RejectReason[]> {
  const parts = `SELECT unnest(string_split(siyu_reason, '; ')) AS part FROM siyu_checked WHERE siyu_reason IS NOT NULL
    UNION ALL SELECT reason FROM siyu_unreadable${withRefused ? ' UNION ALL SELECT reason FROM siyu_refused' : ''}`;
  const rows = await db.query<{ reason: string; n: number; example: string | null }>(
    `SELECT reason, count(*) AS n, any_value(example) AS example FROM (
       SELECT CASE
           WHEN regexp_matches(part, ' appears again at line \\d+, which is kept$') THEN split_part(part, ' ', 1) || ' appears more than once in the file (the last is kept)'
           WHEN regexp_matches(part, '^order .* has a rejected line') THEN 'an order with a rejected line (none of its lines were loaded)'
           WHEN regexp_matches(part, '^order .* is not in the store') THEN 'the order is not in the store (import its order first)'
           ELSE regexp_replace(part, ': "(.*)"$', '') END AS reason,
         regexp_extract(part, ': "(.*)"$', 1) AS example
       FROM (${parts}))
     GROUP BY reason ORDER BY n DESC, reason LIMIT ${top}`,
  );
  return rows.map((r) => ({ reason: r.reason, count: Number(r.n), example: r.example || null }));
}

/** The error that stops an import with more rejects than `--max-rejects` allows; the CLI exits with code 2. */
export function tooManyRejects(input: {
  file: string;
  rejected: number;
  records: number;
  limit: number;
  reasons: readonly RejectReason[];
  rejectsFile: string;
  written: number;
  /** The count is of the records read so far: the import stopped partway through the file. */
  partial?: boolean;
}): SiyuError {
  const n = (v: number) => v.toLocaleString('en-US');
  const of = `${input.partial ? 'the first ' : ''}${n(input.records)}`;
  return new SiyuError(
    'validation',
    'too_many_rejects',
    `stopped: ${n(input.rejected)} of ${of} records in ${input.file} are bad, over the limit of ${n(input.limit)} (--max-rejects); nothing was imported. The most frequent reasons:`,
    {
      details: [
        ...input.reasons.map((r) => ({ message: `${n(r.count).padStart(12)}  ${r.reason}${r.example !== null ? ` (e.g. "${r.example}")` : ''}` })),
        { message: `the first ${n(input.written)} rejected records, with line and reason, are in ${input.rejectsFile}` },
      ],
    },
  );
}
