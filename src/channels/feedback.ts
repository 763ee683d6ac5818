import { keyRingFor, lookupValue, recordConsents, type ConsentDecision, type KeyRing } from '../privacy/index.ts';
import { dialect, jsonRowsParam, type Queryable, type Store } from '../store/index.ts';
import type { AddressKind, ChannelFeedback, InboundMessage, Receipt } from './channel.ts';
import { e164 } from './sms/common.ts';
import { isUnsubscribeReply } from './sms/text.ts';

/** The consent purpose a channel's marketing needs, by the address it sends to (docs/privacy.md#consent). */
export const MARKETING_PURPOSE: Record<AddressKind, string | undefined> = {
  phone: 'sms_marketing',
  email: 'email_marketing',
  external_userid: 'wecom_message',
  openid: 'miniprogram_subscribe',
  url: undefined,
};

/** Which states a receipt may move a message from: never backwards, never out of a final refusal. */
const FROM: Record<Receipt['state'], string> = {
  delivered: `('sending', 'handed_over', 'unknown')`,
  failed: `('sending', 'handed_over', 'unknown')`,
  read: `('sending', 'handed_over', 'unknown', 'delivered')`,
  clicked: `('sending', 'handed_over', 'unknown', 'delivered', 'read')`,
};

export interface FeedbackReport {
  receipts: number;
  /** Messages whose state a receipt changed. */
  applied: number;
  inbound: number;
  /** Inbound events seen before (same provider id), not processed again. */
  repeated: number;
  unsubscribed: number;
  unreachable: number;
}

/**
 * Applies what a channel's provider reported, set-based and idempotently: receipts move their messages forward
 * (matched by channel and provider id; a repeat or a late, older receipt changes nothing); replies with an
 * unsubscribe keyword, one-click unsubscribes and WeCom contact deletions withdraw the channel's marketing consent or
 * mark the customer unreachable there, in the same transaction, so the next dispatch already respects them.
 */
export async function applyFeedback(store: Store, channel: string, address: AddressKind, feedback: ChannelFeedback, now = new Date()): Promise<FeedbackReport> {
  const report: FeedbackReport = { receipts: feedback.receipts.length, applied: 0, inbound: 0, repeated: 0, unsubscribed: 0, unreachable: 0 };
  if (feedback.receipts.length > 0) report.applied = await applyReceipts(store, channel, feedback.receipts, now);
  const ring = await keyRingFor(store);
  if (feedback.inbound.length > 0) Object.assign(report, await store.transaction(async (tx) => applyInbound(tx, ring, channel, address, feedback.inbound, now)), { receipts: report.receipts, applied: report.applied });
  return report;
}

/** Applies receipts in slices of 50,000, each slice one UPDATE and one history INSERT. Returns the messages changed. */
export async function applyReceipts(store: Store, channel: string, receipts: readonly Receipt[], now = new Date()): Promise<number> {
  let changed = 0;
  const d = dialect(store.kind);
  for (let i = 0; i < receipts.length; i += 50_000) {
    const slice = receipts.slice(i, i + 50_000);
    for (const state of ['delivered', 'failed', 'read', 'clicked'] as const) {
      const rows = slice.filter((r) => r.state === state).map((r) => [r.providerId, r.at.toISOString(), r.reason ?? null]);
      if (rows.length === 0) continue;
      changed += await store.transaction(async (tx) => {
        await tx.execute('DROP TABLE IF EXISTS receipt_batch');
        await tx.execute(
          `CREATE TEMP TABLE receipt_batch AS SELECT m.customer_id, m.message_id, min(r.received) AS received, min(r.reason) AS reason
           FROM ${d.jsonRows('$1', ['provider_id', 'received', 'reason'])} r JOIN outbound_messages m ON m.provider_id = r.provider_id AND m.channel = $2
           WHERE m.state IN ${FROM[state]} GROUP BY m.customer_id, m.message_id`,
          [jsonRowsParam(rows), channel],
        );
        const n = await tx.execute(
          `UPDATE outbound_messages SET state = '${state}', reason = ${state === 'failed' ? 'b.reason' : 'outbound_messages.reason'}, updated_at = CAST($1 AS TIMESTAMPTZ)
           FROM receipt_batch b WHERE outbound_messages.customer_id = b.customer_id AND outbound_messages.message_id = b.message_id`,
          [now],
        );
        await tx.execute(`INSERT INTO outbound_message_states (customer_id, message_id, changed_at, state, detail) SELECT customer_id, message_id, CAST(received AS TIMESTAMPTZ), '${state}', reason FROM receipt_batch`);
        await tx.execute('DROP TABLE receipt_batch');
        return n;
      });
    }
  }
  return changed;
}

/** The customers an address belongs to on a channel (a phone in any of its written forms, an email, an external_userid). */
async function customersAt(db: Queryable, ring: KeyRing, address: AddressKind, values: readonly string[]): Promise<Map<string, string[]>> {
  const d = dialect(db.kind);
  // Phones and emails are identities stored as blind indexes (docs/privacy.md): the address's index is looked up.
  const keyed = values.map((v) => [v, address === 'phone' ? lookupValue(ring, 'phone', e164(v)) : address === 'email' ? lookupValue(ring, 'email', v.trim().toLowerCase()) : v]);
  const param = [jsonRowsParam(keyed)];
  const type = address === 'openid' ? "LIKE 'openid:%'" : `= '${address}'`;
  const sql = `SELECT k.v, coalesce(u.merged_into, i.customer_id) AS customer_id FROM ${d.jsonRows('$1', ['v', 'n'])} k JOIN identities i ON i.value = k.n AND i.type ${type} LEFT JOIN customers u ON u.customer_id = i.customer_id`;
  const out = new Map<string, string[]>();
  for (const r of await db.query<{ v: string; customer_id: string }>(sql, param)) out.set(r.v, [...(out.get(r.v) ?? []), r.customer_id]);
  return out;
}

/** Records inbound events once each and acts on them (see applyFeedback). */
export async function applyInbound(tx: Queryable, ring: KeyRing, channel: string, address: AddressKind, inbound: readonly InboundMessage[], now = new Date()): Promise<Omit<FeedbackReport, 'receipts' | 'applied'>> {
  const d = dialect(tx.kind);
  const seen = new Set(
    (await tx.query<{ event_id: string }>(`SELECT e.event_id FROM channel_events e JOIN ${d.jsonRows('$1', ['id'])} k ON k.id = e.event_id WHERE e.channel = $2`, [jsonRowsParam(inbound.map((i) => [i.eventId])), channel])).map((r) => r.event_id),
  );
  const fresh = [...new Map(inbound.filter((i) => !seen.has(i.eventId)).map((i) => [i.eventId, i])).values()];
  const owners = await customersAt(tx, ring, address, [...new Set(fresh.map((i) => i.from))]);
  const purpose = MARKETING_PURPOSE[address];
  const decisions: ConsentDecision[] = [];
  const unreachable: unknown[][] = [];
  const reachable: unknown[][] = [];
  const events: unknown[][] = [];
  for (const event of fresh) {
    const customers = owners.get(event.from) ?? [];
    const stops = (event.kind === 'reply' && isUnsubscribeReply(event.content)) || event.kind === 'unsubscribe';
    for (const customerId of customers) {
      if (stops && purpose) decisions.push({ customerId, purpose, status: 'withdrawn', source: `${event.kind}:${channel}`, effectiveAt: event.at, recordedBy: 'system', messageId: `${channel}:${event.eventId}` });
      if (event.kind === 'contact_deleted' || event.kind === 'bounce') unreachable.push([customerId, channel, false, `${event.kind}: ${event.content}`.slice(0, 500), event.at]);
      if (event.kind === 'contact_added') reachable.push([customerId, channel, true, 'contact added', event.at]);
    }
    events.push([channel, event.eventId, event.kind, customers[0] ?? null, event.content.slice(0, 1000), now]);
  }
  await tx.insertRows('channel_events', ['channel', 'event_id', 'kind', 'customer_id', 'detail', 'received_at'], events, '(channel, event_id) DO NOTHING');
  const marks = [...unreachable, ...reachable];
  if (marks.length > 0) await tx.insertRows('channel_reachability', ['customer_id', 'channel', 'is_reachable', 'reason', 'changed_at'], marks, '(customer_id, channel) DO UPDATE SET is_reachable = excluded.is_reachable, reason = excluded.reason, changed_at = excluded.changed_at');
  const consent = decisions.length > 0 ? await recordConsents(tx, decisions, undefined, now) : { recorded: 0 };
  return { inbound: fresh.length, repeated: inbound.length - fresh.length, unsubscribed: consent.recorded, unreachable: unreachable.length };
}
