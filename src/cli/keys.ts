import type { Command } from 'commander';
import { formatDataScope, parseDataScope, parseExpiry, PERMISSION_CODES, type ApiKey } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { createWriteKey, listWriteKeys, revokeWriteKey, updateWriteKeyOrigins, type WriteKey } from '../ingest/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';
import { io } from './io.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const ORIGINS_HELP = `
Browser pages send events from their own origin (scheme://host[:port]), and Siyu serves such a request only when
its write key allows that origin: the page gets 403 otherwise. Server SDKs send no Origin header and need no
origins. Use * to allow every origin. Running servers see a change within 30 s.`;

function status(key: ApiKey, now = Date.now()): string {
  if (key.revokedAt) return `revoked ${key.revokedAt.toISOString().slice(0, 16)}`;
  if (key.expiresAt && key.expiresAt.getTime() <= now) return `expired ${key.expiresAt.toISOString().slice(0, 10)}`;
  return key.expiresAt ? `active until ${key.expiresAt.toISOString().slice(0, 10)}` : 'active';
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('API keys: write keys for Segment-compatible ingest (scope ingest:write, with the browser origins each allows) and keys for other machines, with scopes');

  withDb(keys.command('create').argument('<name>', 'what the key is for, e.g. mini-program, web or pos').description('create an API key and print it (shown once; stored as SHA-256); audited'))
    .option('--scope <permission>', `a scope, repeatable (default ingest:write): ${PERMISSION_CODES.join(', ')}`, collect)
    .option('--expires-in <duration>', 'stop working after 90d, 12w, 36h … (default: never)')
    .option('--data-scope <scope>', 'which customers the key may see: all (default), stores:ID,…, channels:NAME,…, regions:CITY,…')
    .option('--origin <origin>', 'a browser origin allowed to send events with this key, e.g. https://shop.example (repeatable; * for any)', collect)
    .option('--json', 'print JSON')
    .addHelpText('after', `${ORIGINS_HELP}\n\nExamples:\n  siyu keys create web --origin https://shop.example --origin http://localhost:5173\n  siyu keys create bi --scope customers:read --scope analytics:read --expires-in 90d`)
    .action(
      action(async (name: string, opts: { db?: string; scope?: string[]; expiresIn?: string; dataScope?: string; origin?: string[]; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const created = await createWriteKey(store, name, {
            scopes: (opts.scope ?? ['ingest:write']) as ApiKey['scopes'],
            expiresInDays: opts.expiresIn ? parseExpiry(opts.expiresIn) : undefined,
            dataScope: opts.dataScope ? parseDataScope(opts.dataScope) : undefined,
            allowedOrigins: opts.origin,
          });
          const usage = created.scopes.includes('ingest:write')
            ? `Send it as HTTP Basic auth user name, e.g.\n  new Analytics({ writeKey: '${created.key}', host: 'http://localhost:3000' })`
            : `Send it as: Authorization: Bearer ${created.key}`;
          const origins = created.allowedOrigins.length > 0 ? `\nbrowser pages at ${created.allowedOrigins.join(', ')} may send with it.` : '';
          emit(opts.json, created, () => `${created.key}\n\nAPI key "${created.name}" (id ${created.keyId}, scopes ${created.scopes.join(' ')}, ${status(created)}); it is shown only now. ${usage}${origins}`);
        }),
      ),
    );

  withDb(keys.command('list').description('list API keys: ids, names, scopes, expiry, last use and browser origins (never the keys)'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listWriteKeys(store, { all: true });
          emit(opts.json, list, () => (list.length === 0 ? 'no API keys yet; create one with: siyu keys create NAME [--scope …]' : formatKeys(list)));
        }),
      ),
    );

  withDb(keys.command('update').argument('<key-id>', 'the id shown by `siyu keys list`').description('change which browser origins a write key allows'))
    .option('--origin <origin>', 'set the allowed origins to these (repeatable; replaces the list)', collect)
    .option('--add-origin <origin>', 'allow one more origin (repeatable)', collect)
    .option('--remove-origin <origin>', 'stop allowing an origin (repeatable)', collect)
    .option('--clear-origins', 'allow no browser origin at all')
    .option('--json', 'print JSON')
    .addHelpText('after', `${ORIGINS_HELP}\n\nExamples:\n  siyu keys update AbC123xy --add-origin https://m.shop.example\n  siyu keys update AbC123xy --origin '*'`)
    .action(
      action(async (keyId: string, opts: { db?: string; json?: boolean; origin?: string[]; addOrigin?: string[]; removeOrigin?: string[]; clearOrigins?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          if (opts.clearOrigins && opts.origin) throw new SiyuError('validation', 'invalid_flag', 'give --origin or --clear-origins, not both');
          const set = opts.clearOrigins ? [] : opts.origin;
          if (!set && !opts.addOrigin && !opts.removeOrigin) {
            throw new SiyuError('validation', 'invalid_flag', 'nothing to change: give --origin, --add-origin, --remove-origin or --clear-origins (see: siyu keys update --help)');
          }
          const allowedOrigins = await updateWriteKeyOrigins(store, keyId, { set, add: opts.addOrigin, remove: opts.removeOrigin });
          emit(opts.json, { keyId, allowedOrigins }, () => `write key ${keyId} allows ${allowedOrigins.length > 0 ? `browser pages at ${allowedOrigins.join(', ')}` : 'no browser origin'}`);
        }),
      ),
    );

  withDb(keys.command('revoke').argument('<key-id>', 'the id shown by `siyu keys list`').description('revoke an API key (refused at once by the API; by ingest within 30 s); audited')).action(
    action(async (keyId: string, opts: { db?: string }) =>
      withOpenStore(opts.db, async (store) => {
        await revokeWriteKey(store, keyId);
        io().stdout.write(`revoked ${keyId}\n`);
      }),
    ),
  );
}

function formatKeys(list: readonly WriteKey[]): string {
  const rows = list.map((k) => [k.keyId, k.name, k.scopes.join(' '), formatDataScope(k.dataScope), k.lastUsedAt?.toISOString().slice(0, 16) ?? 'never', status(k), k.allowedOrigins.join(' ') || '-']);
  const header = ['ID', 'NAME', 'SCOPES', 'DATA SCOPE', 'LAST USED', 'STATUS', 'BROWSER ORIGINS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  ')).join('\n');
}
