import { decryptText, encryptText, registerEncryptedColumn, rowKey, type EncryptedColumn } from '../../privacy/index.ts';
import { dialect, jsonRowsParam, type Queryable, type Store } from '../../store/index.ts';
import { getGroupChat, listGroupChats, type DirectoryCallOptions, type GroupChat, type WecomApi } from './directory.ts';
import { resolvePeople } from './sync-people.ts';
import { jsonText, sameTime, type SyncContext, type WecomSyncReport } from './sync-report.ts';

// The name a member uses in a group is personal data: sealed, bound to the membership.
const NICKNAME: EncryptedColumn = { table: 'wecom_group_members', column: 'group_nickname', keyColumns: ['channel', 'chat_id', 'external_userid'], kind: 'text' };
registerEncryptedColumn(NICKNAME);

const GROUP_COLUMNS = ['channel', 'chat_id', 'name', 'owner', 'notice', 'created_at', 'status', 'member_count', 'admins', 'member_version', 'is_listed', 'gone_at', 'updated_at'] as const;
const MEMBER_COLUMNS = ['customer_id', 'channel', 'chat_id', 'external_userid', 'joined_at', 'join_scene', 'invitor', 'group_nickname', 'is_member', 'left_at', 'updated_at'] as const;
const STAFF_COLUMNS = ['channel', 'chat_id', 'userid', 'joined_at', 'join_scene', 'invitor', 'is_admin', 'is_member', 'left_at', 'updated_at'] as const;
const upsert = (key: string, columns: readonly string[], keyCount: number) => `(${key}) DO UPDATE SET ${columns.slice(keyCount).map((c) => `${c} = excluded.${c}`).join(', ')}`;

export interface GroupRow {
  chat_id: string;
  name: string | null;
  owner: string | null;
  notice: string | null;
  created_at: Date | null;
  status: number;
  member_count: number;
  admins: unknown;
  member_version: string | null;
  is_listed: boolean;
}

type Tally = NonNullable<WecomSyncReport['groups']>;
const at = (chatId: string, id: string) => `${chatId}\u0000${id}`;
/** How many group details are fetched at once. */
const FETCH_BATCH = 8;

const groupIsCurrent = (row: GroupRow, g: GroupChat) =>
  row.is_listed === true && row.name === g.name && row.owner === g.owner && (row.notice ?? '') === g.notice && sameTime(row.created_at, g.createdAt) && Number(row.status) === g.status && Number(row.member_count) === g.members.length && jsonText(row.admins) === JSON.stringify(g.admins) && (row.member_version ?? undefined) === g.memberVersion;

/** External members of `groups`: their customers, then the memberships that are new, changed or ended. */
async function writeMembers(tx: Queryable, ctx: SyncContext, tally: Tally, groups: readonly GroupChat[]): Promise<void> {
  const d = dialect(tx.kind);
  const external = groups.flatMap((g) => g.members.filter((m) => m.type === 2).map((m) => ({ chatId: g.chatId, m })));
  const owners = await resolvePeople(tx, ctx, external.map(({ m }) => ({ externalUserId: m.userid, unionid: m.unionid, name: m.name })));
  const chats = jsonRowsParam(groups.map((g) => [g.chatId]));
  const stored = await tx.query<{ customer_id: string; chat_id: string; external_userid: string; joined_at: Date | null; join_scene: number | null; invitor: string | null; group_nickname: string | null; is_member: boolean }>(
    `SELECT m.customer_id, m.chat_id, m.external_userid, m.joined_at, m.join_scene, m.invitor, m.group_nickname, m.is_member FROM wecom_group_members m JOIN ${d.jsonRows('$1', ['c'])} k ON m.chat_id = k.c WHERE m.channel = $2`,
    [chats, ctx.channel],
  );
  const byKey = new Map(stored.map((r) => [at(r.chat_id, r.external_userid), r]));
  const rows: unknown[][] = [];
  const moved: unknown[][] = [];
  const listed = new Set<string>();
  for (const { chatId, m } of external) {
    const customerId = owners.get(m.userid);
    if (!customerId) continue;
    const key = at(chatId, m.userid);
    listed.add(key);
    const row = byKey.get(key);
    const place = rowKey([ctx.channel, chatId, m.userid]);
    const nickname = row?.group_nickname ? decryptText(ctx.ring, NICKNAME, place, row.group_nickname) : undefined;
    if (row?.is_member === true && row.customer_id === customerId && sameTime(row.joined_at, m.joinedAt) && (row.join_scene ?? undefined) === m.joinScene && (row.invitor ?? undefined) === m.invitor && nickname === m.groupNickname) continue;
    if (!row?.is_member) tally.joined++;
    // The identity moved to another customer (a correction, a conflict resolved): the membership follows it.
    if (row && row.customer_id !== customerId) moved.push([row.customer_id, chatId, m.userid]);
    rows.push([customerId, ctx.channel, chatId, m.userid, m.joinedAt ?? null, m.joinScene ?? null, m.invitor ?? null, m.groupNickname ? encryptText(ctx.ring, NICKNAME, place, m.groupNickname) : null, true, null, ctx.now]);
  }
  const left = stored.filter((r) => r.is_member && !listed.has(at(r.chat_id, r.external_userid)));
  for (const r of left) rows.push([r.customer_id, ctx.channel, r.chat_id, r.external_userid, r.joined_at, r.join_scene, r.invitor, r.group_nickname, false, ctx.now, ctx.now]);
  tally.left += left.length;
  if (moved.length > 0) {
    await tx.execute(
      `DELETE FROM wecom_group_members WHERE channel = $2
       AND EXISTS (SELECT 1 FROM ${d.jsonRows('$1', ['c', 'g', 'e'])} k WHERE k.c = wecom_group_members.customer_id AND k.g = wecom_group_members.chat_id AND k.e = wecom_group_members.external_userid)`,
      [jsonRowsParam(moved), ctx.channel],
    );
  }
  await tx.insertRows('wecom_group_members', MEMBER_COLUMNS, rows, upsert('customer_id, channel, chat_id, external_userid', MEMBER_COLUMNS, 4));
}

/** Members of the corp in `groups`, kept by userid. */
async function writeStaff(tx: Queryable, ctx: SyncContext, tally: Tally, groups: readonly GroupChat[]): Promise<void> {
  const d = dialect(tx.kind);
  const stored = await tx.query<{ chat_id: string; userid: string; joined_at: Date | null; join_scene: number | null; invitor: string | null; is_admin: boolean; is_member: boolean }>(
    `SELECT s.chat_id, s.userid, s.joined_at, s.join_scene, s.invitor, s.is_admin, s.is_member FROM wecom_group_staff s JOIN ${d.jsonRows('$1', ['c'])} k ON s.chat_id = k.c WHERE s.channel = $2`,
    [jsonRowsParam(groups.map((g) => [g.chatId])), ctx.channel],
  );
  const byKey = new Map(stored.map((r) => [at(r.chat_id, r.userid), r]));
  const rows: unknown[][] = [];
  const listed = new Set<string>();
  for (const g of groups) {
    for (const m of g.members.filter((x) => x.type === 1)) {
      const key = at(g.chatId, m.userid);
      listed.add(key);
      const row = byKey.get(key);
      const isAdmin = g.admins.includes(m.userid);
      if (row?.is_member === true && row.is_admin === isAdmin && sameTime(row.joined_at, m.joinedAt) && (row.join_scene ?? undefined) === m.joinScene && (row.invitor ?? undefined) === m.invitor) continue;
      rows.push([ctx.channel, g.chatId, m.userid, m.joinedAt ?? null, m.joinScene ?? null, m.invitor ?? null, isAdmin, true, null, ctx.now]);
    }
  }
  const left = stored.filter((r) => r.is_member && !listed.has(at(r.chat_id, r.userid)));
  for (const r of left) rows.push([ctx.channel, r.chat_id, r.userid, r.joined_at, r.join_scene, r.invitor, r.is_admin, false, ctx.now, ctx.now]);
  await tx.insertRows('wecom_group_staff', STAFF_COLUMNS, rows, upsert('channel, chat_id, userid', STAFF_COLUMNS, 3));
}

/** One batch of fetched groups: the group rows that changed, and the members of groups whose member list did. */
export async function writeGroups(tx: Queryable, ctx: SyncContext, tally: Tally, groups: readonly GroupChat[], stored: ReadonlyMap<string, GroupRow>): Promise<void> {
  const changed = groups.filter((g) => {
    const row = stored.get(g.chatId);
    return !row || !groupIsCurrent(row, g);
  });
  tally.added += changed.filter((g) => !stored.has(g.chatId)).length;
  tally.changed += changed.filter((g) => stored.has(g.chatId)).length;
  await tx.insertRows(
    'wecom_groups',
    GROUP_COLUMNS,
    changed.map((g) => [ctx.channel, g.chatId, g.name, g.owner, g.notice, g.createdAt ?? null, g.status, g.members.length, JSON.stringify(g.admins), g.memberVersion ?? null, true, null, ctx.now]),
    upsert('channel, chat_id', GROUP_COLUMNS, 2),
  );
  // member_version changes whenever the member list does; admins are compared as well, since they are kept on the staff.
  const compare = changed.filter((g) => {
    const row = stored.get(g.chatId);
    return !row || !row.is_listed || !g.memberVersion || row.member_version !== g.memberVersion || jsonText(row.admins) !== JSON.stringify(g.admins);
  });
  tally.unchanged += groups.length - compare.length;
  if (compare.length === 0) return;
  await writeMembers(tx, ctx, tally, compare);
  await writeStaff(tx, ctx, tally, compare);
}

/** Groups no longer listed (or dismissed): marked gone, and their members as having left. */
export async function markGone(tx: Queryable, ctx: SyncContext, tally: Tally, chatIds: readonly string[]): Promise<void> {
  if (chatIds.length === 0) return;
  const d = dialect(tx.kind);
  const param = jsonRowsParam(chatIds.map((c) => [c]));
  const inList = (table: string) => `channel = $2 AND EXISTS (SELECT 1 FROM ${d.jsonRows('$1', ['c'])} k WHERE k.c = ${table}.chat_id)`;
  await tx.execute(`UPDATE wecom_groups SET is_listed = FALSE, gone_at = CAST($3 AS TIMESTAMPTZ), updated_at = CAST($3 AS TIMESTAMPTZ) WHERE ${inList('wecom_groups')}`, [param, ctx.channel, ctx.now]);
  tally.left += await tx.execute(`UPDATE wecom_group_members SET is_member = FALSE, left_at = CAST($3 AS TIMESTAMPTZ), updated_at = CAST($3 AS TIMESTAMPTZ) WHERE is_member AND ${inList('wecom_group_members')}`, [param, ctx.channel, ctx.now]);
  await tx.execute(`UPDATE wecom_group_staff SET is_member = FALSE, left_at = CAST($3 AS TIMESTAMPTZ), updated_at = CAST($3 AS TIMESTAMPTZ) WHERE is_member AND ${inList('wecom_group_staff')}`, [param, ctx.channel, ctx.now]);
  tally.gone = chatIds.length;
}

/**
 * Syncs the customer group chats owned by `owners`: the list, then each group's details (a few at a time, each
 * batch written in its own transaction); a group whose member_version is unchanged keeps its members untouched.
 * Groups gone from the complete list are marked so, and their members as having left.
 */
export async function syncGroups(store: Store, api: WecomApi, ctx: SyncContext, owners: readonly string[], pageSize: number, options: DirectoryCallOptions): Promise<void> {
  const tally: Tally = { seen: 0, added: 0, changed: 0, unchanged: 0, gone: 0, members: 0, staff: 0, joined: 0, left: 0 };
  ctx.report.groups = tally;
  const listed = await listGroupChats(api, owners, pageSize, options);
  tally.seen = listed.length;
  const stored = new Map(
    (await store.query<GroupRow>('SELECT chat_id, name, owner, notice, created_at, status, member_count, admins, member_version, is_listed FROM wecom_groups WHERE channel = $1', [ctx.channel])).map((r) => [r.chat_id, r]),
  );
  for (let i = 0; i < listed.length; i += FETCH_BATCH) {
    const groups = await Promise.all(listed.slice(i, i + FETCH_BATCH).map((g) => getGroupChat(api, g.chatId, g.status, options)));
    for (const g of groups) {
      tally.members += g.members.filter((m) => m.type === 2).length;
      tally.staff += g.members.filter((m) => m.type === 1).length;
    }
    await store.transaction((tx) => writeGroups(tx, ctx, tally, groups, stored));
    ctx.progress(`groups: ${Math.min(i + FETCH_BATCH, listed.length)} of ${listed.length}`);
  }
  const listedIds = new Set(listed.map((g) => g.chatId));
  const gone = [...stored.values()].filter((r) => r.is_listed && !listedIds.has(r.chat_id)).map((r) => r.chat_id);
  await store.transaction((tx) => markGone(tx, ctx, tally, gone));
}
