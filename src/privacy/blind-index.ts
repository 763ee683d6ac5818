import { createHmac } from 'node:crypto';
import { normaliseEmail, normalisePhone } from '../core/contact.ts';
import { SiyuError } from '../core/errors.ts';
import type { BackendKind } from '../store/index.ts';

// A blind index is a keyed hash of an identifier's normal form: equal identifiers get equal indexes, so lookups and
// joins work on it, while the index reveals nothing without the index key (a plain hash of a Chinese mobile number
// could be reversed by trying all 10^11 of them). 16 bytes of HMAC-SHA256 keep collisions out of reach (2^-64 at
// four billion values) at 35 characters a value.

/** `b1:` and 32 lower-case hex digits. */
export const BLIND_PREFIX = 'b1:';
const BLIND_HEX = 32;

/**
 * The blind index of an identifier `type` (phone, email, user_id, openid:app…) with its value in normal form
 * (E.164 phones, lower-case emails: see normaliseIdentifier). The type is hashed too, so a phone and a member number
 * with the same digits differ.
 */
export function blindIndex(indexKey: Buffer, type: string, normalValue: string): string {
  return BLIND_PREFIX + createHmac('sha256', indexKey).update(`${type}\u001f${normalValue}`, 'utf8').digest('hex').slice(0, BLIND_HEX);
}

/**
 * An identifier's normal form, as identity resolution stores it: phones in E.164 (Chinese numbers without a country
 * code get +86), emails trimmed and lower-cased, anything else trimmed. Throws naming `path` when a phone or email
 * cannot be one.
 */
export function normaliseIdentifier(type: string, raw: string, path = type): string {
  const value = type === 'phone' ? normalisePhone(raw) : type === 'email' ? normaliseEmail(raw) : raw.trim() || undefined;
  if (value === undefined) throw new SiyuError('validation', 'invalid_identifier', `${path}: not a valid ${type}: ${JSON.stringify(raw)}`, { details: [{ path, message: `not a valid ${type}` }] });
  return value;
}

/** The two 64-byte HMAC pads for a key (RFC 2104), hex: with them, HMAC is two SHA-256 calls any engine can make. */
export function hmacPads(indexKey: Buffer): { inner: string; outer: string } {
  const block = Buffer.alloc(64);
  indexKey.copy(block); // keys up to 64 bytes are used as they are, zero-padded
  const xor = (pad: number) => Buffer.from(block.map((b) => b ^ pad)).toString('hex');
  return { inner: xor(0x36), outer: xor(0x5c) };
}

/**
 * The same blind index computed inside the engine, as a SQL expression over `typeExpr` and `valueExpr` (text
 * expressions), with the HMAC pads passed as the hex parameters `innerParam` and `outerParam` (so the key is never a
 * literal in the statement or the server's logs). Both engines have SHA-256 over bytes: DuckDB's `sha256(BLOB)`
 * returns hex, PostgreSQL's `sha256(bytea)` returns bytes.
 */
export function blindIndexSql(kind: BackendKind, typeExpr: string, valueExpr: string, innerParam: string, outerParam: string): string {
  // U+001F (unit separator), not NUL: PostgreSQL text cannot hold NUL.
  const message = `${typeExpr} || chr(31) || ${valueExpr}`;
  if (kind === 'duckdb') {
    const inner = `unhex(sha256(unhex(${innerParam}) || encode(${message})))`;
    return `('${BLIND_PREFIX}' || substr(sha256(unhex(${outerParam}) || ${inner}), 1, ${BLIND_HEX}))`;
  }
  const inner = `sha256(decode(${innerParam}, 'hex') || convert_to(${message}, 'UTF8'))`;
  return `('${BLIND_PREFIX}' || substr(encode(sha256(decode(${outerParam}, 'hex') || ${inner}), 'hex'), 1, ${BLIND_HEX}))`;
}

/** Identifier types whose values are personal data: stored as a blind index, with the value encrypted beside it. */
export const PERSONAL_IDENTIFIER_TYPES: ReadonlySet<string> = new Set(['phone', 'email']);

/** True for a stored identifier value that is a blind index. */
export const isBlindIndex = (value: string): boolean => value.startsWith(BLIND_PREFIX);

/**
 * The blind index of an identifier whatever form it comes in: personal types are stored as their blind index
 * already (so it is the value itself); any other value is indexed now. Tombstones are keyed by it.
 */
export function identifierIndex(indexKey: Buffer, type: string, value: string): string {
  return PERSONAL_IDENTIFIER_TYPES.has(type) && isBlindIndex(value) ? value : blindIndex(indexKey, type, value);
}
