import { writeFileSync } from 'node:fs';

/** A record that was not imported: where it was, why, and the record itself as read. */
export interface RejectedRecord {
  line: number;
  reason: string;
  record: string;
}

const cell = (value: string | number): string => {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** Writes rejects as CSV (line, reason, record), sorted by line, so they can be fixed and imported again. */
export function writeRejects(path: string, rejects: readonly RejectedRecord[]): void {
  const sorted = [...rejects].sort((a, b) => a.line - b.line);
  const body = sorted.map((r) => `${r.line},${cell(r.reason)},${cell(r.record)}`).join('\n');
  writeFileSync(path, `line,reason,record\n${body}\n`);
}
