import type { IncomingMessage, ServerResponse } from 'node:http';
import { draw, pause, readBody, sendJson, type Misbehaviour, type Random } from './common.ts';
import { WecomDirectory } from './wecom-directory.ts';
import { WecomWelcomeTemplates } from './wecom-welcome.ts';

interface MassSend {
  msgid: string;
  sender: string;
  externalUserIds: string[];
  content: string;
  /** Whether the member has confirmed it in the client (only then does anything reach the customers). */
  isConfirmed: boolean;
}

/**
 * Simulated WeCom 客户联系 and mini-program APIs: gettoken (7,200 s tokens; `expireTokens` invalidates them early, as
 * the platform may), add_msg_template (contacts only; each customer at most `monthlyLimit` mass sends),
 * get_groupmsg_task / get_groupmsg_send_result (pending until `confirm`), send_welcome_msg (each code once, within
 * 20 s), the 客户联系 directory (`directory`: members, contacts, corp tags, customer group chats), group welcome
 * templates (`welcomeTemplates`), stable_token and
 * subscribeMessage.send (43101 for openids that refused).
 */
export class WechatSimulator {
  readonly massSends: MassSend[] = [];
  readonly welcomes: { code: string; content: string }[] = [];
  readonly subscribeSends: { touser: string; template_id: string; data: unknown }[] = [];
  /** External contacts per member (userid → external_userids). */
  readonly contacts = new Map<string, Set<string>>();
  /** Openids that refused or cancelled their subscription: the next send gets 43101. */
  readonly refused = new Set<string>();
  /** The members, their contacts and the customer group chats the directory APIs serve. */
  readonly directory: WecomDirectory;
  /** The group welcome templates (group_welcome_template/add|edit|get|del). */
  readonly welcomeTemplates = new WecomWelcomeTemplates();
  tokenFetches = 0;
  /** API calls made with a valid token, by path (gettoken and stable_token not counted). */
  readonly calls = new Map<string, number>();
  monthlyLimit = 4;
  private expireAfterCalls: number | undefined;
  private failure: { afterCalls: number; errcode: number; errmsg: string } | undefined;
  private readonly welcomeCodes = new Map<string, number>();
  private readonly tokens = new Set<string>();
  private readonly received = new Map<string, number>();

  constructor(
    private readonly random: Random,
    private readonly m: Misbehaviour,
    private readonly credentials: { corpId: string; secret: string; appId: string; appSecret: string },
  ) {
    this.directory = new WecomDirectory(this.contacts, random);
  }

  /** A new WelcomeCode, as the add_external_contact callback carries; valid 20 s. */
  issueWelcomeCode(): string {
    const code = `wc${Math.floor(this.random.next() * 1e12)}`;
    this.welcomeCodes.set(code, Date.now() + 20_000);
    return code;
  }

  /** The member confirms a mass send in the client: it goes out to those still contacts. */
  confirm(msgid: string): void {
    const send = this.massSends.find((s) => s.msgid === msgid);
    if (send) send.isConfirmed = true;
  }

  expireTokens(): void {
    this.tokens.clear();
  }

  /** Every token stops working after `calls` more API calls, as the platform may invalidate one early. */
  expireTokensAfter(calls: number): void {
    this.expireAfterCalls = calls;
  }

  /** Every API call after the next `calls` is refused with `errcode` (default 60011, no privilege), until cleared. */
  failAfter(calls: number | undefined, errcode = 60011, errmsg = 'no privilege to access/modify contact/party/agent'): void {
    this.failure = calls === undefined ? undefined : { afterCalls: calls, errcode, errmsg };
  }

  private token(): string {
    const token = `tok${Math.floor(this.random.next() * 1e15)}`.padEnd(512, 'x');
    this.tokens.add(token);
    this.tokenFetches++;
    return token;
  }

  async handle(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sim');
    const body = request.method === 'POST' ? (JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>) : {};
    const reply = (answer: Record<string, unknown>) => sendJson(response, 200, { errcode: 0, errmsg: 'ok', ...answer });
    const error = (errcode: number, errmsg: string) => sendJson(response, 200, { errcode, errmsg });
    await pause(this.m.delayMs);
    if (path === '/wecom/cgi-bin/gettoken') {
      if (url.searchParams.get('corpid') !== this.credentials.corpId || url.searchParams.get('corpsecret') !== this.credentials.secret) return error(40001, 'invalid credential');
      return reply({ access_token: this.token(), expires_in: 7200 });
    }
    if (path === '/weixin/cgi-bin/stable_token') {
      if (body.appid !== this.credentials.appId || body.secret !== this.credentials.appSecret) return error(40013, 'invalid appid');
      return reply({ access_token: this.token(), expires_in: 7200 });
    }
    if (this.expireAfterCalls !== undefined && this.expireAfterCalls-- <= 0) {
      this.expireAfterCalls = undefined;
      this.expireTokens();
    }
    if (!this.tokens.has(url.searchParams.get('access_token') ?? '')) return error(42001, 'access_token expired');
    this.calls.set(path, (this.calls.get(path) ?? 0) + 1);
    if (this.failure && this.failure.afterCalls-- <= 0) return error(this.failure.errcode, this.failure.errmsg);
    if (draw(this.random, this.m) === 'busy') return error(-1, 'system busy');
    const listed = this.directory.answer(path, body, url.searchParams) ?? this.welcomeTemplates.answer(path, body);
    if (listed) return 'errcode' in listed ? sendJson(response, 200, listed) : reply(listed);
    switch (path) {
      case '/wecom/cgi-bin/externalcontact/add_msg_template': {
        const ids = (body.external_userid as string[] | undefined) ?? [];
        const sender = String(body.sender ?? '');
        const known = this.contacts.get(sender) ?? new Set();
        const fail = ids.filter((id) => !known.has(id) || (this.received.get(id) ?? 0) >= this.monthlyLimit);
        const ok = ids.filter((id) => !fail.includes(id));
        for (const id of ok) this.received.set(id, (this.received.get(id) ?? 0) + 1);
        const msgid = `msg${Math.floor(this.random.next() * 1e12)}`;
        this.massSends.push({ msgid, sender, externalUserIds: ok, content: String((body.text as { content?: string } | undefined)?.content ?? ''), isConfirmed: false });
        return reply({ msgid, fail_list: fail });
      }
      case '/wecom/cgi-bin/externalcontact/get_groupmsg_task': {
        const send = this.massSends.find((s) => s.msgid === body.msgid);
        if (!send) return error(41063, 'msgid not found');
        return reply({ task_list: [{ userid: send.sender, status: send.isConfirmed ? 2 : 0, send_time: send.isConfirmed ? Math.floor(Date.now() / 1000) : undefined }], next_cursor: '' });
      }
      case '/wecom/cgi-bin/externalcontact/get_groupmsg_send_result': {
        const send = this.massSends.find((s) => s.msgid === body.msgid);
        if (!send) return error(41063, 'msgid not found');
        const contacts = this.contacts.get(send.sender) ?? new Set();
        const list = send.externalUserIds.map((id) => ({ external_userid: id, userid: send.sender, status: !send.isConfirmed ? 0 : contacts.has(id) ? 1 : 2, send_time: send.isConfirmed ? Math.floor(Date.now() / 1000) : undefined }));
        return reply({ send_list: list, next_cursor: '' });
      }
      case '/wecom/cgi-bin/externalcontact/send_welcome_msg': {
        const code = String(body.welcome_code ?? '');
        const until = this.welcomeCodes.get(code);
        if (until === undefined) return error(41051, 'welcome_code already used or invalid');
        this.welcomeCodes.delete(code);
        if (until < Date.now()) return error(41096, 'welcome_code expired');
        this.welcomes.push({ code, content: String((body.text as { content?: string } | undefined)?.content ?? '') });
        return reply({});
      }
      case '/weixin/cgi-bin/message/subscribe/send': {
        const touser = String(body.touser ?? '');
        if (this.refused.has(touser)) return error(43101, 'user refuse to accept the msg');
        for (const [key, value] of Object.entries((body.data as Record<string, { value?: string }> | undefined) ?? {})) {
          if (key.startsWith('thing') && [...String(value.value ?? '')].length > 20) return error(47003, `argument invalid! data.${key}.value: thing 20 characters at most`);
        }
        this.subscribeSends.push({ touser, template_id: String(body.template_id), data: body.data });
        return reply({ msgid: Math.floor(this.random.next() * 1e12) });
      }
      default:
        return error(40066, `no such API: ${path}`);
    }
  }
}
