import { createHash, createHmac } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import { keyRingFor, openPii } from '../privacy/index.ts';
import type { Queryable, Store } from '../store/index.ts';
import type { InboundMessage } from './channel.ts';
import { readChannelSetups, type ChannelSetup } from './config.ts';
import { readUnsubscribeToken, unsubscribeSecret } from './email.ts';
import { applyFeedback, applyInbound, type FeedbackReport } from './feedback.ts';
import { readAliyunPush } from './sms/aliyun.ts';
import { wecomClient } from './wechat/channels.ts';
import { wecomDecrypt, wecomSignatureMatches, xmlField } from './wechat/crypto.ts';
import { applyDirectoryState, fetchDirectoryState, type DirectoryEvent } from './wechat/sync-events.ts';
import { syncContext, updateReachability } from './wechat/sync.ts';

async function setupOf(store: Store, name: string): Promise<ChannelSetup & { name: string }> {
  const setup = (await readChannelSetups(store, { includeDisabled: true })).find((s) => s.name === name);
  if (!setup) throw new SiyuError('not_found', 'channel_not_found', `no channel ${JSON.stringify(name)}`);
  return setup;
}

/**
 * The secret path segment of a channel's push URL, for providers that do not sign their pushes (Aliyun's HTTP
 * batch push): an HMAC of the channel name under its API secret, so only whoever configured the push knows it.
 */
export function pushToken(setup: ChannelSetup & { name: string }): string {
  const secret = setup.provider === 'aliyun_sms' ? setup.secrets.access_key_secret : setup.provider === 'tencent_sms' ? setup.secrets.secret_key : JSON.stringify(setup.secrets);
  return createHmac('sha256', secret).update(`push:${setup.name}`).digest('hex').slice(0, 32);
}

/** The URLs to give a provider for its pushes, under `base` (the server's public address). */
export async function pushUrls(store: Store, name: string, base: string): Promise<Record<string, string>> {
  const setup = await setupOf(store, name);
  const root = `${base.replace(/\/$/, '')}/v1/channels/${name}`;
  if (setup.provider === 'aliyun_sms') return { report: `${root}/push/${pushToken(setup)}/report`, up: `${root}/push/${pushToken(setup)}/up` };
  if (setup.provider === 'wecom') return { callback: `${root}/wecom` };
  return {};
}

/** Applies an Aliyun push (SmsReport receipts or SmsUp replies) after checking the URL's token; a wrong token is forbidden. */
export async function receiveAliyunPush(store: Store, name: string, token: string, kind: 'report' | 'up', body: unknown): Promise<FeedbackReport> {
  const setup = await setupOf(store, name);
  const expected = setup.provider === 'aliyun_sms' ? pushToken(setup) : undefined;
  if (!expected || token !== expected) throw new SiyuError('forbidden', 'bad_push_token', `not a push URL of channel ${name}`);
  return applyFeedback(store, name, 'phone', readAliyunPush(kind, body));
}

/** Undoes an email's one-click unsubscribe link (RFC 8058): withdraws the customer's email marketing consent, once. */
export async function unsubscribeByToken(store: Store, token: string, now = new Date()): Promise<{ customerId: string; channel: string; withdrawn: boolean }> {
  const read = readUnsubscribeToken(await unsubscribeSecret(store), token);
  if (!read) throw new SiyuError('forbidden', 'bad_unsubscribe_token', 'this unsubscribe link is not valid');
  const [row] = await store.query<{ email: string | null }>('SELECT email FROM customers WHERE customer_id = $1', [read.customerId]);
  if (!row?.email) return { customerId: read.customerId, channel: read.channel, withdrawn: false };
  const ring = await keyRingFor(store);
  const event: InboundMessage = { eventId: `unsubscribe:${read.messageId}`, kind: 'unsubscribe', from: openPii(ring, row.email), content: 'one-click unsubscribe (RFC 8058)', at: now };
  const report = await store.transaction(async (tx) => applyInbound(tx, ring, read.channel, 'email', [event], now));
  return { customerId: read.customerId, channel: read.channel, withdrawn: report.unsubscribed > 0 };
}

export interface WecomCallbackQuery {
  msg_signature: string;
  timestamp: string;
  nonce: string;
  echostr?: string;
}

/** How far a callback's timestamp may be from now before it counts as a replay. */
const CALLBACK_TOLERANCE_MS = 5 * 60_000;

/** The directory change a decrypted callback names, with the id it is processed once by; undefined for other events. */
function readDirectoryEvent(xml: string): { event: DirectoryEvent; eventId: string; from: string } | undefined {
  const field = (name: string) => xmlField(xml, name);
  const change = field('ChangeType') ?? '';
  const hash = (...parts: (string | undefined)[]) => createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32);
  const externalUserId = field('ExternalUserID');
  const chatId = field('ChatId');
  switch (field('Event')) {
    case 'change_external_contact':
      // The same id the contact events always had, so one recorded before this version is still a repeat.
      return externalUserId ? { event: { kind: 'contact', change, externalUserId }, eventId: hash(change, externalUserId, field('UserID'), field('CreateTime')), from: externalUserId } : undefined;
    case 'change_external_chat':
      return chatId ? { event: { kind: 'chat', change, chatId }, eventId: hash('chat', change, chatId, field('UpdateDetail'), field('CreateTime')), from: chatId } : undefined;
    case 'change_external_tag':
      return { event: { kind: 'tags', change }, eventId: hash('tag', change, field('Id'), field('TagType'), field('CreateTime')), from: field('Id') ?? '' };
    default:
      return undefined;
  }
}

/**
 * WeCom's callback: the URL check (GET, `echostr` decrypted and returned) and events (POST XML with `<Encrypt>`).
 * The signature, the timestamp (within 5 minutes) and the corp id sealed in the message are checked; anything else is
 * forbidden. A directory event (a contact's, a customer group's, the corp tags') is applied once, by its own fields:
 * WeCom is asked about just the contact (externalcontact/get), the group (groupchat/get) or the tags, and the answer
 * is written by the code the full sync uses, with the event recorded in the same transaction; then the customers
 * concerned get their reachability by the sync's rule. When WeCom cannot be asked, nothing is recorded and the
 * callback fails (503), so WeCom posts it again. An added contact also gets the welcome message, once, with the
 * WelcomeCode (valid for 20 s).
 */
export async function receiveWecomCallback(store: Store, name: string, query: WecomCallbackQuery, body: string | undefined, now = new Date()): Promise<string> {
  const setup = await setupOf(store, name);
  if (setup.provider !== 'wecom' || !setup.secrets.callback_token || !setup.secrets.encoding_aes_key) throw new SiyuError('not_found', 'no_callback', `channel ${name} takes no WeCom callbacks (set callback_token and encoding_aes_key)`);
  const { callback_token: token, encoding_aes_key: aesKey } = setup.secrets;
  const encrypt = body === undefined ? (query.echostr ?? '') : xmlField(body, 'Encrypt') ?? '';
  if (!wecomSignatureMatches(token, query.timestamp, query.nonce, encrypt, query.msg_signature)) throw new SiyuError('forbidden', 'bad_signature', 'the callback signature does not match');
  if (Math.abs(Number(query.timestamp) * 1000 - now.getTime()) > CALLBACK_TOLERANCE_MS) throw new SiyuError('forbidden', 'stale_callback', 'the callback timestamp is more than 5 minutes off: a replay, or a clock far out');
  let opened;
  try {
    opened = wecomDecrypt(aesKey, encrypt);
  } catch (error) {
    throw new SiyuError('forbidden', 'bad_ciphertext', `the callback does not decrypt: ${(error as Error).message}`);
  }
  if (opened.receiveId !== setup.settings.corp_id) throw new SiyuError('forbidden', 'wrong_corp', 'the callback was sealed for another corp');
  if (body === undefined) return opened.message;
  const xml = opened.message;
  const read = readDirectoryEvent(xml);
  if (!read) return 'success';
  const seen = await store.query('SELECT 1 FROM channel_events WHERE channel = $1 AND event_id = $2', [name, read.eventId]);
  if (seen.length > 0) return 'success';
  const api = wecomClient(setup);
  const state = await fetchDirectoryState(api, read.event);
  const ctx = await syncContext(store, name, now);
  const change = `${read.event.kind === 'contact' ? 'change_external_contact' : read.event.kind === 'chat' ? 'change_external_chat' : 'change_external_tag'}/${read.event.change}`;
  const fresh = await store.transaction(async (tx) => {
    // The event row is the gate: a callback delivered twice at once inserts it once, and the other writes nothing.
    const recorded = await tx.execute(
      `INSERT INTO channel_events (channel, event_id, kind, customer_id, detail, received_at) VALUES ($1, $2, 'directory_changed', NULL, $3, CAST($4 AS TIMESTAMPTZ)) ON CONFLICT (channel, event_id) DO NOTHING`,
      [name, read.eventId, change, now],
    );
    if (recorded === 0) return false;
    const customers = await applyDirectoryState(tx, ctx, state);
    await updateReachability(tx, ctx, await senderSeen(tx, name, setup.settings.sender), `callback ${change}`, customers);
    if (read.event.kind === 'contact') {
      await tx.execute(`UPDATE channel_events SET customer_id = (SELECT customer_id FROM identities WHERE type = 'external_userid' AND value = $3) WHERE channel = $1 AND event_id = $2`, [name, read.eventId, read.from]);
    }
    return true;
  });
  const welcomeCode = xmlField(xml, 'WelcomeCode');
  if (fresh && read.event.change === 'add_external_contact' && welcomeCode && setup.settings.welcome_text) {
    // Once: a repeated callback is not fresh and sends nothing; a second app would get 41051.
    await api.call('/cgi-bin/externalcontact/send_welcome_msg', { welcome_code: welcomeCode, text: { content: setup.settings.welcome_text } });
  }
  return 'success';
}

/**
 * The sender, when the channel's relations show the app sees that member (one of their follows is stored); else
 * undefined, and a follow by any member makes a customer reachable. The full sync asks get_follow_user_list instead.
 */
async function senderSeen(db: Queryable, channel: string, sender: string | undefined): Promise<string | undefined> {
  if (sender === undefined) return undefined;
  const rows = await db.query('SELECT 1 FROM wecom_follows WHERE channel = $1 AND userid = $2 LIMIT 1', [channel, sender]);
  return rows.length > 0 ? sender : undefined;
}
