import { io, resolvePath } from './io.ts';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { FileFormats, importFile, ImportKinds, type FileFormat, type ImportKind, type ImportPhase, type ImportReport } from '../import/index.ts';
import { importConsentsCommand } from './consent.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';

interface ImportFlags {
  db?: string;
  mapping?: string;
  format?: string;
  rejects?: string;
  maxRejects?: string;
  json?: boolean;
  progress: boolean;
}

/** A progress bar on stderr (rows and rows/s) while loading; phase lines before that. Silent when not a terminal. */
function progressReporter(enabled: boolean) {
  if (!enabled) return { onProgress: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: '  loading [{bar}] {percentage}% | {value}/{total} rows | {speed} rows/s | {duration_formatted}', hideCursor: true, stream: io().stderr as NodeJS.WritableStream });
  let phase: ImportPhase | undefined;
  let started = 0;
  return {
    onProgress(next: ImportPhase, done: number, total: number) {
      if (next !== phase) {
        if (phase === 'loading') bar.stop();
        phase = next;
        if (next === 'loading') {
          started = Date.now();
          bar.start(Math.max(total, done), 0, { speed: '0' });
        } else io().stderr.write(next === 'reading' ? '  reading file…\n' : `  checking ${total.toLocaleString('en-US')} records…\n`);
      }
      if (next === 'loading') {
        const seconds = (Date.now() - started) / 1000;
        if (total > 0) bar.setTotal(total);
        bar.update(done, { speed: seconds > 0 ? Math.round(done / seconds).toLocaleString('en-US') : '…' });
      }
    },
    stop: () => phase === 'loading' && bar.stop(),
  };
}

function summary(r: ImportReport): string {
  const rate = r.seconds > 0 ? Math.round(r.rows / r.seconds).toLocaleString('en-US') : '-';
  return [
    `imported ${r.kind} from ${r.file} (${r.format})`,
    `  records   ${r.rows.toLocaleString('en-US')} read, ${r.accepted.toLocaleString('en-US')} imported${r.duplicates ? `, ${r.duplicates} duplicates skipped` : ''}${r.held ? `, ${r.held} held (they name an erased person; siyu privacy quarantine)` : ''}, ${r.rejected.toLocaleString('en-US')} rejected`,
    ...(r.customersCreated || r.merges ? [`  profiles  ${r.customersCreated} created, ${r.merges} merged`] : []),
    `  time      ${r.seconds.toFixed(2)} s (${rate} records/s)`,
    ...(r.rejectsFile ? [`  rejects   ${r.rejectsFile} (line, reason, record)`] : []),
  ].join('\n');
}

export function registerImport(program: Command): void {
  withDb(
    program
      .command('import')
      .argument('<kind>', `${ImportKinds.join('|')}|consents`)
      .argument('<file>', 'CSV, JSONL or Parquet (events: Segment-spec JSONL)')
      .description('bulk-import a file; bad records go to a rejects file with line and reason (docs/import.md)'),
  )
    .option('--mapping <file.json>', 'map another export\'s columns, date formats and units (see mappings/)')
    .option('--format <format>', `${FileFormats.join('|')} (default: from the file extension)`)
    .option('--rejects <file>', 'where to write rejected records (default: <file name>.rejects.csv here)')
    .option(
      '--max-rejects <n>',
      'stop, importing nothing, when more than n records are rejected; the message shows the most frequent reasons (default: 1% of the records or 10,000, whichever is more; exit code 2)',
    )
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar')
    .action(
      action(async (kind: string, file: string, opts: ImportFlags) => {
        if (kind === 'consents') return importConsentsCommand(file, opts); // the consent ledger (docs/privacy.md)
        if (!(ImportKinds as readonly string[]).includes(kind)) throw new SiyuError('validation', 'invalid_kind', `unknown import kind "${kind}"; use one of ${ImportKinds.join(', ')}`);
        if (opts.format && !(FileFormats as readonly string[]).includes(opts.format)) throw new SiyuError('validation', 'invalid_format', `--format must be one of ${FileFormats.join(', ')}`);
        await withOpenStore(opts.db, async (store) => {
          const progress = progressReporter(opts.progress && !opts.json && Boolean(io().stderr.isTTY));
          try {
            const report = await importFile(store, kind as ImportKind, resolvePath(file), {
              mapping: opts.mapping && resolvePath(opts.mapping),
              format: opts.format as FileFormat | undefined,
              rejectsPath: opts.rejects && resolvePath(opts.rejects),
              maxRejects: opts.maxRejects === undefined ? undefined : parseCount(opts.maxRejects, '--max-rejects', 0),
              onProgress: progress.onProgress,
            });
            progress.stop();
            emit(opts.json, report, () => summary(report));
          } finally {
            progress.stop();
          }
        });
      }),
    );
}
