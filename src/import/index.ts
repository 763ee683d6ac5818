import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { SiyuError } from '../core/errors.ts';
import { zodDetails } from '../core/validation.ts';
import { DuckDBStore, readBrandSettings, type Queryable, type Store } from '../store/index.ts';
import { checkRows, type CheckedImport } from './check.ts';
import { importEvents } from './events.ts';
import { copyImportTable, loadImport } from './load.ts';
import { writeRejects, type RejectedRecord } from './rejects.ts';
import { Mapping, type FileFormat, type ImportKind } from './schemas.ts';
import { detectFormat, dropStaging, stageFile, type StagedFile } from './stage.ts';

export { ImportKinds, FileFormats, Mapping, type ImportKind, type FileFormat } from './schemas.ts';
export { CANONICAL } from './columns.ts';
export type { RejectedRecord } from './rejects.ts';

export type ImportPhase = 'reading' | 'checking' | 'loading';

export interface ImportOptions {
  /** A mapping file path, or a parsed mapping. */
  mapping?: string | Mapping;
  format?: FileFormat;
  /** Where to write rejected records (default `<file name>.rejects.csv` in the working directory). */
  rejectsPath?: string;
  /** Called as work proceeds; `total` is the number of rows to load once known. */
  onProgress?: (phase: ImportPhase, done: number, total: number) => void;
}

export interface ImportReport {
  kind: ImportKind;
  file: string;
  format: FileFormat;
  /** Records read from the file. */
  rows: number;
  accepted: number;
  /** events only: messages whose messageId was already stored. */
  duplicates: number;
  rejected: number;
  rejectsFile: string | null;
  customersCreated: number;
  merges: number;
  seconds: number;
}

/** Reads and validates a mapping file; errors name the file and the path inside it. */
export function loadMapping(path: string): Mapping {
  if (!existsSync(path)) throw new SiyuError('not_found', 'mapping_not_found', `mapping file ${path} does not exist`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SiyuError('validation', 'invalid_mapping', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = Mapping.safeParse(json);
  if (!parsed.success) {
    const details = zodDetails(parsed.error).map((d) => ({ ...d, file: path }));
    throw new SiyuError('validation', 'invalid_mapping', `invalid mapping ${path}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
  }
  return parsed.data;
}

/**
 * Imports one file of `kind` into the store. Every record is either loaded or written to the rejects file with
 * its line and reason; the load itself is one transaction, so a failure leaves the store as it was.
 * Re-importing the same file changes nothing: rows are upserted on their natural keys.
 */
export async function importFile(store: Store, kind: ImportKind, file: string, options: ImportOptions = {}): Promise<ImportReport> {
  const started = Date.now();
  if (!existsSync(file)) throw new SiyuError('not_found', 'file_not_found', `${file} does not exist`);
  const mapping = typeof options.mapping === 'string' ? loadMapping(options.mapping) : (options.mapping ?? Mapping.parse({}));
  if (mapping.kind && mapping.kind !== kind) {
    throw new SiyuError('validation', 'mapping_kind', `this mapping is for \`siyu import ${mapping.kind}\`, not \`siyu import ${kind}\``);
  }
  const progress = options.onProgress ?? (() => undefined);
  const rejectsPath = options.rejectsPath ?? resolve(`${basename(file)}.rejects.csv`);
  const source = `import:${basename(file)}`;
  const report: ImportReport = { kind, file, format: 'jsonl', rows: 0, accepted: 0, duplicates: 0, rejected: 0, rejectsFile: null, customersCreated: 0, merges: 0, seconds: 0 };
  let rejects: RejectedRecord[] = [];

  if (kind === 'events') {
    let done = 0;
    const result = await importEvents(store, file, source, (n) => progress('loading', (done += n), 0));
    Object.assign(report, { rows: result.rows, accepted: result.accepted, duplicates: result.duplicates });
    rejects = result.rejected;
  } else {
    report.format = detectFormat(file, options.format ?? mapping.format);
    const settings = await readBrandSettings(store);
    const ctx = { timezone: mapping.timezone ?? settings.timezone, currency: settings.currency };
    // Staging (read, type, check) runs in DuckDB outside the load transaction; the load is one transaction on the store.
    const run = async (staging: Queryable, target: (fn: (tx: Queryable) => Promise<void>) => Promise<void>, copyTables: boolean) => {
      progress('reading', 0, 0);
      const staged = await stageFile(staging, file, report.format, mapping);
      progress('checking', 0, staged.rows);
      const checked = await checkRows(staging, kind, mapping, { ...ctx, available: new Set(staged.columns) });
      const found = await collectRejects(staging, staged);
      const toLoad = await countRows(staging, checked);
      let done = 0;
      const onRows = (n: number) => progress('loading', (done += n), toLoad);
      await target(async (tx) => {
        if (copyTables) for (const table of checked.tables) await copyImportTable(staging, tx, table);
        const loaded = await loadImport(tx, kind, checked, source, new Date(), onRows);
        const refused = await rawRecords(staging, staged, loaded.refused);
        found.push(...refused);
        report.rows = staged.rows + staged.unreadable.length;
        report.accepted = report.rows - found.length;
        report.customersCreated = loaded.customersCreated;
        report.merges = loaded.merges;
        await tx.insertRows('import_runs', ['run_id', 'kind', 'file', 'accepted', 'rejected', 'started_at', 'finished_at'], [
          [randomUUID(), kind, resolve(file), report.accepted, found.length, new Date(started), new Date()],
        ]);
      });
      await dropStaging(staging);
      rejects = found;
    };
    if (store instanceof DuckDBStore) {
      await store.exclusive(async (session) => {
        try {
          await run(session, (fn) => session.transaction(fn), false);
        } finally {
          await dropImportRelations(session);
          await dropStaging(session);
        }
      });
    } else {
      const scratch = await DuckDBStore.open(':memory:');
      try {
        await run(scratch, (fn) => store.transaction(fn), true);
      } finally {
        await scratch.close();
      }
    }
  }
  report.rejected = rejects.length;
  if (rejects.length > 0) {
    writeRejects(rejectsPath, rejects);
    report.rejectsFile = rejectsPath;
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

async function collectRejects(db: Queryable, staged: StagedFile): Promise<RejectedRecord[]> {
  const rows = await db.query<{ siyu_row: number; siyu_reason: string; record: string }>(
    `SELECT c.siyu_row, c.siyu_reason, to_json(s)::VARCHAR AS record FROM siyu_checked c JOIN siyu_src s ON s.siyu_row = c.siyu_row
     WHERE c.siyu_reason IS NOT NULL ORDER BY c.siyu_row`,
  );
  return [
    ...staged.unreadable.map((u) => ({ line: u.line, reason: u.reason, record: u.raw })),
    ...rows.map((r) => ({
      line: staged.lineOf(r.siyu_row),
      reason: r.siyu_reason.replace(/\{row:(\d+)\}/g, (_, row: string) => `line ${staged.lineOf(Number(row))}`),
      record: stripRow(r.record),
    })),
  ];
}

async function rawRecords(db: Queryable, staged: StagedFile, refused: readonly { row: number; reason: string }[]): Promise<RejectedRecord[]> {
  if (refused.length === 0) return [];
  const rows = await db.query<{ siyu_row: number; record: string }>(
    `SELECT siyu_row, to_json(s)::VARCHAR AS record FROM siyu_src s WHERE siyu_row IN (${refused.map((r) => r.row).join(',')})`,
  );
  const byRow = new Map(rows.map((r) => [r.siyu_row, stripRow(r.record)]));
  return refused.map((r) => ({ line: staged.lineOf(r.row), reason: r.reason, record: byRow.get(r.row) ?? '' }));
}

function stripRow(record: string): string {
  const { siyu_row: _, ...rest } = JSON.parse(record) as Record<string, unknown>;
  return JSON.stringify(rest);
}

async function countRows(db: Queryable, checked: CheckedImport): Promise<number> {
  let total = 0;
  for (const table of checked.tables) total += Number(((await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table.name}`))[0] as { n: number }).n);
  return total;
}

/** Drops the staged import views and tables, whichever exist. (On PostgreSQL their copies drop on commit.) */
async function dropImportRelations(db: Queryable): Promise<void> {
  const found = await db.query<{ table_name: string; table_type: string }>(
    `SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN ('siyu_import', 'siyu_import_lines')`,
  );
  for (const { table_name, table_type } of found) await db.execute(`DROP ${table_type === 'VIEW' ? 'VIEW' : 'TABLE'} IF EXISTS ${table_name}`);
}
