import { createHash, createHmac } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import { keyRingFor, openPii } from '../privacy/index.ts';
import type { Store } from '../store/index.ts';
import type { InboundMessage } from './channel.ts';
import { readChannelSetups, type ChannelSetup } from './config.ts';
import { readUnsubscribeToken, unsubscribeSecret } from './email.ts';
import { applyFeedback, applyInbound, type FeedbackReport } from './feedback.ts';
import { readAliyunPush } from './sms/aliyun.ts';
import { wecomClient } from './wechat/channels.ts';
import { wecomDecrypt, wecomSignatureMatches, xmlField } from './wechat/crypto.ts';

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

/**
 * WeCom's callback: the URL check (GET, `echostr` decrypted and returned) and events (POST XML with `<Encrypt>`).
 * The signature, the timestamp (within 5 minutes) and the corp id sealed in the message are checked; anything else is
 * forbidden. Contact events are applied once each (by their own fields): a customer deleting the member
 * (del_follow_user) or the member deleting them marks them unreachable on the channel; an added contact is
 * reachable and gets the welcome message, once, with the WelcomeCode (which is valid for 20 s).
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
  const change = xmlField(xml, 'ChangeType');
  const externalUserId = xmlField(xml, 'ExternalUserID');
  if (xmlField(xml, 'Event') !== 'change_external_contact' || !change || !externalUserId) return 'success';
  const eventId = createHash('sha256').update([change, externalUserId, xmlField(xml, 'UserID'), xmlField(xml, 'CreateTime')].join('|')).digest('hex').slice(0, 32);
  const at = new Date(Number(xmlField(xml, 'CreateTime') ?? 0) * 1000 || now.getTime());
  const kind = change === 'add_external_contact' ? 'contact_added' : change === 'del_follow_user' || change === 'del_external_contact' ? 'contact_deleted' : undefined;
  if (!kind) return 'success';
  const ring = await keyRingFor(store);
  const report = await store.transaction(async (tx) => applyInbound(tx, ring, name, 'external_userid', [{ eventId, kind, from: externalUserId, content: change, at }], now));
  const welcomeCode = xmlField(xml, 'WelcomeCode');
  if (kind === 'contact_added' && report.inbound === 1 && welcomeCode && setup.settings.welcome_text) {
    // Once: a repeated callback is not fresh (report.inbound 0) and sends nothing; a second app would get 41051.
    await wecomClient(setup).call('/cgi-bin/externalcontact/send_welcome_msg', { welcome_code: welcomeCode, text: { content: setup.settings.welcome_text } });
  }
  return 'success';
}
