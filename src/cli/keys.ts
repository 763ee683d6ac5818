import type { Command } from 'commander';
import { createWriteKey, listWriteKeys, revokeWriteKey } from '../ingest/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('write keys for the Segment-compatible HTTP API');

  withDb(keys.command('create').argument('<name>', 'what the key is for, e.g. mini-program or pos').description('create a write key and print it (shown once; stored hashed)'))
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const created = await createWriteKey(store, name);
          emit(opts.json, created, () => `${created.key}\n\nwrite key "${created.name}" (id ${created.keyId}); it is shown only now. Send it as HTTP Basic auth user name, e.g.\n  new Analytics({ writeKey: '${created.key}', host: 'http://localhost:3000' })`);
        }),
      ),
    );

  withDb(keys.command('list').description('list write keys (ids and names, never the keys)'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listWriteKeys(store);
          emit(opts.json, list, () =>
            list.length === 0
              ? 'no write keys yet; create one with: siyu keys create NAME'
              : ['ID        NAME                 CREATED                   STATUS', ...list.map((k) => `${k.keyId}  ${k.name.padEnd(20)} ${k.createdAt.toISOString()}  ${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}`)].join('\n'),
          );
        }),
      ),
    );

  withDb(keys.command('revoke').argument('<key-id>', 'the id shown by `siyu keys list`').description('revoke a write key (stops working within 30 s on running servers)')).action(
    action(async (keyId: string, opts: { db?: string }) =>
      withOpenStore(opts.db, async (store) => {
        await revokeWriteKey(store, keyId);
        process.stdout.write(`revoked ${keyId}\n`);
      }),
    ),
  );
}
