import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { signAliyunV1, signTc3 } from '../sms/signing.ts';
import { fillTemplate, smsParts, SMS_UNSUBSCRIBE_TEXT } from '../sms/text.ts';
import { draw, pause, readBody, SecondWindow, sendJson, type Misbehaviour, type Random, type SimulatedSms } from './common.ts';

/** A template the simulated provider has approved. */
export interface SimulatedTemplate {
  body: string;
  kind: 'marketing' | 'notification' | 'verification';
  /** Parameter names in placeholder order (Tencent's {1}, {2}…). */
  params?: string[];
}

interface PendingReceipt {
  provider: 'aliyun' | 'tencent';
  id: string;
  phone: string;
  bizId?: string;
  dueAt: number;
}

/** The shared state of the simulated SMS providers. */
export class SmsSimulator {
  readonly sent: SimulatedSms[] = [];
  private readonly pending: PendingReceipt[] = [];
  private readonly tencentReceipts: object[] = [];
  private readonly tencentReplies: object[] = [];
  private readonly aliyunWindow = new SecondWindow();
  private readonly tencentWindow = new SecondWindow();
  private readonly nonces = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** Where Aliyun pushes SmsReport and SmsUp (the channel's callback URLs), set with `pushTo`. */
  private aliyunPush: { report?: string; up?: string } = {};

  constructor(
    private readonly random: Random,
    private readonly m: Misbehaviour,
    private readonly credentials: { aliyun: Record<string, string>; tencent: Record<string, string> },
    readonly templates: Map<string, SimulatedTemplate>,
    private readonly signName: string,
  ) {
    if (m.receiptDelayMs !== undefined) this.timer = setInterval(() => void this.releaseReceipts(Date.now()), Math.max(50, Math.min(1000, m.receiptDelayMs)));
  }

  pushTo(urls: { report?: string; up?: string }): void {
    this.aliyunPush = urls;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Releases the receipts due by `upTo` (all, by default): Aliyun's are pushed to its report URL, Tencent's wait to be
   * pulled. A seeded share of delivered recipients reply with an unsubscribe keyword. Returns how many were released.
   */
  async releaseReceipts(upTo = Number.POSITIVE_INFINITY): Promise<number> {
    const due = this.pending.filter((p) => p.dueAt <= upTo);
    if (due.length === 0) return 0;
    this.pending.splice(0, this.pending.length, ...this.pending.filter((p) => p.dueAt > upTo));
    const aliyun: object[] = [];
    const beijing = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    for (const p of due) {
      const delivered = this.random.next() < (this.m.deliveryRate ?? 0.97);
      const now = new Date();
      if (p.provider === 'aliyun') {
        aliyun.push({ phone_number: p.phone, send_time: beijing(now), report_time: beijing(now), success: delivered, err_code: delivered ? 'DELIVERED' : 'MK:0012', err_msg: delivered ? '用户接收成功' : '号码状态异常', sms_size: '1', biz_id: p.bizId, out_id: '' });
      } else {
        this.tencentReceipts.push({ UserReceiveTime: now.toISOString(), UserReceiveUnixTime: Math.floor(now.getTime() / 1000), CountryCode: '86', SubscriberNumber: p.phone.slice(3), PhoneNumber: p.phone, SerialNo: p.id, ReportStatus: delivered ? 'SUCCESS' : 'FAIL', Description: delivered ? '用户短信接收成功' : 'MK:0012', SessionContext: '' });
      }
      if (delivered && this.random.next() < (this.m.replyRate ?? 0)) await this.reply(p.provider, p.phone, this.random.pick(['R', 'TD', '退订']));
    }
    if (aliyun.length > 0) await this.push('report', aliyun, () => due.filter((p) => p.provider === 'aliyun').forEach((p) => this.pending.push(p)));
    return due.length;
  }

  /** A customer replies to an SMS: pushed at once (Aliyun) or kept for the next pull (Tencent). */
  async reply(provider: 'aliyun' | 'tencent', phone: string, content: string, at = new Date()): Promise<void> {
    if (provider === 'tencent') {
      const e164 = phone.startsWith('+') ? phone : `+86${phone}`;
      this.tencentReplies.push({ ExtendCode: '', CountryCode: '86', SubscriberNumber: e164.slice(3), PhoneNumber: e164, SignName: this.signName, ReplyContent: content, ReplyTime: at.toISOString(), ReplyUnixTime: Math.floor(at.getTime() / 1000) });
      return;
    }
    const local = phone.replace(/^\+86/, '');
    const sequence = Number.parseInt(createHash('sha256').update(`${local}${at.getTime()}${content}`).digest('hex').slice(0, 12), 16);
    await this.push('up', [{ phone_number: local, send_time: new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' '), content, sign_name: this.signName, dest_code: '', sequence_id: sequence }], () => undefined);
  }

  private async push(kind: 'report' | 'up', items: object[], onFailure: () => void): Promise<void> {
    const url = this.aliyunPush[kind];
    if (!url) return onFailure();
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(items), signal: AbortSignal.timeout(30_000) });
      await response.body?.cancel();
      if (!response.ok) onFailure();
    } catch {
      onFailure();
    }
  }

  private schedule(provider: 'aliyun' | 'tencent', id: string, phone: string, bizId?: string): void {
    this.pending.push({ provider, id, phone, bizId, dueAt: this.m.receiptDelayMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + this.m.receiptDelayMs });
  }

  private hex(n: number): string {
    return Array.from({ length: n }, () => Math.floor(this.random.next() * 16).toString(16)).join('');
  }

  /** Aliyun dysmsapi: form-encoded POST (or GET), signature v1 checked, SendSms and SendBatchSms. */
  async aliyun(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = request.method === 'GET' ? (request.url ?? '').split('?')[1] ?? '' : await readBody(request);
    const params = Object.fromEntries(new URLSearchParams(raw));
    const requestId = this.hex(32);
    const answer = (status: number, code: string, message: string, extra: object = {}) => sendJson(response, status, { RequestId: requestId, Code: code, Message: message, ...extra });
    await pause(this.m.delayMs);
    const secret = this.credentials.aliyun[params.AccessKeyId ?? ''];
    if (!secret) return answer(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    if (params.Signature !== signAliyunV1(request.method ?? 'POST', params, secret)) return answer(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
    if (Math.abs(Date.parse(params.Timestamp ?? '') - Date.now()) > 15 * 60_000 || Number.isNaN(Date.parse(params.Timestamp ?? ''))) return answer(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    if (this.nonces.has(params.SignatureNonce ?? '')) return answer(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    this.nonces.add(params.SignatureNonce ?? '');
    if (!this.aliyunWindow.admit(this.m.ratePerSecond)) return answer(400, 'Throttling.User', 'Request was denied due to user flow control.');
    const luck = draw(this.random, this.m);
    if (luck === 'garbage') return void response.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
    if (luck === 'busy') return answer(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
    let phones: string[];
    let paramSets: unknown[];
    if (params.Action === 'SendSms') {
      phones = (params.PhoneNumbers ?? '').split(',');
      if (phones.length > 1000) return answer(200, 'isv.BUSINESS_LIMIT_CONTROL', 'PhoneNumbers over 1000');
      paramSets = phones.map(() => params.TemplateParam);
    } else if (params.Action === 'SendBatchSms') {
      try {
        phones = JSON.parse(params.PhoneNumberJson ?? '[]') as string[];
        paramSets = (JSON.parse(params.TemplateParamJson ?? '[]') as unknown[]).map((p) => JSON.stringify(p));
      } catch {
        return answer(200, 'isv.INVALID_JSON_PARAM', 'JSON参数不合法');
      }
      if (phones.length > 100 || phones.length !== paramSets.length) return answer(200, 'isv.INVALID_PARAMETERS', 'PhoneNumberJson: at most 100, one TemplateParam each');
    } else {
      return answer(404, 'InvalidAction.NotFound', `Specified api is not found: ${params.Action}`);
    }
    if (phones.some((p) => !/^(1\d{10}|00\d{8,15})$/.test(p))) return answer(200, 'isv.MOBILE_NUMBER_ILLEGAL', '非法手机号');
    const template = this.templates.get(params.TemplateCode ?? '');
    if (this.templates.size > 0 && !template) return answer(200, 'isv.SMS_TEMPLATE_ILLEGAL', '模板不合法(不存在或被拉黑)');
    const parsedParams: Record<string, string>[] = [];
    for (const set of paramSets) {
      let value: unknown;
      try {
        value = set === undefined ? {} : JSON.parse(String(set));
      } catch {
        return answer(200, 'isv.INVALID_JSON_PARAM', 'JSON参数不合法');
      }
      if (typeof value !== 'object' || value === null || Object.values(value).some((v) => typeof v !== 'string')) return answer(200, 'isv.INVALID_JSON_PARAM', 'JSON参数不合法，只接受字符串值');
      const missing = (template?.params ?? []).filter((k) => (value as Record<string, string>)[k] === undefined);
      if (missing.length > 0) return answer(200, 'isv.TEMPLATE_MISSING_PARAMETERS', `模版缺少变量: ${missing.join(',')}`);
      parsedParams.push(value as Record<string, string>);
    }
    const bizId = `${Date.now()}${this.hex(6)}^0`;
    phones.forEach((phone, i) => {
      this.sent.push({ provider: 'aliyun', id: `${bizId}:${phone}`, phone, template: params.TemplateCode ?? '', params: parsedParams[i]!, at: new Date() });
      this.schedule('aliyun', `${bizId}:${phone}`, phone, bizId);
    });
    return answer(200, 'OK', 'OK', { BizId: bizId });
  }

  /** Tencent Cloud SMS 2021-01-11: JSON POST, TC3-HMAC-SHA256 checked, SendSms, PullSmsSendStatus, PullSmsReplyStatus. */
  async tencent(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const payload = await readBody(request);
    const requestId = `${this.hex(8)}-${this.hex(4)}-${this.hex(4)}-${this.hex(4)}-${this.hex(12)}`;
    const fail = (code: string, message: string) => sendJson(response, 200, { Response: { Error: { Code: code, Message: message }, RequestId: requestId } });
    await pause(this.m.delayMs);
    const auth = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/(\w+)\/tc3_request, SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$/.exec(String(request.headers.authorization ?? ''));
    if (!auth) return fail('AuthFailure.SignatureFailure', 'The Authorization header is missing or malformed.');
    const secretKey = this.credentials.tencent[auth[1]!];
    if (!secretKey) return fail('AuthFailure.SecretIdNotFound', 'The SecretId is not found.');
    const timestamp = Number(request.headers['x-tc-timestamp']);
    if (!Number.isInteger(timestamp) || Math.abs(timestamp * 1000 - Date.now()) > 300_000) return fail('AuthFailure.SignatureExpire', 'Signature expired: the timestamp is more than 5 minutes off.');
    const expected = signTc3({ secretId: auth[1]!, secretKey, service: auth[3]!, host: String(request.headers.host), payload, timestampSeconds: timestamp, contentType: String(request.headers['content-type']) });
    if (expected.signature !== auth[4]) return fail('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
    if (!this.tencentWindow.admit(this.m.ratePerSecond)) return fail('RequestLimitExceeded', 'Your current request times exceeds the limit.');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      return fail('InvalidParameter', 'The body is not JSON.');
    }
    const action = request.headers['x-tc-action'];
    if (action === 'PullSmsSendStatus' || action === 'PullSmsReplyStatus') {
      const queue = action === 'PullSmsSendStatus' ? this.tencentReceipts : this.tencentReplies;
      const taken = queue.splice(0, Math.min(Number(body.Limit ?? 100), 100));
      return sendJson(response, 200, { Response: { [action === 'PullSmsSendStatus' ? 'PullSmsSendStatusSet' : 'PullSmsReplyStatusSet']: taken, RequestId: requestId } });
    }
    if (action !== 'SendSms') return fail('InvalidAction', `The action ${String(action)} does not exist.`);
    const luck = draw(this.random, this.m);
    if (luck === 'garbage') return void response.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
    if (luck === 'busy') return fail('InternalError.RequestTimeException', 'The request timed out inside the service.');
    const phones = Array.isArray(body.PhoneNumberSet) ? (body.PhoneNumberSet as string[]) : [];
    if (phones.length === 0 || phones.length > 200) return fail('LimitExceeded.PhoneNumberCountLimit', 'PhoneNumberSet holds 1 to 200 numbers.');
    const values = Array.isArray(body.TemplateParamSet) ? (body.TemplateParamSet as string[]) : [];
    const template = this.templates.get(String(body.TemplateId));
    if (this.templates.size > 0 && !template) return fail('InvalidParameterValue.TemplateIdNotExist', 'The template does not exist or is not approved.');
    if (template?.kind === 'marketing' && !template.body.includes(SMS_UNSUBSCRIBE_TEXT)) return fail('InvalidParameterValue.MarketingTemplateWithoutUnsubscribe', '营销短信必须包含退订方式，请在短信模板尾部添加“拒收请回复R”');
    if (values.some((v) => /https?:\/\//i.test(v))) return fail('FailedOperation.ProhibitedUseUrlInTemplateParameter', 'URLs must be constants in the template.');
    const text = template ? `【${String(body.SignName)}】${fillTemplate(template.body, Object.fromEntries(values.map((v, i) => [String(i + 1), v])), [])}` : '';
    const fee = template ? smsParts(text) : 1;
    const statuses = phones.map((phone) => {
      if (!/^\+\d{8,15}$/.test(phone)) return { SerialNo: '', PhoneNumber: phone, Fee: 0, SessionContext: body.SessionContext ?? '', Code: 'InvalidParameterValue.IncorrectPhoneNumber', Message: 'invalid phone number', IsoCode: '' };
      const serial = `${Math.floor(Date.now() / 1000)}:${this.hex(16)}`;
      this.sent.push({ provider: 'tencent', id: serial, phone, template: String(body.TemplateId), params: values, at: new Date() });
      this.schedule('tencent', serial, phone);
      return { SerialNo: serial, PhoneNumber: phone, Fee: fee, SessionContext: body.SessionContext ?? '', Code: 'Ok', Message: 'send success', IsoCode: 'CN' };
    });
    return sendJson(response, 200, { Response: { SendStatusSet: statuses, RequestId: requestId } });
  }
}
