import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Queryable } from '../store/index.ts';
import type { ChannelFeedback, InboundMessage, OutgoingMessage, PollingChannel, SendOutcome } from './channel.ts';
import type { ChannelSetup } from './config.ts';

type SmtpSetup = Extract<ChannelSetup, { provider: 'smtp' }>;

/** The brand's key for unsubscribe links (settings `unsubscribe_secret`), made on first use. */
export async function unsubscribeSecret(db: Queryable): Promise<string> {
  const read = async () => (await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'unsubscribe_secret'`))[0]?.value;
  const found = await read();
  if (found) return found;
  await db.execute(`INSERT INTO settings (key, value, updated_at) VALUES ('unsubscribe_secret', $1, now()) ON CONFLICT (key) DO NOTHING`, [randomBytes(32).toString('base64url')]);
  return (await read())!;
}

/** A signed unsubscribe token for one message: `channel.customer.message` (base64url) and its HMAC. */
export function unsubscribeToken(secret: string, channel: string, customerId: string, messageId: string): string {
  const payload = Buffer.from(JSON.stringify([channel, customerId, messageId])).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 32)}`;
}

/** What a token says, or undefined when it was not signed with `secret` (a forged or altered link). */
export function readUnsubscribeToken(secret: string, token: string): { channel: string; customerId: string; messageId: string } | undefined {
  const [payload, mac] = token.split('.');
  if (!payload || !mac) return undefined;
  const expected = Buffer.from(createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 32));
  if (expected.length !== mac.length || !timingSafeEqual(expected, Buffer.from(mac))) return undefined;
  try {
    const [channel, customerId, messageId] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as string[];
    return channel && customerId && messageId ? { channel, customerId, messageId } : undefined;
  } catch {
    return undefined;
  }
}

/** The plain-text part of an HTML body: tags dropped, breaks and paragraphs kept as newlines, entities for & < > decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div|\/h\d|\/li)\s*\/?>/gi, '\n')
    .replace(/<a\s[^>]*href="([^"]+)"[^>]*>(.*?)<\/a>/gi, '$2 ($1)')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Email over SMTP with nodemailer: one pooled transporter per channel (its connections and rate shared by every
 * send), HTML with a plain-text part, and one-click unsubscribe (RFC 8058: List-Unsubscribe with an HTTPS link and
 * List-Unsubscribe-Post). SMTP has no idempotency, so our message id is the Message-ID and an X-Siyu-Message-Id
 * header. A permanent refusal (5xx) fails the message and is reported as a bounce by `poll`, which marks the address
 * unreachable; a temporary one (4xx) or no connection is retried; a connection lost mid-send is unknown.
 */
export function smtpChannel(name: string, setup: SmtpSetup, secret: string, options: { timeoutMs?: number } = {}): PollingChannel & { close(): void } {
  const { settings, secrets } = setup;
  const transporter = nodemailer.createTransport({
    pool: true,
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    auth: secrets.user ? { user: secrets.user, pass: secrets.pass ?? '' } : undefined,
    maxConnections: settings.max_connections,
    maxMessages: 100,
    rateDelta: 1000,
    rateLimit: settings.rate_per_second,
    connectionTimeout: options.timeoutMs ?? 15_000,
    socketTimeout: options.timeoutMs ?? 30_000,
  });
  const bounces: InboundMessage[] = [];
  const domain = /@([^>\s]+)>?\s*$/.exec(settings.from)?.[1] ?? 'siyu.local';
  const sendOne = async (message: OutgoingMessage): Promise<SendOutcome> => {
    const link = `${settings.unsubscribe_url}${settings.unsubscribe_url.includes('?') ? '&' : '?'}token=${unsubscribeToken(secret, name, message.customerId, message.messageId)}`;
    try {
      const info = await transporter.sendMail({
        from: settings.from,
        to: message.to,
        subject: message.subject ?? '',
        html: message.body,
        text: htmlToText(message.body),
        messageId: `<${message.messageId.replace(/[<>@\s]/g, '_')}@${domain}>`,
        headers: { 'X-Siyu-Message-Id': message.messageId, 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
      if (info.rejected.length > 0) throw Object.assign(new Error(`refused: ${String(info.response)}`), { responseCode: 550 });
      return { messageId: message.messageId, outcome: 'accepted', providerId: message.messageId };
    } catch (error) {
      const e = error as Error & { responseCode?: number; code?: string };
      const reason = `${e.responseCode ?? e.code ?? ''} ${e.message}`.trim();
      if (e.responseCode && e.responseCode >= 500) {
        bounces.push({ eventId: `bounce:${message.messageId}`, kind: 'bounce', from: message.to, content: reason, at: new Date() });
        return { messageId: message.messageId, outcome: 'rejected', reason: `bounced: ${reason}` };
      }
      if ((e.responseCode && e.responseCode >= 400) || e.code === 'ECONNECTION' || /ECONNREFUSED/.test(e.message)) return { messageId: message.messageId, outcome: 'retry', reason, retryAfterMs: 60_000 };
      return { messageId: message.messageId, outcome: 'unknown', reason };
    }
  };
  return {
    name,
    address: 'email',
    batchSize: 200,
    send: (messages) => Promise.all(messages.map(sendOne)),
    async poll(): Promise<ChannelFeedback> {
      return { receipts: [], inbound: bounces.splice(0, bounces.length) };
    },
    close: () => transporter.close(),
  };
}
