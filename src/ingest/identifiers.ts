/**
 * Identifier types and their normal forms. Resolution compares normal forms only, so
 * `138 0013 8000`, `+86 13800138000` and `8613800138000` are one phone.
 */
export type IdentifierType = 'user_id' | 'member_no' | 'unionid' | 'phone' | 'email' | `openid:${string}` | 'external_userid' | 'device' | 'anonymous_id';

export interface Identifier {
  type: IdentifierType;
  /** The normal form; as stored, a blind index for personal types (phone, email). */
  value: string;
  /** As stored, for personal types: the value sealed (privacy's storedIdentifier). */
  secret?: string;
}

/** Higher first: when profiles that hold user ids collide, the profile owning the strongest identifier leads. */
// external_userid (a WeCom external contact, unique within the corp) ranks with openid: an app-scoped WeChat id.
export const IDENTIFIER_PRIORITY = ['user_id', 'member_no', 'unionid', 'phone', 'email', 'openid', 'external_userid', 'device', 'anonymous_id'] as const;

export function priorityOf(type: string): number {
  const base = type.startsWith('openid:') ? 'openid' : type;
  return IDENTIFIER_PRIORITY.indexOf(base as (typeof IDENTIFIER_PRIORITY)[number]);
}

export const identifierKey = (id: Identifier): string => `${id.type}\u0000${id.value}`;

// The normal forms live in core/ because privacy's blind indexes hash the same forms that resolution compares.
export { normaliseEmail, normalisePhone } from '../core/contact.ts';
