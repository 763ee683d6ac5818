import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SiyuError } from '../core/errors.ts';
import { assertReplaceableFile } from '../core/files.ts';
import { dialect, jsonRowsParam, type Store, keyRingFor } from '../store/index.ts';
import { csvCell } from './bundle.ts';
import { recordConsents, type ConsentDecision } from './consent.ts';
import { listPurposes, CONSENT_STATUSES, type ConsentStatus } from './purposes.ts';

/** A consent row that could not be recorded, with its line in the file. */
export interface ConsentReject {
  line: number;
  path: string;
  reason: string;
}

export interface ConsentImportReport {
  rows: number;
  recorded: number;
  unchanged: number;
  rejected: ConsentReject[];
  rejectsFile: string | null;
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. Returns rows with their first line number. */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.some((c) => c !== '')) rows.push({ line: start, cells });
      cells = [];
      cell = '';
      start = ++line;
    } else cell += ch;
  }
  cells.push(cell);
  if (cells.some((c) => c !== '')) rows.push({ line: start, cells });
  return rows;
}

const REQUIRED = ['customer_id', 'purpose', 'status'] as const;

/**
 * `siyu import consents FILE`: a CSV with columns customer_id, purpose, status (granted | withdrawn | denied) and
 * optionally effective_at, text_version, evidence, recorded_by. Valid rows are recorded in one transaction; each bad
 * row is kept in the rejects file (`<file>.rejects.csv` unless given) with its line and reason. Customer ids are
 * followed through merges; an unknown customer is a reject.
 */
export async function importConsents(store: Store, file: string, options: { rejectsPath?: string; now?: Date } = {}): Promise<ConsentImportReport> {
  if (!existsSync(file)) throw new SiyuError('not_found', 'file_not_found', `${file} does not exist`);
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  const names = (header?.cells ?? []).map((c) => c.trim().toLowerCase());
  const missing = REQUIRED.filter((c) => !names.includes(c));
  if (missing.length > 0) throw new SiyuError('validation', 'missing_columns', `${file}: the header needs ${missing.join(', ')}`, { details: missing.map((c) => ({ file, line: 1, message: `missing column ${c}` })) });
  const col = (cells: string[], name: string) => {
    const i = names.indexOf(name);
    const v = i < 0 ? '' : (cells[i] ?? '').trim();
    return v === '' ? undefined : v;
  };
  const purposes = new Set((await listPurposes(store)).map((p) => p.purpose));
  const ids = [...new Set(rows.map((r) => col(r.cells, 'customer_id')).filter((v): v is string => v !== undefined))];
  const canonical = new Map(
    (await store.query<{ customer_id: string; id: string }>(`SELECT c.customer_id, coalesce(c.merged_into, c.customer_id) AS id FROM customers c JOIN ${dialect(store.kind).jsonRows('$1', ['id'])} k ON c.customer_id = k.id`, [jsonRowsParam(ids.map((id) => [id]))])).map((r) => [r.customer_id, r.id]),
  );
  const rejected: ConsentReject[] = [];
  const decisions: ConsentDecision[] = [];
  const source = `import:${basename(file)}`;
  for (const { line, cells } of rows) {
    const reject = (path: string, reason: string) => rejected.push({ line, path, reason });
    const customerId = col(cells, 'customer_id');
    const purpose = col(cells, 'purpose');
    const status = col(cells, 'status')?.toLowerCase();
    const effective = col(cells, 'effective_at');
    const effectiveAt = effective === undefined ? undefined : new Date(effective);
    if (!customerId) reject('customer_id', 'required');
    else if (!canonical.has(customerId)) reject('customer_id', `no customer ${JSON.stringify(customerId)}`);
    else if (!purpose || !purposes.has(purpose)) reject('purpose', `unknown purpose ${JSON.stringify(purpose ?? '')}`);
    else if (!status || !(CONSENT_STATUSES as readonly string[]).includes(status)) reject('status', `must be granted, withdrawn or denied, not ${JSON.stringify(status ?? '')}`);
    else if (effectiveAt && Number.isNaN(effectiveAt.getTime())) reject('effective_at', `not a timestamp: ${JSON.stringify(effective)}`);
    else decisions.push({ customerId: canonical.get(customerId)!, purpose, status: status as ConsentStatus, source, effectiveAt, textVersion: col(cells, 'text_version') ?? null, evidence: col(cells, 'evidence') ?? null, recordedBy: col(cells, 'recorded_by') ?? null });
  }
  const ring = decisions.some((d) => d.evidence) ? await keyRingFor(store) : undefined;
  const report = await store.transaction((tx) => recordConsents(tx, decisions, ring, options.now));
  let rejectsFile: string | null = null;
  if (rejected.length > 0) {
    rejectsFile = options.rejectsPath ?? `${file}.rejects.csv`;
    assertReplaceableFile(rejectsFile, '--rejects');
    writeFileSync(rejectsFile, `line,field,reason\n${rejected.map((r) => [r.line, r.path, r.reason].map(csvCell).join(',')).join('\n')}\n`);
  }
  return { rows: rows.length, recorded: report.recorded, unchanged: report.unchanged, rejected, rejectsFile };
}
