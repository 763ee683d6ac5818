import { createHash } from 'node:crypto';
import type { ErrorDetail } from '../core/errors.ts';
import { zodDetails } from '../core/validation.ts';
import { isOrderEvent, parseOrderChange, type OrderChange } from './ecommerce.ts';
import { extractIdentifiers, profileColumns } from './extract.ts';
import type { Identifier } from './identifiers.ts';
import { Message, type MessageType } from './schemas.ts';

/** Segment's limit for one message. Batches are limited separately (500 KB) by the HTTP layer. */
export const MAX_MESSAGE_BYTES = 32 * 1024;

type Dict = Record<string, unknown>;

/** A message that passed validation, in the shape the writer stores. */
export interface PreparedMessage {
  messageId: string;
  type: MessageType;
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  identifiers: Identifier[];
  /** alias only: previousId → userId. */
  alias?: { previousId: string; userId: string };
  /** identify only: the traits to merge into the profile, and the profile columns they fill. */
  traits?: Dict;
  profile?: Record<string, unknown>;
  properties: Dict | null;
  context: Dict | null;
  ts: Date;
  order?: OrderChange;
  /** Set by write.ts's sealMessage once personal values are sealed, so the writer does not walk it again. */
  sealed?: true;
}

export type PrepareResult = { ok: true; message: PreparedMessage } | { ok: false; tooLarge: boolean; errors: ErrorDetail[] };

/**
 * Validates one Segment message. `impliedType` is the type a single-message route implies (`/v1/track` → track);
 * a message inside a batch must carry its own `type`. Never throws on bad input: the errors come back with paths.
 */
export function prepareMessage(raw: unknown, receivedAt: Date, impliedType?: MessageType): PrepareResult {
  const bytes = Buffer.byteLength(JSON.stringify(raw) ?? '');
  if (bytes > MAX_MESSAGE_BYTES) {
    return { ok: false, tooLarge: true, errors: [{ path: '(root)', message: `message is ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES} (32 KB)` }] };
  }
  let input = raw;
  if (impliedType && raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const given = (raw as Dict).type;
    if (given !== undefined && given !== impliedType) {
      return { ok: false, tooLarge: false, errors: [{ path: 'type', message: `this route takes "${impliedType}" messages, not ${JSON.stringify(given)}` }] };
    }
    input = { ...(raw as Dict), type: impliedType };
  }
  const parsed = Message.safeParse(input);
  const missingIdentity = lacksIdentity(input) ? [{ path: 'userId', message: 'userId or anonymousId is required' }] : [];
  if (!parsed.success) return { ok: false, tooLarge: false, errors: [...missingIdentity, ...zodDetails(parsed.error)] };
  if (missingIdentity.length > 0) return { ok: false, tooLarge: false, errors: missingIdentity };
  const m = parsed.data;

  const traits = m.type === 'identify' || m.type === 'group' ? m.traits : undefined;
  const { identifiers, issues } = extractIdentifiers({ userId: m.userId, anonymousId: m.anonymousId, traits, context: m.context });
  if (issues.length > 0) return { ok: false, tooLarge: false, errors: issues };

  const base = {
    messageId: m.messageId ?? deriveMessageId(raw),
    type: m.type,
    userId: m.userId ?? null,
    anonymousId: m.anonymousId ?? null,
    identifiers,
    context: m.context ?? null,
    ts: m.timestamp ?? m.originalTimestamp ?? receivedAt,
  };
  switch (m.type) {
    case 'identify':
      return { ok: true, message: { ...base, name: null, properties: m.traits ?? {}, traits: m.traits ?? {}, profile: profileColumns(m.traits ?? {}) } };
    case 'track': {
      const message: PreparedMessage = { ...base, name: m.event, properties: m.properties ?? {} };
      if (isOrderEvent(m.event)) {
        const { change, issues: orderIssues } = parseOrderChange(m.event, m.properties);
        if (!change) return { ok: false, tooLarge: false, errors: orderIssues };
        message.order = change;
      }
      return { ok: true, message };
    }
    case 'page':
    case 'screen':
      return { ok: true, message: { ...base, name: m.name ?? null, properties: { ...(m.category ? { category: m.category } : {}), ...(m.properties ?? {}) } } };
    case 'group':
      return { ok: true, message: { ...base, name: null, properties: { groupId: m.groupId, traits: m.traits ?? {} } } };
    case 'alias':
      return { ok: true, message: { ...base, name: null, properties: { previousId: m.previousId }, alias: { previousId: m.previousId, userId: m.userId } } };
  }
}

function lacksIdentity(input: unknown): boolean {
  if (!input || typeof input !== 'object') return false;
  const { type, userId, anonymousId } = input as Dict;
  const present = (v: unknown) => (typeof v === 'string' && v !== '') || typeof v === 'number';
  return type !== 'alias' && !present(userId) && !present(anonymousId);
}

/** Segment clients always send a messageId; for those that don't, the content itself is the key, so a resend is still a duplicate. */
function deriveMessageId(raw: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(raw)).digest('hex').slice(0, 40)}`;
}
