import type { OutgoingMessage, SendOutcome } from '../channel.ts';
import type { ChannelTemplate } from '../template-registry.ts';
import { fillTemplate, smsParts } from './text.ts';

/** A phone number in E.164 (`+8613800000001`), from the forms customers and providers write (138…, 86138…, +86 138…). */
export function e164(phone: string): string {
  const compact = phone.replace(/[\s()-]/g, '');
  if (/^1\d{10}$/.test(compact)) return `+86${compact}`;
  if (/^861\d{10}$/.test(compact)) return `+${compact}`;
  if (/^00\d+$/.test(compact)) return `+${compact.slice(2)}`;
  return compact;
}

/** Whether a number is one an SMS provider can take: E.164 with 8 to 15 digits (mainland: +86 and 11 digits from 1). */
export function isValidPhone(phone: string): boolean {
  return phone.startsWith('+86') ? /^\+861\d{10}$/.test(phone) : /^\+[1-9]\d{7,14}$/.test(phone);
}

/** A message ready for an SMS provider: its number, template, parameters, and the text as billed. */
export interface PreparedSms {
  message: OutgoingMessage;
  phone: string;
  template: ChannelTemplate;
  params: Record<string, string>;
  parts: number;
}

/**
 * Resolves each message's template (by registry name or provider code) and number, and counts its billed parts (the
 * signature included). Returns those ready and a rejection for each that is not: no template, a missing parameter,
 * a number no provider takes.
 */
export function prepareSms(messages: readonly OutgoingMessage[], templates: readonly ChannelTemplate[], signName: string): { ready: PreparedSms[]; rejected: SendOutcome[] } {
  const byKey = new Map<string, ChannelTemplate>();
  for (const t of templates) byKey.set(t.name, t).set(t.providerCode, t);
  const ready: PreparedSms[] = [];
  const rejected: SendOutcome[] = [];
  for (const message of messages) {
    const template = message.template ? byKey.get(message.template) : undefined;
    const phone = e164(message.to);
    const reject = (reason: string) => rejected.push({ messageId: message.messageId, outcome: 'rejected', reason });
    if (!message.template) reject('an SMS is sent by a registered template: the message names none (content.template)');
    else if (!template) reject(`no template ${JSON.stringify(message.template)} is registered for this channel (siyu channels template add)`);
    else if (!isValidPhone(phone)) reject(`not a phone number an SMS provider takes: ${JSON.stringify(message.to)}`);
    else {
      const params = message.params ?? {};
      const missing = template.params.filter((p) => params[p] === undefined);
      if (missing.length > 0) reject(`template ${template.name} needs the parameters ${missing.join(', ')}`);
      else ready.push({ message, phone, template, params, parts: smsParts(`【${signName}】${fillTemplate(template.body, params, template.params)}`) });
    }
  }
  return { ready, rejected };
}

/** Splits messages into chunks of at most `size` in which no number appears twice (a provider answers per number). */
export function chunkByPhone<T extends { phone: string }>(items: readonly T[], size: number): T[][] {
  const chunks: { items: T[]; phones: Set<string> }[] = [];
  for (const item of items) {
    let chunk = chunks.find((c) => c.items.length < size && !c.phones.has(item.phone));
    if (!chunk) chunks.push((chunk = { items: [], phones: new Set() }));
    chunk.items.push(item);
    chunk.phones.add(item.phone);
  }
  return chunks.map((c) => c.items);
}

/** What a request that got no usable answer means for each of its messages: refused before sending is safe to retry; anything else may have gone out. */
export function unanswered(batch: readonly PreparedSms[], error: unknown): SendOutcome[] {
  const text = String((error as { cause?: unknown }).cause ?? error);
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(text)) return batch.map((p) => ({ messageId: p.message.messageId, outcome: 'retry', reason: `provider not reachable: ${(error as Error).message}`, retryAfterMs: 60_000 }));
  const reason = (error as Error).name === 'TimeoutError' ? 'no answer within the timeout; waiting for a receipt' : `no usable answer: ${(error as Error).message}`;
  return batch.map((p) => ({ messageId: p.message.messageId, outcome: 'unknown', reason }));
}
