import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { SiyuError } from '../core/errors.ts';
import { assertReplaceableFile } from '../core/files.ts';
import { zodDetails } from '../core/validation.ts';
import { activeTombstones, keyRingFor, type KeyRing } from '../privacy/index.ts';
import { DuckDBStore, readBrandSettings, type Queryable, type Store } from '../store/index.ts';
import { checkRows, type CheckedImport } from './check.ts';
import { importEvents } from './events.ts';
import { copyImportTable, loadImport, type LoadResult } from './load.ts';
import { defaultMaxRejects, exportRejects, RejectsWriter, tooManyRejects, topRejectReasons } from './rejects.ts';
import { Mapping, type FileFormat, type ImportKind } from './schemas.ts';
import { literal } from './sql.ts';
import { detectFormat, dropStaging, stageFile } from './stage.ts';

export { ImportKinds, FileFormats, Mapping, type ImportKind, type FileFormat } from './schemas.ts';
export { CANONICAL } from './columns.ts';
export { defaultMaxRejects, type RejectedRecord, type RejectReason } from './rejects.ts';

export type ImportPhase = 'reading' | 'checking' | 'loading';

export interface ImportOptions {
  /** A mapping file path, or a parsed mapping. */
  mapping?: string | Mapping;
  format?: FileFormat;
  /** Where to write rejected records (default `<file name>.rejects.csv` in the working directory). */
  rejectsPath?: string;
  /**
   * Stop, loading nothing, when more records than this are rejected (default: 1% of the file's records or 10,000,
   * whichever is more). Then the rejects file holds the first `maxRejects` rejects.
   */
  maxRejects?: number;
  /** Called as work proceeds; `total` is the number of rows to load once known. */
  onProgress?: (phase: ImportPhase, done: number, total: number) => void;
  /**
   * false loads personal data unsealed: only for bench/pii-import.ts, which times the import with sealing against
   * the same import without it. Nothing else may turn it off (the CLI and HTTP have no such option).
   */
  seal?: boolean;
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
  /** events only: messages naming a person erased at their request, held in privacy_quarantine. */
  held: number;
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
 * Re-importing the same file changes nothing: rows are upserted on their natural keys. A file with more rejects
 * than `maxRejects` stops before anything is loaded (a SiyuError `too_many_rejects` naming the most frequent
 * reasons), with the first `maxRejects` rejects written.
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
  const report: ImportReport = { kind, file, format: 'jsonl', rows: 0, accepted: 0, duplicates: 0, held: 0, rejected: 0, rejectsFile: null, customersCreated: 0, merges: 0, seconds: 0 };
  if (resolve(rejectsPath) === resolve(file)) throw new SiyuError('validation', 'rejects_path', `the rejects file would overwrite the file being imported (${file}); choose another with --rejects`);
  assertReplaceableFile(rejectsPath, '--rejects');
  // A rejects file left by an earlier import of the same name would be mistaken for this one's.
  rmSync(rejectsPath, { force: true });

  if (kind === 'events') {
    let done = 0;
    const writer = new RejectsWriter(rejectsPath);
    try {
      const result = await importEvents(store, file, source, writer, { maxRejects: options.maxRejects, onRows: (n) => progress('loading', (done += n), 0) });
      Object.assign(report, { rows: result.rows, accepted: result.accepted, duplicates: result.duplicates, held: result.held, rejected: result.rejected });
    } finally {
      report.rejectsFile = writer.close();
    }
  } else {
    report.format = detectFormat(file, options.format ?? mapping.format);
    const settings = await readBrandSettings(store);
    const ctx = { timezone: mapping.timezone ?? settings.timezone, currency: settings.currency };
    const staging = { kind, file, mapping, ctx, source, started, rejectsPath, maxRejects: options.maxRejects, progress, ring: options.seal === false ? null : await keyRingFor(store), tombstones: await activeTombstones(store) };
    if (store instanceof DuckDBStore) {
      await store.exclusive(async (session) => {
        const restore = await capMemory(session, importMemoryLimit());
        try {
          await importStaged(session, (fn) => session.transaction(fn), null, report, staging);
        } finally {
          await dropImportRelations(session);
          await dropStaging(session);
          await restore();
        }
      });
    } else {
      // Staging runs in a DuckDB of its own, spilling to a temporary directory beyond its memory limit; the checked
      // rows reach PostgreSQL through COPY, by way of CSV files in that directory.
      const dir = mkdtempSync(join(tmpdir(), 'siyu-import-'));
      const scratch = await DuckDBStore.open(':memory:');
      try {
        await scratch.execute(`SET temp_directory = ${literal(dir)}`);
        await scratch.execute(`SET memory_limit = ${literal(importMemoryLimit())}`);
        await importStaged(scratch, (fn) => store.transaction(fn), dir, report, staging);
      } finally {
        await scratch.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

/**
 * DuckDB's memory limit while it stages an import (SIYU_IMPORT_MEMORY_LIMIT, default 1GB): what the staged file
 * needs beyond it spills to disk, so a 10M-row file stays within about 2 GB of resident memory. Without it, DuckDB
 * takes up to 80% of the machine's memory (7 GB for 10M rows on a 24 GB machine).
 */
const importMemoryLimit = (): string => process.env.SIYU_IMPORT_MEMORY_LIMIT ?? '1GB';

/**
 * Lowers the embedded store's memory limit to `limit` for the import, when it is higher, and returns what puts it
 * back. The limit is the whole DuckDB instance's, so a server's other work shares it for that time.
 */
async function capMemory(db: Queryable, limit: string): Promise<() => Promise<void>> {
  const setting = async () => ((await db.query<{ m: string }>(`SELECT current_setting('memory_limit') AS m`))[0] as { m: string }).m;
  const previous = await setting();
  await db.execute(`SET memory_limit = ${literal(limit)}`);
  if (bytes(await setting()) < bytes(previous)) return async () => void (await db.execute(`SET memory_limit = ${literal(previous)}`));
  await db.execute(`SET memory_limit = ${literal(previous)}`);
  return async () => undefined;
}

/** A size as DuckDB shows one (`953.6 MiB`, `18.7 GiB`, `1GB`) in bytes. */
function bytes(size: string): number {
  const match = /^([\d.]+)\s*([KMGT]?)(i?)B?/i.exec(size.trim());
  if (!match) return Number.POSITIVE_INFINITY;
  const power = ' KMGT'.indexOf((match[2] || ' ').toUpperCase());
  return Number(match[1]) * (match[3] ? 1024 : 1000) ** power;
}

interface StagingInput {
  kind: Exclude<ImportKind, 'events'>;
  file: string;
  mapping: Mapping;
  ctx: { timezone: string; currency: string };
  source: string;
  started: number;
  rejectsPath: string;
  maxRejects: number | undefined;
  progress: (phase: ImportPhase, done: number, total: number) => void;
  /** Seals the personal data in the checked rows (import/seal.ts); null only for the benchmark's floor. */
  ring: KeyRing | null;
  /** The blind keys of erased people (privacy_tombstones), whose rows are rejected. */
  tombstones: readonly string[];
}

type Target = (fn: (tx: Queryable) => Promise<void>) => Promise<void>;

/** Carries the refused rows out of a load that is rolled back because they were too many. */
class RefusedOverLimit extends Error {
  constructor(readonly refused: LoadResult['refused'], readonly count: number) {
    super('too many refused rows');
  }
}

/**
 * Reads and checks the file in `staging` (a DuckDB), then loads the good rows in one transaction of `target`,
 * copying the staged tables there first when `copyDir` is given (PostgreSQL). Rejects go from DuckDB straight to the
 * rejects file.
 */
async function importStaged(staging: Queryable, target: Target, copyDir: string | null, report: ImportReport, input: StagingInput): Promise<void> {
  const { kind, file, mapping, progress } = input;
  progress('reading', 0, 0);
  const staged = await stageFile(staging, file, report.format, mapping);
  const records = staged.rows + staged.unreadable;
  progress('checking', 0, staged.rows);
  const checked = await checkRows(staging, kind, mapping, { ...input.ctx, available: new Set(staged.columns) }, staged.lineSql, input.ring, input.tombstones);
  const [{ n }] = (await staging.query<{ n: number }>('SELECT count(*) AS n FROM siyu_checked WHERE siyu_reason IS NOT NULL')) as [{ n: number }];
  const bad = staged.unreadable + Number(n);
  const limit = input.maxRejects ?? defaultMaxRejects(records);
  await staging.execute('CREATE TEMP TABLE siyu_refused (siyu_row BIGINT, reason VARCHAR)');
  const stop = async (rejected: number, withRefused: boolean) => {
    await exportRejects(staging, staged, input.rejectsPath, { limit, withRefused });
    const reasons = await topRejectReasons(staging, withRefused);
    return tooManyRejects({ file, rejected, records, limit, reasons, rejectsFile: input.rejectsPath, written: Math.min(limit, rejected) });
  };
  if (bad > limit) throw await stop(bad, false);

  const toLoad = await countRows(staging, checked);
  let done = 0;
  const onRows = (rows: number) => progress('loading', (done += rows), toLoad);
  let refused: LoadResult['refused'] = [];
  try {
    await target(async (tx) => {
      if (copyDir !== null) for (const table of checked.tables) await copyImportTable(staging, tx, table, copyDir);
      const loaded = await loadImport(tx, kind, checked, input.source, new Date(), onRows, limit - bad);
      if (loaded.refusedCount > limit - bad) throw new RefusedOverLimit(loaded.refused, loaded.refusedCount);
      refused = loaded.refused;
      report.rows = records;
      report.rejected = bad + loaded.refusedCount;
      report.accepted = records - report.rejected;
      report.customersCreated = loaded.customersCreated;
      report.merges = loaded.merges;
      await tx.insertRows('import_runs', ['run_id', 'kind', 'file', 'accepted', 'rejected', 'started_at', 'finished_at'], [
        [randomUUID(), kind, resolve(file), report.accepted, report.rejected, new Date(input.started), new Date()],
      ]);
    });
  } catch (error) {
    if (!(error instanceof RefusedOverLimit)) throw error;
    await staging.insertRows('siyu_refused', ['siyu_row', 'reason'], error.refused.map((r) => [r.row, r.reason]));
    throw await stop(bad + error.count, true);
  }
  if (report.rejected > 0) {
    await staging.insertRows('siyu_refused', ['siyu_row', 'reason'], refused.map((r) => [r.row, r.reason]));
    await exportRejects(staging, staged, input.rejectsPath, { withRefused: true });
    report.rejectsFile = input.rejectsPath;
  }
  await dropStaging(staging);
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
