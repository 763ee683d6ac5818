import type { ErrorDetail } from '../core/errors.ts';
import { prepareMessage } from './prepare.ts';
import type { IngestWriter } from './queue.ts';
import type { MessageType } from './schemas.ts';
import type { SourcedMessage } from './write.ts';

export { IngestWriter } from './queue.ts';
export { appendToInbox, countInbox, drainInbox, InboxProcessor, processInbox, type InboxProcessorOptions } from './inbox.ts';
export { writeMessages, type SourcedMessage, type WriteStatus } from './write.ts';
export { MAX_MESSAGE_BYTES, prepareMessage, type PreparedMessage } from './prepare.ts';
export { BatchBody, MessageTypes, RouteSchemas, type MessageType } from './schemas.ts';
export {
  createWriteKey,
  isOriginAllowed,
  listWriteKeys,
  revokeWriteKey,
  updateWriteKeyOrigins,
  WriteKeyVerifier,
  type CreateWriteKeyOptions,
  type OriginsChange,
  type VerifiedWriteKey,
  type WriteKey,
} from './write-keys.ts';
export { normaliseEmail, normalisePhone, type Identifier, type IdentifierType } from './identifiers.ts';
export { ORDER_EVENTS } from './ecommerce.ts';
export { mergeProfiles, type MergeRecord } from './merge.ts';
export { IdentityResolver } from './resolve.ts';

/** A message that was not stored, by its position in the request. */
export interface RejectedMessage {
  index: number;
  tooLarge: boolean;
  errors: ErrorDetail[];
}

/** What happened to each message of one request. */
export interface IngestReport {
  accepted: number;
  duplicates: number;
  rejected: RejectedMessage[];
}

export interface IngestOptions {
  /** Recorded as each event's source: the write key's name, or the import file. */
  source: string;
  /** Set by single-message routes (`/v1/track` → `track`); batch elements carry their own type. */
  impliedType?: MessageType;
  /** A batch's shared context, under each message's own. */
  context?: Record<string, unknown>;
}

/**
 * Validates every message, appends the valid ones to the inbox through the writer (durably, in one group commit),
 * and reports bad ones by index. Throws only when the store cannot be written. The inbox processor then writes
 * them to events, profiles and orders.
 */
export async function ingestMessages(writer: IngestWriter, raw: readonly unknown[], options: IngestOptions): Promise<IngestReport> {
  const receivedAt = new Date();
  const rejected: RejectedMessage[] = [];
  const entries: SourcedMessage[] = [];
  raw.forEach((item, index) => {
    const withContext = options.context && isObject(item) ? { ...item, context: { ...options.context, ...(isObject(item.context) ? item.context : {}) } } : item;
    const result = prepareMessage(withContext, receivedAt, options.impliedType);
    if (result.ok) entries.push({ message: result.message, source: options.source });
    else rejected.push({ index, tooLarge: result.tooLarge, errors: result.errors });
  });
  const statuses = await writer.submit(entries);
  const duplicates = statuses.filter((s) => s === 'duplicate').length;
  return { accepted: statuses.length - duplicates, duplicates, rejected };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
