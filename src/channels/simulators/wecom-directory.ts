import { createHash } from 'node:crypto';
import type { Random } from './common.ts';

/** An external contact as `batch/get_by_user` describes it (external_contact). */
export interface SimulatedContact {
  external_userid: string;
  name: string;
  /** 1 a WeChat user, 2 a WeCom user of another corp. */
  type?: 1 | 2;
  /** 0 unknown, 1 male, 2 female. */
  gender?: 0 | 1 | 2;
  /** Present when the corp has bound a WeChat open platform account. */
  unionid?: string;
}

/** A member's follow of a contact (follow_info). */
export interface SimulatedFollow {
  remark?: string;
  description?: string;
  /** Unix seconds. */
  createtime?: number;
  tag_id?: string[];
  state?: string;
  add_way?: number;
}

/** A member of a customer group chat (group_chat.member_list[]). */
export interface SimulatedGroupMember {
  userid: string;
  /** 1 a member of the corp, 2 an external contact. */
  type: 1 | 2;
  unionid?: string;
  join_time?: number;
  join_scene?: 1 | 2 | 3;
  invitor?: string;
  group_nickname?: string;
  name?: string;
}

/** A customer group chat (groupchat/get's group_chat). */
export interface SimulatedGroup {
  chat_id: string;
  name: string;
  owner: string;
  create_time?: number;
  notice?: string;
  /** 0 owner active; 1 owner left; 2 inheritance under way; 3 inherited. */
  status?: 0 | 1 | 2 | 3;
  admins?: string[];
  members: SimulatedGroupMember[];
}

/** A corp tag group and its tags (get_corp_tag_list's tag_group[]). */
export interface SimulatedTagGroup {
  group_id: string;
  group_name: string;
  order?: number;
  tags: { id: string; name: string; order?: number }[];
}

/** What `seed` generates: members, contacts spread over them (some followed by two), groups of contacts. */
export interface DirectorySeed {
  members?: number;
  contacts?: number;
  groups?: number;
  /** Share of contacts with a unionid. Default 0.6. */
  unionidShare?: number;
}

type Answer = { errcode: number; errmsg: string } | Record<string, unknown>;
const fail = (errcode: number, errmsg: string): Answer => ({ errcode, errmsg });
const now = () => Math.floor(Date.now() / 1000);
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'];
const GIVEN = ['芳', '伟', '娜', '敏', '静', '磊', '洋', '艳', '勇', '军'];

/** Cursors name an offset into the answer's list; anything else is refused as WeCom refuses a bad parameter. */
const cursorAt = (cursor: unknown): number | undefined => {
  if (cursor === undefined || cursor === '') return 0;
  const match = /^c(\d+)$/.exec(Buffer.from(String(cursor), 'base64url').toString());
  return match ? Number(match[1]) : undefined;
};
const cursorFor = (offset: number) => Buffer.from(`c${offset}`).toString('base64url');

/**
 * The corp's 客户联系 directory as the simulated WeCom serves it: the members with the customer contact feature
 * (get_follow_user_list), who follows which external contact (batch/get_by_user, cursor-paged, ≤100 members and ≤100
 * results a call; get, one contact), the corp tags (get_corp_tag_list) and the customer group chats (groupchat/list,
 * cursor-paged with limit 1–1000, and groupchat/get).
 * The follow relation is the simulator's `contacts` map, which its mass sends check too.
 */
export class WecomDirectory {
  readonly people = new Map<string, SimulatedContact>();
  readonly groups = new Map<string, SimulatedGroup>();
  /** Members with the customer contact feature, beyond those who follow someone. */
  readonly members = new Set<string>();
  /** The corp's tag groups; a deleted tag stays here, answered (deleted: true) only when asked for by id. */
  readonly tagGroups = new Map<string, SimulatedTagGroup>();
  private readonly deletedTags = new Set<string>();
  private readonly follows = new Map<string, SimulatedFollow>();

  constructor(
    private readonly contacts: Map<string, Set<string>>,
    private readonly random: Random,
  ) {}

  /** `userid` adds `contact` (or updates it); the follow's createtime defaults to now. */
  addContact(userid: string, contact: SimulatedContact, follow: SimulatedFollow = {}): void {
    this.people.set(contact.external_userid, { ...this.people.get(contact.external_userid), ...contact });
    this.contacts.set(userid, (this.contacts.get(userid) ?? new Set()).add(contact.external_userid));
    this.follows.set(`${userid}\u0000${contact.external_userid}`, { createtime: now(), ...follow });
  }

  /** The contact deletes `userid` (or the member deletes them). */
  removeContact(userid: string, externalUserId: string): void {
    this.contacts.get(userid)?.delete(externalUserId);
    this.follows.delete(`${userid}\u0000${externalUserId}`);
  }

  /** Adds a corp tag group (or replaces it), as the admin or add_corp_tag would. */
  addTagGroup(group: SimulatedTagGroup): void {
    this.tagGroups.set(group.group_id, group);
  }

  /** Renames a corp tag (edit_corp_tag). */
  renameTag(tagId: string, name: string): void {
    for (const g of this.tagGroups.values()) for (const t of g.tags) if (t.id === tagId) t.name = name;
  }

  /** Deletes a corp tag (del_corp_tag): no longer listed, and no member's contact carries it. */
  deleteTag(tagId: string): void {
    this.deletedTags.add(tagId);
    for (const f of this.follows.values()) if (f.tag_id?.includes(tagId)) f.tag_id = f.tag_id.filter((t) => t !== tagId);
  }

  /** The tags `userid` gives `externalUserId` (mark_tag). */
  markTags(userid: string, externalUserId: string, tagIds: string[]): void {
    const follow = this.follows.get(`${userid}\u0000${externalUserId}`);
    if (follow) follow.tag_id = tagIds;
  }

  addGroup(group: SimulatedGroup): void {
    this.groups.set(group.chat_id, { create_time: now(), status: 0, admins: [], notice: '', ...group, members: group.members.map((m) => ({ join_time: now(), join_scene: 1, ...m })) });
  }

  joinGroup(chatId: string, member: SimulatedGroupMember): void {
    const group = this.groups.get(chatId);
    if (group) group.members = [...group.members.filter((m) => m.userid !== member.userid), { join_time: now(), join_scene: 1, ...member }];
  }

  leaveGroup(chatId: string, userid: string): void {
    const group = this.groups.get(chatId);
    if (group) group.members = group.members.filter((m) => m.userid !== userid);
  }

  dismissGroup(chatId: string): void {
    this.groups.delete(chatId);
  }

  /** Deterministic synthetic data from the simulator's seed (`siyu dev providers --wecom-contacts`). */
  seed({ members = 3, contacts = 0, groups = 0, unionidShare = 0.6 }: DirectorySeed): void {
    const staff = Array.from({ length: members }, (_, i) => `staff${i + 1}`);
    staff.forEach((s) => this.members.add(s));
    const pick = <T>(list: readonly T[]) => list[Math.floor(this.random.next() * list.length)]!;
    const ids: string[] = [];
    if (contacts > 0) this.addTagGroup({ group_id: 'etLEVEL', group_name: '会员等级', tags: [{ id: 'etVIP', name: 'VIP' }] });
    for (let i = 0; i < contacts; i++) {
      const id = `wm${createHash('sha256').update(`contact${i}`).digest('hex').slice(0, 24)}`;
      ids.push(id);
      const contact: SimulatedContact = { external_userid: id, name: `${pick(SURNAMES)}${pick(GIVEN)}`, type: 1, gender: pick([0, 1, 2] as const), ...(this.random.next() < unionidShare ? { unionid: `oU${createHash('sha256').update(`union${i}`).digest('hex').slice(0, 26)}` } : {}) };
      this.addContact(staff[i % members]!, contact, { remark: contact.name, tag_id: this.random.next() < 0.3 ? ['etVIP'] : [] });
      if (this.random.next() < 0.1 && members > 1) this.addContact(staff[(i + 1) % members]!, contact);
    }
    for (let g = 0; g < groups; g++) {
      const owner = staff[g % members]!;
      const size = Math.min(ids.length, 3 + Math.floor(this.random.next() * 30));
      const start = Math.floor(this.random.next() * Math.max(1, ids.length - size));
      const external = ids.slice(start, start + size).map((id): SimulatedGroupMember => ({ userid: id, type: 2, unionid: this.people.get(id)?.unionid, invitor: owner, name: this.people.get(id)?.name }));
      this.addGroup({ chat_id: `wr${createHash('sha256').update(`group${g}`).digest('hex').slice(0, 24)}`, name: `会员福利群${g + 1}`, owner, members: [{ userid: owner, type: 1 }, ...external] });
    }
  }

  /** Answers one directory API, or undefined when `path` is not one of them. */
  answer(path: string, body: Record<string, unknown>, query: URLSearchParams): Answer | undefined {
    switch (path) {
      case '/wecom/cgi-bin/externalcontact/get':
        return this.getContact(query);
      case '/wecom/cgi-bin/externalcontact/get_corp_tag_list':
        return this.corpTagList(body);
      case '/wecom/cgi-bin/externalcontact/get_follow_user_list':
        return { follow_user: this.followUsers() };
      case '/wecom/cgi-bin/externalcontact/batch/get_by_user':
        return this.batchGetByUser(body);
      case '/wecom/cgi-bin/externalcontact/groupchat/list':
        return this.groupChatList(body);
      case '/wecom/cgi-bin/externalcontact/groupchat/get':
        return this.groupChatGet(body);
      default:
        return undefined;
    }
  }

  private followUsers(): string[] {
    return [...new Set([...this.members, ...this.contacts.keys()])].sort();
  }

  /** externalcontact/get: the contact and every member's follow of them, with the tags as objects. */
  private getContact(query: URLSearchParams): Answer {
    const id = query.get('external_userid') ?? '';
    const person = this.people.get(id);
    if (!person) return fail(40096, 'invalid external userid');
    const followers = [...this.contacts].filter(([, ids]) => ids.has(id)).map(([userid]) => userid).sort();
    // WeCom's answer for someone who is no longer anyone's contact.
    if (followers.length === 0) return fail(84061, 'not external contact');
    const tagOf = new Map([...this.tagGroups.values()].flatMap((g) => g.tags.map((t) => [t.id, { group_name: g.group_name, tag_name: t.name, tag_id: t.id, type: 1 }] as const)));
    const follow_user = followers.map((userid) => {
      const f = this.follows.get(`${userid}\u0000${id}`) ?? {};
      const tags = (f.tag_id ?? []).flatMap((t) => (tagOf.has(t) && !this.deletedTags.has(t) ? [tagOf.get(t)!] : []));
      return { userid, remark: f.remark ?? '', description: f.description ?? '', createtime: f.createtime ?? 0, tags, remark_corp_name: '', remark_mobiles: [], oper_userid: userid, add_way: f.add_way ?? 1, ...(f.state ? { state: f.state } : {}) };
    });
    return { external_contact: { external_userid: id, name: person.name, type: person.type ?? 1, gender: person.gender ?? 0, ...(person.unionid ? { unionid: person.unionid } : {}) }, follow_user, next_cursor: '' };
  }

  /**
   * get_corp_tag_list: every live group and tag, or those named by group_id (which wins over tag_id, as the doc says)
   * or tag_id; a deleted tag is answered (deleted: true) only when asked for by id.
   */
  private corpTagList(body: Record<string, unknown>): Answer {
    const ids = (value: unknown) => (value === undefined ? [] : Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined);
    const tagIds = ids(body.tag_id);
    const groupIds = ids(body.group_id);
    if (!tagIds || !groupIds) return fail(40058, 'invalid tag_id or group_id: arrays of strings');
    const byGroup = groupIds.length > 0;
    const byTag = !byGroup && tagIds.length > 0;
    const tag_group = [...this.tagGroups.values()]
      .filter((g) => !byGroup || groupIds.includes(g.group_id))
      .map((g) => ({
        group_id: g.group_id,
        group_name: g.group_name,
        create_time: 1_700_000_000,
        order: g.order ?? 0,
        tag: g.tags
          .filter((t) => (byTag ? tagIds.includes(t.id) : !this.deletedTags.has(t.id)))
          .map((t) => ({ id: t.id, name: t.name, create_time: 1_700_000_000, order: t.order ?? 0, ...(byTag || byGroup ? { deleted: this.deletedTags.has(t.id) } : {}) })),
      }))
      .filter((g) => g.tag.length > 0 || byGroup);
    return { tag_group };
  }

  private batchGetByUser(body: Record<string, unknown>): Answer {
    const users = body.userid_list;
    if (!Array.isArray(users) || users.length === 0 || users.length > 100 || users.some((u) => typeof u !== 'string')) return fail(40058, 'invalid userid_list: 1 to 100 userids');
    const at = cursorAt(body.cursor);
    if (at === undefined) return fail(40058, 'invalid cursor');
    // The doc: limit at most 100 (more is taken as 100), default 50.
    const limit = Math.min(100, Number(body.limit ?? 50) || 50);
    const pairs = (users as string[]).flatMap((u) => [...(this.contacts.get(u) ?? [])].sort().map((id) => [u, id] as const));
    const page = pairs.slice(at, at + limit).map(([userid, id]) => {
      const person = this.people.get(id) ?? { external_userid: id, name: id };
      const follow = this.follows.get(`${userid}\u0000${id}`) ?? {};
      return {
        external_contact: { external_userid: id, name: person.name, type: person.type ?? 1, gender: person.gender ?? 0, ...(person.unionid ? { unionid: person.unionid } : {}) },
        follow_info: { userid, remark: follow.remark ?? '', description: follow.description ?? '', createtime: follow.createtime ?? 0, tag_id: follow.tag_id ?? [], remark_corp_name: '', remark_mobiles: [], ...(follow.state ? { state: follow.state } : {}), add_way: follow.add_way ?? 1, oper_userid: userid },
      };
    });
    return { external_contact_list: page, next_cursor: at + limit < pairs.length ? cursorFor(at + limit) : '' };
  }

  private groupChatList(body: Record<string, unknown>): Answer {
    const limit = Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return fail(40058, 'invalid limit: 1 to 1000');
    const owners = (body.owner_filter as { userid_list?: unknown } | undefined)?.userid_list;
    if (owners !== undefined && (!Array.isArray(owners) || owners.length > 100)) return fail(40058, 'invalid owner_filter.userid_list: at most 100 userids');
    // Without an owner filter the platform refuses corps with more than 1,000 visible members (81017).
    if (owners === undefined && this.followUsers().length > 1000) return fail(81017, 'too many members in the visible range: set owner_filter');
    const at = cursorAt(body.cursor);
    if (at === undefined) return fail(40058, 'invalid cursor');
    const status = Number(body.status_filter ?? 0);
    const list = [...this.groups.values()]
      .filter((g) => (owners === undefined || (owners as string[]).includes(g.owner)) && (status === 0 || g.status === status))
      .sort((a, b) => (a.chat_id < b.chat_id ? -1 : 1))
      .map((g) => ({ chat_id: g.chat_id, status: g.status ?? 0 }));
    return { group_chat_list: list.slice(at, at + limit), next_cursor: at + limit < list.length ? cursorFor(at + limit) : '' };
  }

  private groupChatGet(body: Record<string, unknown>): Answer {
    const group = this.groups.get(String(body.chat_id ?? ''));
    // The code for an unknown chat is assumed from the global table (40050: chatid不存在).
    if (!group) return fail(40050, 'chatid not found');
    const withName = Number(body.need_name ?? 0) === 1;
    const members = group.members.map(({ name, invitor, unionid, ...m }) => ({ ...m, ...(m.type === 2 && unionid ? { unionid } : {}), ...(invitor ? { invitor: { userid: invitor } } : {}), ...(withName && name ? { name } : {}) }));
    const version = createHash('md5').update(JSON.stringify(group.members.map((m) => [m.userid, m.join_time, m.group_nickname ?? '']))).digest('hex');
    return { group_chat: { chat_id: group.chat_id, name: group.name, owner: group.owner, create_time: group.create_time, notice: group.notice ?? '', member_list: members, admin_list: (group.admins ?? []).map((userid) => ({ userid })), member_version: version } };
  }
}
