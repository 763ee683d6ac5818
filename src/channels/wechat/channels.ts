import type { Store } from '../../store/index.ts';
import { dialect, jsonRowsParam } from '../../store/index.ts';
import type { Channel, ChannelFeedback, InboundMessage, OutgoingMessage, PollingChannel, Receipt, SendOutcome } from '../channel.ts';
import type { ChannelSetup } from '../config.ts';
import type { ChannelTemplate } from '../template-registry.ts';
import { callWx, stableTokenFetcher, wecomTokenFetcher } from './api.ts';
import { TOKENS } from './token.ts';

type WecomSetup = Extract<ChannelSetup, { provider: 'wecom' }>;
type MiniSetup = Extract<ChannelSetup, { provider: 'miniprogram' }>;

const RATE_LIMITED = new Set([45009, 45033, 45011, -1]);

const failAll = (messages: readonly OutgoingMessage[], error: unknown): SendOutcome[] => {
  const refused = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(String((error as { cause?: unknown }).cause ?? error));
  return messages.map((m) => (refused ? { messageId: m.messageId, outcome: 'retry', reason: `not reachable: ${(error as Error).message}`, retryAfterMs: 60_000 } : { messageId: m.messageId, outcome: 'unknown', reason: `no usable answer: ${(error as Error).message}` }));
};

/** WeCom mass-send result statuses (get_groupmsg_send_result): 1 sent; 2 not a contact; 3 already got a mass send. */
const SEND_STATUS: Record<number, Receipt['state'] | undefined> = { 1: 'delivered', 2: 'failed', 3: 'failed' };
const SEND_REASON: Record<number, string> = { 2: 'not a contact of the sender (客户不是好友)', 3: 'already received another mass send (已收到其他群发)' };

/** The WeCom API client of one configured corp app: `call(path, body)` POSTs, `call(path)` GETs. */
export function wecomClient(setup: WecomSetup, timeoutMs?: number) {
  const { settings, secrets } = setup;
  const key = TOKENS.key(settings.corp_id, secrets.secret);
  const fetcher = wecomTokenFetcher(settings.endpoint, settings.corp_id, secrets.secret, timeoutMs);
  return { call: (path: string, body?: unknown) => callWx(settings.endpoint, key, fetcher, path, body, timeoutMs) };
}

/**
 * WeCom 客户联系 enterprise mass sends (add_msg_template): messages with the same text go as one task to their
 * external contacts; nothing reaches a customer until the sending member confirms in the client, so a message is
 * `handed_over` with the id `msgid:external_userid`, and `poll` reconciles it from get_groupmsg_task and
 * get_groupmsg_send_result (delivered, or failed: not a contact, or over the platform's mass-send limit).
 */
export function wecomChannel(name: string, setup: WecomSetup, store: Store, options: { timeoutMs?: number } = {}): PollingChannel {
  const api = wecomClient(setup, options.timeoutMs);
  const sendGroup = async (messages: OutgoingMessage[]): Promise<SendOutcome[]> => {
    let answer;
    try {
      answer = await api.call('/cgi-bin/externalcontact/add_msg_template', { chat_type: 'single', external_userid: messages.map((m) => m.to), sender: setup.settings.sender, allow_select: false, text: { content: messages[0]!.body } });
    } catch (error) {
      return failAll(messages, error);
    }
    if (answer.errcode && RATE_LIMITED.has(answer.errcode)) return messages.map((m) => ({ messageId: m.messageId, outcome: 'retry', reason: `${answer.errcode}: ${answer.errmsg}`, retryAfterMs: 60_000 }));
    if (answer.errcode || typeof answer.msgid !== 'string') return messages.map((m) => ({ messageId: m.messageId, outcome: 'rejected', reason: `${answer.errcode}: ${answer.errmsg}` }));
    const failed = new Set((answer.fail_list as string[] | undefined) ?? []);
    return messages.map((m) => (failed.has(m.to) ? { messageId: m.messageId, outcome: 'rejected', reason: 'in fail_list: not a contact, or over the monthly mass-send limit' } : { messageId: m.messageId, outcome: 'accepted', providerId: `${answer.msgid}:${m.to}` }));
  };
  return {
    name,
    address: 'external_userid',
    batchSize: 10_000,
    async send(messages) {
      const groups = new Map<string, OutgoingMessage[]>();
      for (const m of messages) groups.set(m.body, [...(groups.get(m.body) ?? []), m]);
      return (await Promise.all([...groups.values()].map(sendGroup))).flat();
    },
    async poll(): Promise<ChannelFeedback> {
      const rows = await store.query<{ provider_id: string }>(`SELECT DISTINCT provider_id FROM outbound_messages WHERE channel = $1 AND state = 'handed_over' AND provider_id IS NOT NULL`, [name]);
      const msgids = [...new Set(rows.map((r) => r.provider_id.split(':')[0]!))];
      const receipts: Receipt[] = [];
      const inbound: InboundMessage[] = [];
      for (const msgid of msgids.slice(0, 100)) {
        const task = await api.call('/cgi-bin/externalcontact/get_groupmsg_task', { msgid, limit: 1000 });
        for (const member of ((task.task_list as { userid: string }[] | undefined) ?? [])) {
          let cursor = '';
          for (let page = 0; page < 100; page++) {
            const result = await api.call('/cgi-bin/externalcontact/get_groupmsg_send_result', { msgid, userid: member.userid, limit: 1000, cursor });
            for (const s of (result.send_list as { external_userid: string; status: number; send_time?: number }[] | undefined) ?? []) {
              const state = SEND_STATUS[s.status];
              if (state) receipts.push({ providerId: `${msgid}:${s.external_userid}`, state, at: s.send_time ? new Date(s.send_time * 1000) : new Date(), reason: SEND_REASON[s.status] });
              if (s.status === 2) inbound.push({ eventId: `not-contact:${msgid}:${s.external_userid}`, kind: 'contact_deleted', from: s.external_userid, content: 'not a contact of the sender', at: new Date() });
            }
            cursor = String(result.next_cursor ?? '');
            if (!cursor) break;
          }
        }
      }
      return { receipts, inbound };
    },
  };
}

/**
 * Mini-program subscription messages (subscribeMessage.send) with the stable access token. Each send spends one
 * credit of the (openid, template) ledger first; with none, the message is refused without calling the platform.
 * 43101 (the user refused or cancelled) zeroes the credits; an error the platform raises before using the credit
 * (a bad value, a busy platform) gives it back.
 */
export function miniprogramChannel(name: string, setup: MiniSetup, store: Store, templates: readonly ChannelTemplate[], options: { timeoutMs?: number } = {}): Channel {
  const { settings, secrets } = setup;
  const key = TOKENS.key(settings.app_id, secrets.app_secret);
  const fetcher = stableTokenFetcher(settings.endpoint, settings.app_id, secrets.app_secret, options.timeoutMs);
  const byKey = new Map<string, ChannelTemplate>();
  for (const t of templates) byKey.set(t.name, t).set(t.providerCode, t);
  const credit = async (m: OutgoingMessage, templateId: string, delta: number | 'zero') => {
    if (delta === 'zero') await store.execute('UPDATE subscription_credits SET credits = 0, updated_at = now() WHERE openid = $1 AND template_id = $2', [m.to, templateId]);
    else await store.execute('UPDATE subscription_credits SET credits = credits + $3, updated_at = now() WHERE openid = $1 AND template_id = $2', [m.to, templateId, delta]);
  };
  const sendOne = async (m: OutgoingMessage): Promise<SendOutcome> => {
    const template = m.template ? byKey.get(m.template) : undefined;
    if (!template) return { messageId: m.messageId, outcome: 'rejected', reason: `no template ${JSON.stringify(m.template ?? null)} is registered for this channel` };
    const taken = await store.execute('UPDATE subscription_credits SET credits = credits - 1, updated_at = now() WHERE openid = $1 AND template_id = $2 AND credits > 0', [m.to, template.providerCode]);
    if (taken === 0) return { messageId: m.messageId, outcome: 'rejected', reason: `no subscription credit for template ${template.providerCode}: the customer has not accepted it (again)` };
    const data = Object.fromEntries(Object.entries(m.params ?? {}).map(([k, v]) => [k, { value: v }]));
    let answer;
    try {
      answer = await callWx(settings.endpoint, key, fetcher, '/cgi-bin/message/subscribe/send', { touser: m.to, template_id: template.providerCode, page: (m.meta.page as string | undefined) ?? undefined, data, miniprogram_state: settings.state, lang: settings.lang }, options.timeoutMs);
    } catch (error) {
      return failAll([m], error)[0]!;
    }
    if (!answer.errcode) return { messageId: m.messageId, outcome: 'delivered', providerId: String(answer.msgid ?? m.messageId) };
    if (answer.errcode === 43101) {
      await credit(m, template.providerCode, 'zero');
      return { messageId: m.messageId, outcome: 'rejected', reason: '43101: the user refused or cancelled the subscription; credits zeroed' };
    }
    await credit(m, template.providerCode, 1);
    if (RATE_LIMITED.has(answer.errcode)) return { messageId: m.messageId, outcome: 'retry', reason: `${answer.errcode}: ${answer.errmsg}`, retryAfterMs: 60_000 };
    return { messageId: m.messageId, outcome: 'rejected', reason: `${answer.errcode}: ${answer.errmsg}` };
  };
  return { name, address: 'openid', batchSize: 100, send: async (messages) => Promise.all(messages.map(sendOne)) };
}

/** One result of `wx.requestSubscribeMessage` (or a subscribe_msg_popup_event): per openid and template. */
export interface SubscriptionResult {
  openid: string;
  templateId: string;
  result: 'accept' | 'reject' | 'ban';
}

/**
 * Feeds the credit ledger: each accept adds one credit; a ban zeroes them; a reject changes nothing. Openids not
 * linked to a customer (identities type openid:<app>) are returned as unmatched and not recorded.
 */
export async function recordSubscriptions(store: Store, results: readonly SubscriptionResult[], now = new Date()): Promise<{ recorded: number; unmatched: string[] }> {
  const d = dialect(store.kind);
  const owners = new Map(
    (await store.query<{ value: string; customer_id: string }>(`SELECT i.value, i.customer_id FROM identities i JOIN ${d.jsonRows('$1', ['v'])} k ON k.v = i.value WHERE i.type LIKE 'openid:%'`, [jsonRowsParam([...new Set(results.map((r) => [r.openid]))])])).map((r) => [r.value, r.customer_id]),
  );
  let recorded = 0;
  await store.transaction(async (tx) => {
    for (const r of results) {
      const customerId = owners.get(r.openid);
      if (!customerId || r.result === 'reject') continue;
      const accept = r.result === 'accept';
      await tx.insertRows('subscription_credits', ['customer_id', 'openid', 'template_id', 'credits', 'updated_at'], [[customerId, r.openid, r.templateId, accept ? 1 : 0, now]], `(customer_id, openid, template_id) DO UPDATE SET credits = ${accept ? 'subscription_credits.credits + 1' : '0'}, updated_at = excluded.updated_at`);
      recorded++;
    }
  });
  return { recorded, unmatched: [...new Set(results.filter((r) => !owners.has(r.openid)).map((r) => r.openid))] };
}
