import { createHash } from 'node:crypto';
import { recommendationsFor } from '../recommend/index.ts';
import { customerSummaries, type CustomerSummary } from '../segment/index.ts';
import { createTempTable, dialect, jsonRowsParam, readBrandSettings, type Queryable, type Store } from '../store/index.ts';
import type { Channel, OutgoingMessage, SendOutcome } from './channel.ts';
import { getContactPolicy } from './policy.ts';
import { readsRecommendations, renderTemplate } from './templates.ts';
import { decideVerdicts } from './verdicts.ts';

export interface DispatchReport {
  claimed: number;
  sent: number;
  deferred: number;
  skipped: number;
  failed: number;
  unknown: number;
}

interface Claimed {
  customer_id: string;
  message_id: string;
  route: string;
  journey_id: string | null;
  node: string | null;
  content: { subject?: string; body?: string; template?: string; params?: Record<string, string>; url?: string };
  context: Record<string, unknown> | null;
}

/**
 * Hands due messages to their channels, at most once each. In one transaction it claims a batch of due messages
 * (queued, or deferred until now), applies the contact policy to all of them at once (verdicts.ts) and records each
 * verdict; the ones to send are marked `sending` and committed before any provider is called. Then it renders them
 * (Liquid, with each customer's summary and, when a template asks, their recommendations), sends them per channel in
 * the provider's batch sizes, and records each outcome. A process that dies between the two leaves `sending` rows,
 * which `recoverSending` marks `unknown`: they are reconciled from receipts, never sent again blindly.
 */
export async function dispatchDue(store: Store, channels: readonly Channel[], options: { now?: Date; batchSize?: number; messageIds?: readonly string[] } = {}): Promise<DispatchReport> {
  const now = options.now ?? new Date();
  const report: DispatchReport = { claimed: 0, sent: 0, deferred: 0, skipped: 0, failed: 0, unknown: 0 };
  // Only these messages, when given (a test send hands over its one message at once, not the whole queue).
  const only = options.messageIds ? ` AND message_id IN (${options.messageIds.length ? options.messageIds.map((_, i) => `$${i + 2}`).join(', ') : 'NULL'})` : '';
  const onlyParams = options.messageIds ?? [];
  // The server calls this every second: when nothing is due, one indexed lookup is all it costs.
  const [due] = await store.query(`SELECT 1 AS due FROM outbound_messages WHERE state IN ('queued', 'deferred') AND due_at <= $1${only} LIMIT 1`, [now, ...onlyParams]);
  if (!due) return report;
  const byName = new Map(channels.map((c) => [c.name, c]));
  const policy = await getContactPolicy(store);
  const { timezone } = await readBrandSettings(store);
  const sending = await store.transaction(async (tx) => {
    await createTempTable(
      tx,
      'dispatch',
      `SELECT * FROM outbound_messages WHERE state IN ('queued', 'deferred') AND due_at <= $1${only} ORDER BY priority DESC, created_at LIMIT ${options.batchSize ?? 2000}${dialect(tx.kind).skipLocked}`,
      [now, ...onlyParams],
    );
    await decideVerdicts(tx, policy, new Map(channels.map((c) => [c.name, c.address])), timezone, now);
    const counts = await tx.query<{ verdict: string; n: number }>('SELECT verdict, count(*) AS n FROM verdicts GROUP BY verdict');
    for (const { verdict, n } of counts) {
      report.claimed += Number(n);
      if (verdict === 'defer') report.deferred += Number(n);
      if (verdict === 'skip') report.skipped += Number(n);
    }
    await tx.execute(
      `UPDATE outbound_messages SET state = CASE v.verdict WHEN 'send' THEN 'sending' WHEN 'skip' THEN 'skipped' ELSE 'deferred' END,
              reason = v.reason, due_at = coalesce(v.due, outbound_messages.due_at), channel = coalesce(v.route, outbound_messages.channel),
              sent_at = CASE WHEN v.verdict = 'send' THEN CAST($1 AS TIMESTAMPTZ) END, updated_at = $1
       FROM verdicts v WHERE outbound_messages.customer_id = v.customer_id AND outbound_messages.message_id = v.message_id`,
      [now],
    );
    await tx.execute(
      `INSERT INTO outbound_message_states (customer_id, message_id, changed_at, state, detail)
       SELECT customer_id, message_id, $1, CASE verdict WHEN 'send' THEN 'sending' WHEN 'skip' THEN 'skipped' ELSE 'deferred' END,
              CASE WHEN verdict = 'defer' THEN reason || ' (until ' || CAST(due AS VARCHAR) || ')' ELSE reason END FROM verdicts`,
      [now],
    );
    return tx.query<Claimed>(
      `SELECT v.customer_id, v.message_id, v.route, d.journey_id, d.node, d.content, d.context FROM verdicts v JOIN dispatch d ON d.customer_id = v.customer_id AND d.message_id = v.message_id WHERE v.verdict = 'send'`,
    );
  });
  if (sending.length === 0) return report;
  const outcomes = await sendAll(store, sending, byName);
  await recordOutcomes(store, outcomes, now);
  for (const o of outcomes) {
    if (o.outcome === 'accepted' || o.outcome === 'delivered') report.sent++;
    else if (o.outcome === 'retry') report.deferred++;
    else if (o.outcome === 'unknown') report.unknown++;
    else report.failed++;
  }
  return report;
}

type Outcome = SendOutcome & { customerId: string; contentHash?: string };

/** Renders and sends the claimed messages, channel by channel, in each provider's batch sizes. */
async function sendAll(db: Store, claimed: readonly Claimed[], channels: ReadonlyMap<string, Channel>): Promise<Outcome[]> {
  const summaries = await customerSummaries(db, claimed.map((c) => c.customer_id));
  const outcomes: Outcome[] = [];
  const ready = new Map<string, (OutgoingMessage & { hash: string })[]>();
  for (const message of claimed) {
    const summary = summaries.get(message.customer_id);
    try {
      const outgoing = await render(db, message, summary);
      ready.set(message.route, [...(ready.get(message.route) ?? []), outgoing]);
    } catch (error) {
      outcomes.push({ messageId: message.message_id, customerId: message.customer_id, outcome: 'rejected', reason: `template: ${(error as Error).message}` });
    }
  }
  for (const [route, messages] of ready) {
    const channel = channels.get(route)!;
    for (let i = 0; i < messages.length; i += channel.batchSize) {
      const batch = messages.slice(i, i + channel.batchSize);
      let results: SendOutcome[];
      try {
        results = await channel.send(batch);
      } catch (error) {
        // The adapter failed as a whole, after the messages may have left: none may be sent again blindly.
        results = batch.map((m) => ({ messageId: m.messageId, outcome: 'unknown', reason: `${channel.name}: ${(error as Error).message}` }));
      }
      const sent = new Map(batch.map((m) => [m.messageId, m]));
      for (const result of results) outcomes.push({ ...result, customerId: sent.get(result.messageId)!.customerId, contentHash: sent.get(result.messageId)!.hash });
    }
  }
  return outcomes;
}

async function render(db: Queryable, message: Claimed, summary: CustomerSummary | undefined): Promise<OutgoingMessage & { hash: string }> {
  const { content } = message;
  const meta = { journey_id: message.journey_id, node: message.node, context: message.context };
  if (content.url) return { messageId: message.message_id, customerId: message.customer_id, to: content.url, body: JSON.stringify(message.context ?? {}), meta, hash: hash(content.url) };
  const sources = [content.body ?? '', content.subject ?? '', ...Object.values(content.params ?? {})];
  const recommendations = summary && sources.some(readsRecommendations) ? (await recommendationsFor(db, summary.id, { n: 5 })).items.map((i) => ({ ...i, reason: i.reason.zh })) : [];
  const variables = { customer: summary ?? { id: message.customer_id }, recommendations, context: message.context ?? {}, journey: { id: message.journey_id } };
  const body = renderTemplate(content.body ?? '', variables);
  const subject = content.subject ? renderTemplate(content.subject, variables) : undefined;
  const params = content.params ? Object.fromEntries(Object.entries(content.params).map(([k, v]) => [k, renderTemplate(v, variables)])) : undefined;
  const to = address(message.route, summary);
  return { messageId: message.message_id, customerId: message.customer_id, to, subject, body, template: content.template, params, meta, hash: hash(JSON.stringify([subject, body, params])) };
}

function address(route: string, summary: CustomerSummary | undefined): string {
  if (!summary) return '';
  if (route === 'sms') return summary.phone ?? '';
  if (route === 'email') return summary.email ?? '';
  const type = Object.keys(summary.identities).find((t) => (route === 'miniprogram' ? t.startsWith('openid:') : t === 'external_userid'));
  return type ? summary.identities[type]! : '';
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

const STATE: Record<SendOutcome['outcome'], string> = { accepted: 'handed_over', delivered: 'delivered', rejected: 'failed', retry: 'deferred', unknown: 'unknown' };

async function recordOutcomes(store: Store, outcomes: readonly Outcome[], now: Date): Promise<void> {
  const rows = outcomes.map((o) => [
    o.customerId,
    o.messageId,
    STATE[o.outcome],
    'reason' in o ? o.reason : null,
    'providerId' in o ? (o.providerId ?? null) : null,
    'costFen' in o && o.costFen !== undefined ? String(o.costFen) : null,
    o.outcome === 'retry' ? new Date(now.getTime() + o.retryAfterMs).toISOString() : null,
    o.contentHash ?? null,
  ]);
  const table = dialect(store.kind).jsonRows('$1', ['customer_id', 'message_id', 'state', 'reason', 'provider_id', 'cost', 'due', 'hash']);
  await store.transaction(async (tx) => {
    await tx.execute(
      `UPDATE outbound_messages SET state = o.state, reason = o.reason, provider_id = o.provider_id, cost_fen = CAST(o.cost AS BIGINT),
              due_at = coalesce(CAST(o.due AS TIMESTAMPTZ), outbound_messages.due_at), content_hash = o.hash, updated_at = $2
       FROM ${table} o WHERE outbound_messages.customer_id = o.customer_id AND outbound_messages.message_id = o.message_id`,
      [jsonRowsParam(rows), now],
    );
    await tx.execute(`INSERT INTO outbound_message_states (customer_id, message_id, changed_at, state, detail) SELECT customer_id, message_id, $2, state, reason FROM ${table} o`, [jsonRowsParam(rows), now]);
  });
}

/**
 * Marks `unknown` the messages left `sending` for longer than `olderThanMs` (default 10 minutes) by a process that
 * died between handing them over and recording the answer: they may have gone out, so they wait for a receipt.
 */
export async function recoverSending(store: Store, now: Date = new Date(), olderThanMs = 600_000): Promise<number> {
  return store.transaction(async (tx) => {
    const cutoff = new Date(now.getTime() - olderThanMs);
    await tx.execute(
      `INSERT INTO outbound_message_states (customer_id, message_id, changed_at, state, detail)
       SELECT customer_id, message_id, $1, 'unknown', 'interrupted while handing over; reconcile from receipts' FROM outbound_messages WHERE state = 'sending' AND sent_at <= $2`,
      [now, cutoff],
    );
    return tx.execute(`UPDATE outbound_messages SET state = 'unknown', reason = 'interrupted while handing over; reconcile from receipts', updated_at = $1 WHERE state = 'sending' AND sent_at <= $2`, [now, cutoff]);
  });
}
