import { io, resolvePath } from './io.ts';
import type { Command } from 'commander';
import { configureMasterKey, listDataKeys, rotateDataKey } from '../privacy/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';

/**
 * Adds the data-key commands to `siyu keys` (registered after it): `keys data-keys` and `keys rotate-data-key`. The
 * master key comes from SIYU_MASTER_KEY, --key-file, or the key file beside an embedded store (docs/privacy.md#encryption-at-rest).
 */
export function registerSecrets(program: Command): void {
  const keys = program.commands.find((c) => c.name() === 'keys') ?? program.command('keys');

  withDb(keys.command('data-keys').description('the data keys that encrypt personal data, and the blind-index key (ids and dates, never key material)'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listDataKeys(store);
          emit(opts.json, list, () => (list.length === 0 ? 'no keys yet: they are made when personal data is first encrypted' : list.map((k) => `${k.keyId.padEnd(10)} ${k.kind.padEnd(6)} ${k.isActive ? 'active ' : '       '} created ${k.createdAt.toISOString()}${k.retiredAt ? `, retired ${k.retiredAt.toISOString()}` : ''}`).join('\n')));
        }),
      ),
    );

  withDb(keys.command('rotate-data-key').description('make a new data key and re-encrypt every encrypted value under it, in batches, while servers keep running; resumes an interrupted rotation'))
    .option('--key-file <path>', 'the master key file (default: SIYU_MASTER_KEY, or <store>.key beside an embedded store)')
    .option('--batch-size <n>', 'rows per transaction', '1000')
    .option('--grace-seconds <n>', 'wait this long before the final sweep, so running servers switch keys first', '10')
    .option('--encrypt-plaintext', 'also encrypt personal data inside JSON columns that was written in clear (a full scan)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; keyFile?: string; batchSize: string; graceSeconds: string; encryptPlaintext?: boolean; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          if (opts.keyFile) configureMasterKey(store, { keyFile: resolvePath(opts.keyFile) });
          const report = await rotateDataKey(store, {
            batchSize: parseCount(opts.batchSize, '--batch-size'),
            graceMs: parseCount(opts.graceSeconds, '--grace-seconds', 0) * 1000,
            encryptPlaintext: opts.encryptPlaintext,
            onProgress: (p) => {
              if (!opts.json) io().stderr.write(`  ${p.table}.${p.column}: ${p.rowsChanged} rows\r`);
            },
          });
          emit(opts.json, report, () =>
            [`data key ${report.toKeyId} is active${report.resumed ? ' (resumed an interrupted rotation)' : ''}; ${report.rowsChanged} rows re-encrypted`, ...report.columns.map((c) => `  ${`${c.table}.${c.column}`.padEnd(32)} ${c.rowsChanged}`), `retired: ${report.retiredKeys.join(', ') || '(none)'} (kept, so backups made before stay readable)`].join('\n'),
          );
        }),
      ),
    );
}
