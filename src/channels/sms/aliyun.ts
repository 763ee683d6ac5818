import { createHash, randomUUID } from 'node:crypto';
import type { Channel, ChannelFeedback, InboundMessage, Receipt, SendOutcome } from '../channel.ts';
import type { ChannelSetup } from '../config.ts';
import { mapConcurrent, RateLimiter } from '../rate-limit.ts';
import type { ChannelTemplate } from '../template-registry.ts';
import { chunkByPhone, e164, prepareSms, unanswered, type PreparedSms } from './common.ts';
import { signAliyunV1 } from './signing.ts';

type AliyunSetup = Extract<ChannelSetup, { provider: 'aliyun_sms' }>;

/** Aliyun's codes that mean "not now" (flow control, throttling, a passing fault); every other code is final. */
const RETRYABLE = new Set(['isv.BUSINESS_LIMIT_CONTROL', 'Throttling', 'Throttling.User', 'Throttling.Api', 'ServiceUnavailable', 'InternalError']);

/** Aliyun numbers: mainland without the country code, others with 00. */
const aliyunPhone = (phone: string) => (phone.startsWith('+86') ? phone.slice(3) : `00${phone.slice(1)}`);

export interface AliyunOptions {
  timeoutMs?: number;
  concurrency?: number;
  now?: () => Date;
}

/**
 * Aliyun SMS (dysmsapi 2017-05-25), signed with RPC signature v1. A batch is grouped by template: one message goes by
 * SendSms, several by SendBatchSms (≤100 numbers, each with its own parameters). One BizId covers a request, so each
 * message's provider id is `BizId:number`, which the receipts carry back. SendSms is not idempotent, so a request
 * without an answer leaves its messages unknown until a receipt says.
 */
export function aliyunSmsChannel(name: string, setup: AliyunSetup, templates: readonly ChannelTemplate[], options: AliyunOptions = {}): Channel {
  const { settings, secrets } = setup;
  const limiter = new RateLimiter(settings.rate_per_second);
  const call = async (action: string, params: Record<string, string>): Promise<{ Code?: string; Message?: string; BizId?: string }> => {
    const all: Record<string, string> = {
      AccessKeyId: secrets.access_key_id,
      Action: action,
      Format: 'JSON',
      RegionId: settings.region,
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: randomUUID(),
      SignatureVersion: '1.0',
      Timestamp: (options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      Version: '2017-05-25',
      ...params,
    };
    all.Signature = signAliyunV1('POST', all, secrets.access_key_secret);
    await limiter.take();
    const response = await fetch(settings.endpoint, { method: 'POST', signal: AbortSignal.timeout(options.timeoutMs ?? 10_000), headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(all).toString() });
    const text = await response.text();
    try {
      return JSON.parse(text) as { Code?: string; Message?: string; BizId?: string };
    } catch {
      throw new Error(`HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 80)}`);
    }
  };
  const sendChunk = async (chunk: PreparedSms[]): Promise<SendOutcome[]> => {
    const code = chunk[0]!.template.providerCode;
    let answer;
    try {
      answer =
        chunk.length === 1
          ? await call('SendSms', { PhoneNumbers: aliyunPhone(chunk[0]!.phone), SignName: settings.sign_name, TemplateCode: code, TemplateParam: JSON.stringify(chunk[0]!.params), OutId: chunk[0]!.message.messageId })
          : await call('SendBatchSms', {
              PhoneNumberJson: JSON.stringify(chunk.map((p) => aliyunPhone(p.phone))),
              SignNameJson: JSON.stringify(chunk.map(() => settings.sign_name)),
              TemplateCode: code,
              TemplateParamJson: JSON.stringify(chunk.map((p) => p.params)),
            });
    } catch (error) {
      return unanswered(chunk, error);
    }
    if (answer.Code === 'OK' && answer.BizId) return chunk.map((p) => ({ messageId: p.message.messageId, outcome: 'accepted', providerId: `${answer.BizId}:${aliyunPhone(p.phone)}`, costFen: p.parts * settings.cost_fen_per_part }));
    const reason = `${answer.Code ?? 'no Code'}: ${answer.Message ?? ''}`.trim();
    if (answer.Code && RETRYABLE.has(answer.Code)) return chunk.map((p) => ({ messageId: p.message.messageId, outcome: 'retry', reason, retryAfterMs: answer.Code === 'isv.BUSINESS_LIMIT_CONTROL' ? 3_600_000 : 5_000 }));
    if (!answer.Code) return chunk.map((p) => ({ messageId: p.message.messageId, outcome: 'unknown', reason: 'an answer without a Code; waiting for a receipt' }));
    return chunk.map((p) => ({ messageId: p.message.messageId, outcome: 'rejected', reason }));
  };
  return {
    name,
    address: 'phone',
    batchSize: 1000,
    async send(messages) {
      const { ready, rejected } = prepareSms(messages, templates, settings.sign_name);
      const byTemplate = new Map<string, PreparedSms[]>();
      for (const p of ready) byTemplate.set(p.template.providerCode, [...(byTemplate.get(p.template.providerCode) ?? []), p]);
      const chunks = [...byTemplate.values()].flatMap((group) => chunkByPhone(group, 100));
      const results = await mapConcurrent(chunks, options.concurrency ?? 8, sendChunk);
      return [...rejected, ...results.flat()];
    },
  };
}

interface AliyunReport {
  phone_number?: string;
  success?: boolean;
  err_code?: string;
  err_msg?: string;
  report_time?: string;
  biz_id?: string;
}
interface AliyunUp {
  phone_number?: string;
  content?: string;
  send_time?: string;
  sequence_id?: number | string;
}

/** Aliyun times are Beijing time without a zone: `2017-02-02 22:23:24`. */
const beijing = (text: string | undefined) => (text ? new Date(`${text.replace(' ', 'T')}+08:00`) : new Date());

/**
 * Reads Aliyun's HTTP batch pushes: `SmsReport` (a JSON array of receipts) and `SmsUp` (a JSON array of replies).
 * Entries without the fields that identify them are dropped.
 */
export function readAliyunPush(kind: 'report' | 'up', body: unknown): ChannelFeedback {
  const items = Array.isArray(body) ? (body as Record<string, unknown>[]) : [];
  if (kind === 'report') {
    const receipts: Receipt[] = (items as AliyunReport[])
      .filter((r) => r.biz_id && r.phone_number)
      .map((r) => ({ providerId: `${r.biz_id}:${r.phone_number}`, state: r.success === true ? 'delivered' : 'failed', at: beijing(r.report_time), reason: r.success === true ? undefined : `${r.err_code ?? ''} ${r.err_msg ?? ''}`.trim() }));
    return { receipts, inbound: [] };
  }
  const inbound: InboundMessage[] = (items as AliyunUp[])
    .filter((u) => u.phone_number && typeof u.content === 'string')
    .map((u) => ({ eventId: `up:${u.sequence_id ?? createHash('sha256').update(`${u.phone_number}|${u.send_time}|${u.content}`).digest('hex').slice(0, 24)}`, kind: 'reply', from: e164(u.phone_number!), content: u.content!, at: beijing(u.send_time) }));
  return { receipts: [], inbound };
}
