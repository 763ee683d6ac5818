import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { SiyuError } from '../core/errors.ts';

/** Bytes in a master key, a data key and the index key: AES-256 and HMAC-SHA256 keys. */
export const KEY_BYTES = 32;

/** Where the master key came from; shown in errors and `siyu keys list-data-keys`, never the key itself. */
export type MasterKeyOrigin = 'env' | 'file' | 'created' | 'ephemeral' | 'given';

export interface MasterKey {
  readonly key: Buffer;
  readonly origin: MasterKeyOrigin;
  /** The key file, for origins `file` and `created`. */
  readonly path?: string;
}

export interface MasterKeyOptions {
  /** An explicit key file (`--key-file`); wins over the file beside an embedded store. */
  keyFile?: string;
  /** The environment to read `SIYU_MASTER_KEY` and `SIYU_MASTER_KEY_FILE` from (default: the process's). */
  env?: Record<string, string | undefined>;
  /** May a missing key file beside an embedded store be created? False once the store holds wrapped keys. */
  mayCreate?: boolean;
  /** Told the loud back-up warning when a key file is created (default: stderr). */
  warn?: (message: string) => void;
}

/**
 * Parses a master key written as 64 hex digits or as base64 of 32 bytes. `where` names the source in the error
 * (`SIYU_MASTER_KEY`, a file path), never the value.
 */
export function parseMasterKey(text: string, where: string): Buffer {
  const value = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) key = Buffer.from(value.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  if (!key || key.length !== KEY_BYTES) {
    const got = key ? `${key.length} bytes` : 'neither hex nor base64';
    throw new SiyuError('validation', 'invalid_master_key', `${where} must hold a 32-byte key as 64 hex digits or 44 base64 characters (got ${got}); make one with: openssl rand -base64 32`, {
      details: [{ path: where, message: 'must be 32 bytes, hex or base64' }],
    });
  }
  return key;
}

/** A short, non-secret fingerprint of a master key, stored beside wrapped keys so a wrong key is named as such. */
export function masterKeyCheck(key: Buffer): string {
  return createHmac('sha256', key).update('siyu master key check v1').digest('hex').slice(0, 16);
}

/** The key file an embedded store keeps beside itself: `siyu.duckdb` → `siyu.duckdb.key`. */
export function keyFileFor(location: string): string | undefined {
  if (/^postgres(ql)?:\/\//.test(location) || location === ':memory:' || location === '') return undefined;
  return `${location}.key`;
}

/**
 * Finds the master key for a store at `location`, in this order: `SIYU_MASTER_KEY`, `--key-file` or
 * `SIYU_MASTER_KEY_FILE`, the key file beside an embedded store (created on first open, mode 0600, with a loud
 * warning to back it up). An in-memory store gets a random key that lives as long as it does. PostgreSQL has no
 * place beside it for a file, so it needs `SIYU_MASTER_KEY` or a key file named explicitly.
 */
export function loadMasterKey(location: string, options: MasterKeyOptions = {}): MasterKey {
  const env = options.env ?? process.env;
  if (env.SIYU_MASTER_KEY) return { key: parseMasterKey(env.SIYU_MASTER_KEY, 'SIYU_MASTER_KEY'), origin: 'env' };
  const explicit = options.keyFile ?? env.SIYU_MASTER_KEY_FILE;
  if (explicit) return { key: readKeyFile(explicit), origin: 'file', path: explicit };
  if (location === ':memory:') return { key: randomBytes(KEY_BYTES), origin: 'ephemeral' };
  const beside = keyFileFor(location);
  if (!beside) {
    throw new SiyuError('unavailable', 'master_key_required', 'a PostgreSQL store needs its master key: set SIYU_MASTER_KEY (32 bytes, hex or base64) or SIYU_MASTER_KEY_FILE (the path of a file holding it; see docs/privacy.md#encryption-at-rest)');
  }
  if (existsSync(beside)) return { key: readKeyFile(beside), origin: 'file', path: beside };
  if (options.mayCreate === false) {
    throw new SiyuError('unavailable', 'master_key_missing', `the master key file ${beside} is missing, but this store holds data encrypted under it; restore the file from your backup (or set SIYU_MASTER_KEY)`);
  }
  const key = randomBytes(KEY_BYTES);
  writeFileSync(beside, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  (options.warn ?? ((m: string) => process.stderr.write(m)))(
    [
      '',
      '!!! Siyu created a new master key: ' + beside,
      '!!! Personal data in this store is encrypted under it. BACK IT UP NOW, apart from the database:',
      '!!! without this file the encrypted names, phones and emails cannot be read, by anyone.',
      '',
    ].join('\n'),
  );
  return { key, origin: 'created', path: beside };
}

function readKeyFile(path: string): Buffer {
  if (!existsSync(path)) throw new SiyuError('not_found', 'key_file_not_found', `master key file ${path} does not exist`);
  const mode = statSync(path).mode & 0o777;
  // A key readable by others is worth fixing, not refusing: narrow it and go on.
  if (mode & 0o077) chmodSync(path, 0o600);
  return parseMasterKey(readFileSync(path, 'utf8'), path);
}
