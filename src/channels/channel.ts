/** Where a message goes, by channel: the identity or profile field that holds a customer's address on it. */
export type AddressKind = 'phone' | 'email' | 'openid' | 'external_userid' | 'url';

/** One message as a channel receives it: rendered, addressed, with its deterministic id as the idempotency key. */
export interface OutgoingMessage {
  messageId: string;
  customerId: string;
  /** The customer's address on this channel (phone, email, openid…), or the URL for a webhook. */
  to: string;
  subject?: string;
  body: string;
  /** The provider's template code and parameters, for channels that send by template. */
  template?: string;
  params?: Record<string, string>;
  /** What else the receiver may want (journey, step): webhooks send it along. */
  meta: Record<string, unknown>;
}

/**
 * What the provider said about one message:
 * - `accepted`: handed over (the provider's id kept), `delivered` when the answer itself confirms delivery
 *   (a webhook's 2xx);
 * - `rejected`: the provider refused it for good (a bad number, no consent on its side…);
 * - `retry`: refused for now (rate limited, down), safe to send again after `retryAfterMs`;
 * - `unknown`: no answer (a timeout): it may or may not have gone out, so it is never sent again blindly.
 */
export type SendOutcome =
  | { messageId: string; outcome: 'accepted' | 'delivered'; providerId?: string; costFen?: number }
  | { messageId: string; outcome: 'rejected'; reason: string }
  | { messageId: string; outcome: 'retry'; reason: string; retryAfterMs: number }
  | { messageId: string; outcome: 'unknown'; reason: string };

/** One channel adapter. The dispatcher hands it batches and records each outcome. */
export interface Channel {
  readonly name: string;
  /** Which address a customer needs on this channel. */
  readonly address: AddressKind;
  /** The most messages one `send` takes (a provider's batch size). */
  readonly batchSize: number;
  /** Sends a batch; resolves with one outcome per message, in any order. Never throws for one message's failure. */
  send(messages: readonly OutgoingMessage[]): Promise<SendOutcome[]>;
}

/** What a provider reported about a message it took: keyed by the provider id the send outcome carried. */
export interface Receipt {
  providerId: string;
  state: 'delivered' | 'failed' | 'read' | 'clicked';
  at: Date;
  /** The provider's code or text, for a failure. */
  reason?: string;
}

/** Something a customer sent back: an SMS reply, an unsubscribe click, a contact change. */
export interface InboundMessage {
  /** The provider's id for it (or a stable hash of its fields), so a repeat is processed once. */
  eventId: string;
  kind: 'reply' | 'unsubscribe' | 'contact_deleted' | 'contact_added' | 'bounce';
  /** The customer's address on the channel (a phone, an email, an external_userid). */
  from: string;
  content: string;
  at: Date;
}

/** What a channel fetched from its provider since the last time. */
export interface ChannelFeedback {
  receipts: Receipt[];
  inbound: InboundMessage[];
}

/** A channel that pulls receipts and replies from its provider (the others are pushed to a callback route). */
export interface PollingChannel extends Channel {
  poll(): Promise<ChannelFeedback>;
}

export const isPolling = (channel: Channel): channel is PollingChannel => typeof (channel as Partial<PollingChannel>).poll === 'function';
