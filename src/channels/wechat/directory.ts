import { SiyuError } from '../../core/errors.ts';
import type { WxAnswer } from './api.ts';

/** A WeCom API client: `call(path, body)` POSTs, `call(path)` GETs (wecomClient). */
export interface WecomApi {
  call(path: string, body?: unknown): Promise<WxAnswer>;
}

/** An external contact and one member's follow of them (batch/get_by_user: external_contact and follow_info). */
export interface FollowedContact {
  externalUserId: string;
  name: string | undefined;
  /** 0 unknown, 1 male, 2 female. */
  gender: number;
  unionid: string | undefined;
  userid: string;
  remark: string;
  description: string;
  tagIds: string[];
  addWay: number | undefined;
  state: string | undefined;
  followedAt: Date | undefined;
}

export interface GroupMember {
  /** A member's userid (type 1) or a contact's external_userid (type 2). */
  userid: string;
  type: 1 | 2;
  unionid: string | undefined;
  joinedAt: Date | undefined;
  joinScene: number | undefined;
  invitor: string | undefined;
  groupNickname: string | undefined;
  name: string | undefined;
}

export interface GroupChat {
  chatId: string;
  name: string;
  owner: string;
  notice: string;
  createdAt: Date | undefined;
  status: number;
  admins: string[];
  memberVersion: string | undefined;
  members: GroupMember[];
}

/** Errors that mean "not now": system busy and the frequency limits. They are retried a few times. */
const BUSY = new Set([-1, 45009, 45033, 45011]);

export interface DirectoryCallOptions {
  /** Wait before retrying a busy answer, doubled each time (default 1,000 ms; three retries). */
  retryDelayMs?: number;
}

const seconds = (value: unknown): Date | undefined => (typeof value === 'number' && value > 0 ? new Date(value * 1000) : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * One directory API call: an answer with an error code (other than the `expected` ones) throws `unavailable` naming
 * the API and the code (after up to three retries of a busy answer), as does a network failure, so a sync stops
 * before it writes anything it cannot complete.
 */
async function ask(api: WecomApi, path: string, body: unknown, options: DirectoryCallOptions, expected: readonly number[] = []): Promise<WxAnswer> {
  for (let attempt = 0; ; attempt++) {
    let answer: WxAnswer;
    try {
      answer = await api.call(path, body);
    } catch (error) {
      throw new SiyuError('unavailable', 'wecom_unreachable', `WeCom ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (!answer.errcode || expected.includes(answer.errcode)) return answer;
    if (BUSY.has(answer.errcode) && attempt < 3) {
      await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 1000) * 2 ** attempt));
      continue;
    }
    throw new SiyuError('unavailable', 'wecom_error', `WeCom ${path}: ${answer.errcode}: ${answer.errmsg ?? ''}`);
  }
}

/** A follow relation as WeCom describes it (follow_info of batch/get_by_user, follow_user[] of get). */
function followOf(c: Record<string, unknown>, f: Record<string, unknown>): FollowedContact[] {
  if (typeof c.external_userid !== 'string' || typeof f.userid !== 'string') return [];
  // get lists tags as objects (type 1 corp, 2 personal, 3 rule); batch/get_by_user as the corp tag ids.
  const tags = Array.isArray(f.tags) ? (f.tags as { tag_id?: unknown; type?: unknown }[]).filter((t) => (t.type ?? 1) === 1).map((t) => t.tag_id) : ((f.tag_id as unknown[] | undefined) ?? []);
  return [
    {
      externalUserId: c.external_userid,
      name: text(c.name),
      gender: Number(c.gender ?? 0) || 0,
      unionid: text(c.unionid),
      userid: f.userid,
      remark: String(f.remark ?? ''),
      description: String(f.description ?? ''),
      tagIds: tags.filter((t) => typeof t === 'string' && t !== '').map(String),
      addWay: typeof f.add_way === 'number' ? f.add_way : undefined,
      state: text(f.state),
      followedAt: seconds(f.createtime),
    },
  ];
}

/** The members with the customer contact feature that the app can see (GET get_follow_user_list). */
export async function listFollowUsers(api: WecomApi, options: DirectoryCallOptions = {}): Promise<string[]> {
  const answer = await ask(api, '/cgi-bin/externalcontact/get_follow_user_list', undefined, options);
  return ((answer.follow_user as unknown[] | undefined) ?? []).filter((u): u is string => typeof u === 'string');
}

/**
 * The contacts of `members`, a page at a time: batch/get_by_user with `membersPerRequest` userids a call (≤100) and
 * `pageSize` results a page (≤100), following next_cursor. A contact followed by several members comes once per member.
 */
export async function* contactPages(api: WecomApi, members: readonly string[], sizes: { membersPerRequest: number; pageSize: number }, options: DirectoryCallOptions = {}): AsyncGenerator<FollowedContact[]> {
  for (let i = 0; i < members.length; i += sizes.membersPerRequest) {
    const userids = members.slice(i, i + sizes.membersPerRequest);
    let cursor = '';
    do {
      const answer = await ask(api, '/cgi-bin/externalcontact/batch/get_by_user', { userid_list: userids, cursor, limit: sizes.pageSize }, options);
      const list = (answer.external_contact_list as { external_contact?: Record<string, unknown>; follow_info?: Record<string, unknown> }[] | undefined) ?? [];
      yield list.flatMap(({ external_contact: c = {}, follow_info: f = {} }) => followOf(c, f));
      cursor = String(answer.next_cursor ?? '');
    } while (cursor !== '');
  }
}

/** WeCom's answer to `get` for someone who is no longer anyone's contact (非好友关系). */
const NOT_A_CONTACT = 84061;

/**
 * One external contact and every follow of them by a member the app sees (externalcontact/get, following its
 * next_cursor when a contact has more than 500 follows). An empty list: no member follows them any more (84061).
 */
export async function getContact(api: WecomApi, externalUserId: string, options: DirectoryCallOptions = {}): Promise<FollowedContact[]> {
  const out: FollowedContact[] = [];
  let cursor = '';
  do {
    const path = `/cgi-bin/externalcontact/get?external_userid=${encodeURIComponent(externalUserId)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const answer = await ask(api, path, undefined, options, [NOT_A_CONTACT]);
    if (answer.errcode === NOT_A_CONTACT) return [];
    const contact = (answer.external_contact as Record<string, unknown> | undefined) ?? {};
    for (const f of (answer.follow_user as Record<string, unknown>[] | undefined) ?? []) out.push(...followOf(contact, f));
    cursor = String(answer.next_cursor ?? '');
  } while (cursor !== '');
  return out;
}

/** A corp customer tag and its group (get_corp_tag_list). */
export interface CorpTag {
  tagId: string;
  groupId: string;
  groupName: string;
  name: string;
  order: number;
  isDeleted: boolean;
}

/** The corp's customer tags (get_corp_tag_list without a filter: every group and its tags). */
export async function listCorpTags(api: WecomApi, options: DirectoryCallOptions = {}): Promise<CorpTag[]> {
  const answer = await ask(api, '/cgi-bin/externalcontact/get_corp_tag_list', {}, options);
  return ((answer.tag_group as Record<string, unknown>[] | undefined) ?? []).flatMap((g) =>
    ((g.tag as Record<string, unknown>[] | undefined) ?? []).flatMap((t): CorpTag[] =>
      typeof t.id !== 'string' || typeof g.group_id !== 'string'
        ? []
        : [{ tagId: t.id, groupId: g.group_id, groupName: String(g.group_name ?? ''), name: String(t.name ?? ''), order: Number(t.order ?? 0) || 0, isDeleted: t.deleted === true || g.deleted === true }],
    ),
  );
}

/**
 * Every customer group chat owned by `owners`: groupchat/list with an owner filter of ≤100 members a call (without
 * one the platform refuses corps of more than 1,000 visible members, 81017), status_filter 0 (all), cursor-paged.
 */
export async function listGroupChats(api: WecomApi, owners: readonly string[], pageSize: number, options: DirectoryCallOptions = {}): Promise<{ chatId: string; status: number }[]> {
  const out = new Map<string, number>();
  for (let i = 0; i < owners.length; i += 100) {
    let cursor = '';
    do {
      const answer = await ask(api, '/cgi-bin/externalcontact/groupchat/list', { status_filter: 0, owner_filter: { userid_list: owners.slice(i, i + 100) }, cursor, limit: pageSize }, options);
      for (const g of (answer.group_chat_list as { chat_id?: unknown; status?: unknown }[] | undefined) ?? []) if (typeof g.chat_id === 'string') out.set(g.chat_id, Number(g.status ?? 0));
      cursor = String(answer.next_cursor ?? '');
    } while (cursor !== '');
  }
  return [...out].map(([chatId, status]) => ({ chatId, status }));
}

/** One group chat with its members and their names (groupchat/get with need_name 1). */
export async function getGroupChat(api: WecomApi, chatId: string, status: number, options: DirectoryCallOptions = {}): Promise<GroupChat> {
  const answer = await ask(api, '/cgi-bin/externalcontact/groupchat/get', { chat_id: chatId, need_name: 1 }, options);
  return groupOf(chatId, status, (answer.group_chat as Record<string, unknown> | undefined) ?? {});
}

/** One group chat, or undefined when WeCom answers with one of the `gone` codes (dismissed, out of the app's range). */
export async function findGroupChat(api: WecomApi, chatId: string, status: number, gone: readonly number[], options: DirectoryCallOptions = {}): Promise<GroupChat | undefined> {
  const answer = await ask(api, '/cgi-bin/externalcontact/groupchat/get', { chat_id: chatId, need_name: 1 }, options, gone);
  return answer.errcode ? undefined : groupOf(chatId, status, (answer.group_chat as Record<string, unknown> | undefined) ?? {});
}

function groupOf(chatId: string, status: number, g: Record<string, unknown>): GroupChat {
  const members = ((g.member_list as Record<string, unknown>[] | undefined) ?? []).flatMap((m): GroupMember[] =>
    typeof m.userid !== 'string'
      ? []
      : [
          {
            userid: m.userid,
            type: Number(m.type) === 2 ? 2 : 1,
            unionid: text(m.unionid),
            joinedAt: seconds(m.join_time),
            joinScene: typeof m.join_scene === 'number' ? m.join_scene : undefined,
            invitor: text((m.invitor as { userid?: unknown } | undefined)?.userid),
            groupNickname: text(m.group_nickname),
            name: text(m.name),
          },
        ],
  );
  return {
    chatId,
    name: String(g.name ?? ''),
    owner: String(g.owner ?? ''),
    notice: String(g.notice ?? ''),
    createdAt: seconds(g.create_time),
    status,
    admins: ((g.admin_list as { userid?: unknown }[] | undefined) ?? []).map((a) => String(a.userid ?? '')).filter(Boolean),
    memberVersion: text(g.member_version),
    members,
  };
}
