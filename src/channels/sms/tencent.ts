import { createHash } from 'node:crypto';
import type { ChannelFeedback, InboundMessage, PollingChannel, Receipt, SendOutcome } from '../channel.ts';
import type { ChannelSetup } from '../config.ts';
import { mapConcurrent, RateLimiter } from '../rate-limit.ts';
import type { ChannelTemplate } from '../template-registry.ts';
import { chunkByPhone, prepareSms, unanswered, type PreparedSms } from './common.ts';
import { signTc3 } from './signing.ts';

type TencentSetup = Extract<ChannelSetup, { provider: 'tencent_sms' }>;

interface TencentResponse<T> {
  Response?: T & { Error?: { Code: string; Message: string }; RequestId?: string };
}

/** Error codes (whole request or one number) that mean "not now"; every other code is final. */
const retryable = (code: string) => code === 'RequestLimitExceeded' || code.startsWith('LimitExceeded');
/** A fault inside the provider: the message may or may not have gone out. */
const uncertain = (code: string) => code.startsWith('InternalError');

export interface TencentOptions {
  timeoutMs?: number;
  concurrency?: number;
  now?: () => Date;
}

/**
 * Tencent Cloud SMS (API 3.0, SendSms 2021-01-11), signed with TC3-HMAC-SHA256. One request takes up to 200
 * numbers with the same parameters, so a batch is grouped by template and parameter values; each number gets its own
 * status and SerialNo (the provider id receipts carry) and its billed parts (Fee). Receipts and replies are pulled
 * (PullSmsSendStatus, PullSmsReplyStatus).
 */
export function tencentSmsChannel(name: string, setup: TencentSetup, templates: readonly ChannelTemplate[], options: TencentOptions = {}): PollingChannel {
  const { settings, secrets } = setup;
  const limiter = new RateLimiter(settings.rate_per_second);
  const host = new URL(settings.endpoint).host;
  const call = async <T>(action: string, body: Record<string, unknown>): Promise<NonNullable<TencentResponse<T>['Response']>> => {
    const payload = JSON.stringify(body);
    const timestampSeconds = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
    const { authorization } = signTc3({ secretId: secrets.secret_id, secretKey: secrets.secret_key, service: 'sms', host, payload, timestampSeconds });
    await limiter.take();
    const response = await fetch(settings.endpoint, {
      method: 'POST',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      headers: { 'content-type': 'application/json; charset=utf-8', authorization, 'x-tc-action': action, 'x-tc-version': '2021-01-11', 'x-tc-timestamp': String(timestampSeconds), 'x-tc-region': settings.region },
      body: payload,
    });
    const text = await response.text();
    let parsed: TencentResponse<T>;
    try {
      parsed = JSON.parse(text) as TencentResponse<T>;
    } catch {
      throw new Error(`HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 80)}`);
    }
    if (!parsed.Response) throw new Error(`HTTP ${response.status} without a Response`);
    return parsed.Response;
  };
  const sendChunk = async (chunk: PreparedSms[]): Promise<SendOutcome[]> => {
    const first = chunk[0]!;
    let answer;
    try {
      answer = await call<{ SendStatusSet?: { SerialNo: string; PhoneNumber: string; Fee: number; Code: string; Message: string }[] }>('SendSms', {
        PhoneNumberSet: chunk.map((p) => p.phone),
        SmsSdkAppId: settings.sdk_app_id,
        TemplateId: first.template.providerCode,
        SignName: settings.sign_name,
        TemplateParamSet: first.template.params.map((p) => first.params[p] ?? ''),
        SessionContext: chunk.length === 1 ? first.message.messageId : '',
      });
    } catch (error) {
      return unanswered(chunk, error);
    }
    if (answer.Error) {
      const { Code, Message } = answer.Error;
      if (retryable(Code)) return chunk.map((p) => ({ messageId: p.message.messageId, outcome: 'retry', reason: `${Code}: ${Message}`, retryAfterMs: 5_000 }));
      if (uncertain(Code)) return chunk.map((p) => ({ messageId: p.message.messageId, outcome: 'unknown', reason: `${Code}: ${Message}; waiting for a receipt` }));
      return chunk.map((p) => ({ messageId: p.message.messageId, outcome: 'rejected', reason: `${Code}: ${Message}` }));
    }
    const statuses = new Map((answer.SendStatusSet ?? []).map((s) => [s.PhoneNumber, s]));
    return chunk.map((p): SendOutcome => {
      const s = statuses.get(p.phone);
      if (!s) return { messageId: p.message.messageId, outcome: 'unknown', reason: 'the answer has no status for this number; waiting for a receipt' };
      if (s.Code === 'Ok') return { messageId: p.message.messageId, outcome: 'accepted', providerId: s.SerialNo, costFen: (s.Fee || p.parts) * settings.cost_fen_per_part };
      if (retryable(s.Code)) return { messageId: p.message.messageId, outcome: 'retry', reason: `${s.Code}: ${s.Message}`, retryAfterMs: s.Code.includes('Daily') ? 3_600_000 : 5_000 };
      return { messageId: p.message.messageId, outcome: 'rejected', reason: `${s.Code}: ${s.Message}` };
    });
  };
  return {
    name,
    address: 'phone',
    batchSize: 1000,
    async send(messages) {
      const { ready, rejected } = prepareSms(messages, templates, settings.sign_name);
      const groups = new Map<string, PreparedSms[]>();
      for (const p of ready) {
        const key = JSON.stringify([p.template.providerCode, p.template.params.map((k) => p.params[k])]);
        groups.set(key, [...(groups.get(key) ?? []), p]);
      }
      const chunks = [...groups.values()].flatMap((group) => chunkByPhone(group, 200));
      const results = await mapConcurrent(chunks, options.concurrency ?? 8, sendChunk);
      return [...rejected, ...results.flat()];
    },
    async poll(): Promise<ChannelFeedback> {
      const receipts: Receipt[] = [];
      const inbound: InboundMessage[] = [];
      for (let page = 0; page < 100; page++) {
        const r = await call<{ PullSmsSendStatusSet?: { SerialNo: string; ReportStatus: string; Description?: string; UserReceiveUnixTime?: number }[] }>('PullSmsSendStatus', { Limit: 100, SmsSdkAppId: settings.sdk_app_id });
        if (r.Error) throw new Error(`PullSmsSendStatus: ${r.Error.Code}: ${r.Error.Message}`);
        const set = r.PullSmsSendStatusSet ?? [];
        for (const s of set) receipts.push({ providerId: s.SerialNo, state: s.ReportStatus === 'SUCCESS' ? 'delivered' : 'failed', at: s.UserReceiveUnixTime ? new Date(s.UserReceiveUnixTime * 1000) : new Date(), reason: s.ReportStatus === 'SUCCESS' ? undefined : s.Description });
        if (set.length < 100) break;
      }
      for (let page = 0; page < 100; page++) {
        const r = await call<{ PullSmsReplyStatusSet?: { PhoneNumber: string; ReplyContent: string; ReplyUnixTime: number }[] }>('PullSmsReplyStatus', { Limit: 100, SmsSdkAppId: settings.sdk_app_id });
        if (r.Error) throw new Error(`PullSmsReplyStatus: ${r.Error.Code}: ${r.Error.Message}`);
        const set = r.PullSmsReplyStatusSet ?? [];
        for (const s of set) {
          const eventId = `reply:${createHash('sha256').update(`${s.PhoneNumber}|${s.ReplyUnixTime}|${s.ReplyContent}`).digest('hex').slice(0, 24)}`;
          inbound.push({ eventId, kind: 'reply', from: s.PhoneNumber, content: s.ReplyContent, at: new Date(s.ReplyUnixTime * 1000) });
        }
        if (set.length < 100) break;
      }
      return { receipts, inbound };
    },
  };
}
