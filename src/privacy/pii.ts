import { blindIndex, isBlindIndex, PERSONAL_IDENTIFIER_TYPES } from './blind-index.ts';
import { openPii, sealPii } from './fields.ts';
import type { KeyRing } from '../store/index.ts';

// How personal values are stored (docs/privacy.md, "Encryption at rest"): an identifier of a personal type (phone,
// email) is stored as its blind index, with the value sealed beside it in `identities.secret`; profile columns hold
// sealed tokens. Everything that looks identifiers up or writes them goes through these two functions.

/** An identifier as stored: personal values replaced by their blind index, the sealed value in `secret`. */
export function storedIdentifier<T extends { type: string; value: string }>(ring: KeyRing, id: T): T & { secret?: string } {
  if (!PERSONAL_IDENTIFIER_TYPES.has(id.type) || isBlindIndex(id.value)) return id;
  return { ...id, value: blindIndex(ring.indexKey, id.type, id.value), secret: sealPii(ring, id.value) };
}

/** The stored value to look an identifier up by (no encryption: for searches and joins). */
export function lookupValue(ring: KeyRing, type: string, normalValue: string): string {
  return PERSONAL_IDENTIFIER_TYPES.has(type) && !isBlindIndex(normalValue) ? blindIndex(ring.indexKey, type, normalValue) : normalValue;
}

/** An identity row as people read it: the sealed value opened, else the stored value. */
export function identityValue(ring: KeyRing, row: { value: string; secret?: string | null }): string {
  return row.secret ? openPii(ring, row.secret) : row.value;
}
