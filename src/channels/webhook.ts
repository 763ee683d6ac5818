import { createHmac, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SiyuError } from '../core/errors.ts';
import type { Queryable } from '../store/index.ts';
import type { Channel, OutgoingMessage, SendOutcome } from './channel.ts';

/**
 * Standard Webhooks v1 signature (standard-webhooks spec): base64 HMAC-SHA256 over `${id}.${timestamp}.${body}`
 * with the secret's bytes (its `whsec_` prefix dropped, the rest base64), sent as `v1,<signature>`.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** Whether an IP address is private, loopback, link-local or otherwise not a public internet address. */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
  }
  const lower = ip.toLowerCase();
  return lower === '::1' || lower === '::' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
}

export interface WebhookOptions {
  /** The signing secret, `whsec_` and base64 of 24 to 64 bytes. */
  secret: string;
  /** Allow targets on private networks and this machine (off by default: a journey must not reach the brand's intranet). */
  allowPrivateNetworks?: boolean;
  timeoutMs?: number;
  /** The clock for the signature timestamp. */
  now?: () => Date;
}

/**
 * The webhook channel: each message is POSTed as JSON to its URL with Standard Webhooks headers (webhook-id is the
 * message id, so the receiver can drop a repeat). 2xx is delivered; 410 rejects (the endpoint is gone); 429 and 5xx
 * are retried after the server's Retry-After or a backoff; a timeout is unknown (the receiver may have it).
 */
export function webhookChannel(options: WebhookOptions): Channel {
  if (!/^whsec_[A-Za-z0-9+/=]+$/.test(options.secret) || Buffer.from(options.secret.slice(6), 'base64').length < 24) {
    throw new SiyuError('validation', 'invalid_webhook_secret', 'a webhook secret is whsec_ followed by base64 of 24 to 64 random bytes');
  }
  const send = async (message: OutgoingMessage): Promise<SendOutcome> => {
    const refused = await refusedTarget(message.to, options.allowPrivateNetworks === true);
    if (refused) return { messageId: message.messageId, outcome: 'rejected', reason: refused };
    const body = JSON.stringify({ type: 'message', message_id: message.messageId, customer_id: message.customerId, body: message.body, ...message.meta });
    const timestamp = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
    try {
      const response = await fetch(message.to, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        headers: { 'content-type': 'application/json', 'webhook-id': message.messageId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(options.secret, message.messageId, timestamp, body) },
        body,
      });
      await response.body?.cancel();
      if (response.ok) return { messageId: message.messageId, outcome: 'delivered' };
      if (response.status === 410) return { messageId: message.messageId, outcome: 'rejected', reason: 'HTTP 410: the endpoint is gone' };
      if (response.status === 429 || response.status >= 500) {
        const retryAfter = Number(response.headers.get('retry-after'));
        return { messageId: message.messageId, outcome: 'retry', reason: `HTTP ${response.status}`, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 60_000 };
      }
      return { messageId: message.messageId, outcome: 'rejected', reason: `HTTP ${response.status}` };
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? 'no answer within the timeout' : (error as Error).message;
      // Refused before anything was sent (no connection) is safe to retry; after that the receiver may have it.
      if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(String((error as { cause?: unknown }).cause ?? error))) return { messageId: message.messageId, outcome: 'retry', reason: `not reachable: ${reason}`, retryAfterMs: 60_000 };
      return { messageId: message.messageId, outcome: 'unknown', reason };
    }
  };
  return { name: 'webhook', address: 'url', batchSize: 20, send: (messages) => Promise.all(messages.map(send)) };
}

/** Why a URL may not be called, or undefined: not http(s), or a private address unless allowed. */
async function refusedTarget(url: string, allowPrivate: boolean): Promise<string | undefined> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return `not a URL: ${url}`;
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return `only http and https URLs are called, not ${target.protocol}`;
  if (allowPrivate) return undefined;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  const internal = addresses.find(isPrivateAddress);
  return internal ? `${target.hostname} is on a private network (${internal}); allow private networks for webhooks to call it` : undefined;
}

/** The brand's webhook signing secret (settings `webhook_secret`), made on first use: `whsec_` and 32 random bytes. */
export async function webhookSecret(db: Queryable): Promise<string> {
  const [row] = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'webhook_secret'`);
  if (row) return row.value;
  await db.execute(`INSERT INTO settings (key, value, updated_at) VALUES ('webhook_secret', $1, now()) ON CONFLICT (key) DO NOTHING`, [`whsec_${randomBytes(32).toString('base64')}`]);
  return (await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'webhook_secret'`))[0]!.value;
}
