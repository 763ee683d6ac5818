import { SiyuError } from '../core/errors.ts';
import { localDay, type Queryable } from '../store/index.ts';
import type { MessageState } from './outbox.ts';

/** One message as the log shows it: who, where, what, how far it got, what it cost, and its state history. */
export interface LoggedMessage {
  messageId: string;
  customerId: string;
  channel: string;
  purpose: string;
  template: string | null;
  journeyId: string | null;
  node: string | null;
  state: MessageState;
  reason: string | null;
  contentHash: string | null;
  providerId: string | null;
  costFen: number | null;
  createdAt: Date;
  sentAt: Date | null;
  updatedAt: Date;
  history?: { state: string; at: Date; detail: string | null }[];
}

export interface MessageQuery {
  messageId?: string;
  customerId?: string;
  channel?: string;
  journeyId?: string;
  state?: string;
  /** Only messages created at or after this. */
  since?: Date;
  limit?: number;
  /** Messages to pass over first (the log's pages). */
  offset?: number;
  /** Include each message's state history. */
  withHistory?: boolean;
}

interface Row {
  message_id: string;
  customer_id: string;
  channel: string;
  purpose: string;
  template: string | null;
  journey_id: string | null;
  node: string | null;
  state: MessageState;
  reason: string | null;
  content_hash: string | null;
  provider_id: string | null;
  cost_fen: number | bigint | null;
  created_at: Date;
  sent_at: Date | null;
  updated_at: Date;
}

// States recorded at the same instant (queued, sending and handed over in one dispatch) in the order they happen.
const STATE_ORDER = `CASE state ${['queued', 'deferred', 'skipped', 'sending', 'handed_over', 'unknown', 'delivered', 'failed', 'read', 'clicked'].map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} END`;

function messageFilter(query: MessageQuery): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (query.messageId) add('message_id = ?', query.messageId);
  if (query.customerId) add('customer_id = ?', query.customerId);
  if (query.channel) add('channel = ?', query.channel);
  if (query.journeyId) add('journey_id = ?', query.journeyId);
  if (query.state) add('state = ?', query.state);
  if (query.since) add('created_at >= CAST(? AS TIMESTAMPTZ)', query.since);
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** How many messages the log holds for a filter (the same filter as listMessages; limit and offset ignored). */
export async function countMessages(db: Queryable, query: MessageQuery = {}): Promise<number> {
  const { where, params } = messageFilter(query);
  const [row] = await db.query<{ n: number | bigint }>(`SELECT count(*) AS n FROM outbound_messages ${where}`, params);
  return Number(row?.n ?? 0);
}

/** The message log, newest first, filtered (a message, a customer, a channel, a journey, a state, a start), paged by limit and offset. */
export async function listMessages(db: Queryable, query: MessageQuery = {}): Promise<LoggedMessage[]> {
  const { where, params } = messageFilter(query);
  const limit = Math.min(Math.max(query.limit ?? 100, 1), 10_000);
  const offset = Math.max(Math.trunc(query.offset ?? 0), 0);
  const rows = await db.query<Row>(
    `SELECT message_id, customer_id, channel, purpose, content->>'template' AS template, journey_id, node, state, reason, content_hash, provider_id, cost_fen, created_at, sent_at, updated_at
     FROM outbound_messages ${where} ORDER BY created_at DESC, message_id LIMIT ${limit} OFFSET ${offset}`,
    params,
  );
  const out = rows.map((r): LoggedMessage => ({
    messageId: r.message_id,
    customerId: r.customer_id,
    channel: r.channel,
    purpose: r.purpose,
    template: r.template,
    journeyId: r.journey_id,
    node: r.node,
    state: r.state,
    reason: r.reason,
    contentHash: r.content_hash,
    providerId: r.provider_id,
    costFen: r.cost_fen === null ? null : Number(r.cost_fen),
    createdAt: r.created_at,
    sentAt: r.sent_at,
    updatedAt: r.updated_at,
  }));
  if (query.withHistory && out.length > 0 && out.length <= 1000) {
    const ids = out.map((m) => m.messageId);
    const history = await db.query<{ message_id: string; state: string; changed_at: Date; detail: string | null }>(
      `SELECT message_id, state, changed_at, detail FROM outbound_message_states WHERE message_id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')}) ORDER BY changed_at, ${STATE_ORDER}`,
      ids,
    );
    const byId = new Map(out.map((m) => [m.messageId, m]));
    for (const h of history) {
      const m = byId.get(h.message_id);
      if (m) (m.history ??= []).push({ state: h.state, at: h.changed_at, detail: h.detail });
    }
  }
  return out;
}

/** Delivery figures for one group of messages. Rates are over the messages handed to a provider (`sent`). */
export interface MessageRates {
  key: string;
  queued: number;
  skipped: number;
  sent: number;
  delivered: number;
  failed: number;
  unknown: number;
  read: number;
  clicked: number;
  costFen: number;
  deliveryRate: number | null;
  readRate: number | null;
  clickRate: number | null;
}

const GROUPS = { channel: 'channel', template: "coalesce(content->>'template', '(none)')", journey: "coalesce(journey_id, '(none)')" } as const;

/**
 * Delivery, read and click rates per channel, template or journey (in one query): delivered counts messages that
 * reached `delivered` or beyond (read, clicked); read counts read or clicked. Each rate divides by the messages
 * handed to a provider, so the ones still waiting for a receipt lower the delivery rate until it comes.
 */
export async function messageRates(db: Queryable, by: keyof typeof GROUPS, options: { since?: Date; until?: Date; journeyId?: string; channel?: string } = {}): Promise<MessageRates[]> {
  if (!(by in GROUPS)) throw new SiyuError('validation', 'invalid_group', `by must be channel, template or journey, not ${JSON.stringify(by)}`);
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.since) where.push(`created_at >= CAST($${params.push(options.since)} AS TIMESTAMPTZ)`);
  if (options.until) where.push(`created_at < CAST($${params.push(options.until)} AS TIMESTAMPTZ)`);
  if (options.journeyId) where.push(`journey_id = $${params.push(options.journeyId)}`);
  if (options.channel) where.push(`channel = $${params.push(options.channel)}`);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${GROUPS[by]} AS key, ${COUNTS}
     FROM outbound_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY 1 ORDER BY 1`,
    params,
  );
  return rows.map((r) => ({ key: String(r.key), ...ratesOf(r) }));
}

// The figures of a group of messages, the same in every grouping (see messageRates for what each counts).
const COUNTS = `count(*) FILTER (WHERE state IN ('queued', 'deferred')) AS queued,
            count(*) FILTER (WHERE state = 'skipped') AS skipped,
            count(*) FILTER (WHERE state IN ('sending', 'handed_over', 'delivered', 'failed', 'unknown', 'read', 'clicked') AND sent_at IS NOT NULL) AS sent,
            count(*) FILTER (WHERE state IN ('delivered', 'read', 'clicked')) AS delivered,
            count(*) FILTER (WHERE state = 'failed') AS failed,
            count(*) FILTER (WHERE state = 'unknown') AS unknown,
            count(*) FILTER (WHERE state IN ('read', 'clicked')) AS read,
            count(*) FILTER (WHERE state = 'clicked') AS clicked,
            coalesce(sum(cost_fen), 0) AS cost`;

function ratesOf(r: Record<string, unknown>): Omit<MessageRates, 'key'> {
  const n = (k: string) => Number(r[k] ?? 0);
  const sent = n('sent');
  const rate = (x: number) => (sent > 0 ? x / sent : null);
  return { queued: n('queued'), skipped: n('skipped'), sent, delivered: n('delivered'), failed: n('failed'), unknown: n('unknown'), read: n('read'), clicked: n('clicked'), costFen: n('cost'), deliveryRate: rate(n('delivered')), readRate: rate(n('read')), clickRate: rate(n('clicked')) };
}

/** One channel's delivery figures on one day (the brand's calendar day the messages were created). */
export interface DailyMessageRates extends Omit<MessageRates, 'key'> {
  day: string;
  channel: string;
}

/**
 * Delivery figures per channel and day, in the brand timezone `timezone` (the day a message was created), from
 * `since` to before `until`, oldest first: the series behind the console's delivery chart. Each day's rates count as
 * messageRates' do, so the days of a channel add up to its row there.
 */
export async function messageRatesByDay(db: Queryable, timezone: string, options: { since?: Date; until?: Date; channel?: string } = {}): Promise<DailyMessageRates[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.since) where.push(`created_at >= CAST($${params.push(options.since)} AS TIMESTAMPTZ)`);
  if (options.until) where.push(`created_at < CAST($${params.push(options.until)} AS TIMESTAMPTZ)`);
  if (options.channel) where.push(`channel = $${params.push(options.channel)}`);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT CAST(${localDay(timezone, 'created_at')} AS VARCHAR) AS day, channel, ${COUNTS}
     FROM outbound_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY 1, 2 ORDER BY 1, 2`,
    params,
  );
  return rows.map((r) => ({ day: String(r.day), channel: String(r.channel), ...ratesOf(r) }));
}
