import { decryptText, encryptText, registerEncryptedColumn, rowKey, type EncryptedColumn } from '../../privacy/index.ts';
import { dialect, jsonRowsParam, type Queryable, type Store } from '../../store/index.ts';
import { contactPages, type DirectoryCallOptions, type FollowedContact, type WecomApi } from './directory.ts';
import { resolvePeople } from './sync-people.ts';
import { jsonText, sameTime, type SyncContext } from './sync-report.ts';

// A member's notes on a contact are personal data: sealed, bound to the relation (which a merge never re-keys).
const sealed = (column: string): EncryptedColumn => ({ table: 'wecom_follows', column, keyColumns: ['channel', 'external_userid', 'userid'], kind: 'text' });
const REMARK = sealed('remark');
const DESCRIPTION = sealed('description');
registerEncryptedColumn(REMARK);
registerEncryptedColumn(DESCRIPTION);

const COLUMNS = ['customer_id', 'channel', 'external_userid', 'userid', 'remark', 'description', 'tag_ids', 'add_way', 'state', 'followed_at', 'is_following', 'unfollowed_at', 'updated_at'] as const;
const UPSERT = `(customer_id, channel, external_userid, userid) DO UPDATE SET ${COLUMNS.slice(4).map((c) => `${c} = excluded.${c}`).join(', ')}`;

interface FollowRow {
  customer_id: string;
  external_userid: string;
  userid: string;
  remark: string | null;
  description: string | null;
  tag_ids: unknown;
  add_way: number | null;
  state: string | null;
  followed_at: Date | null;
  is_following: boolean;
}

const relation = (externalUserId: string, userid: string) => `${externalUserId}\u0000${userid}`;

/** Whether the stored relation already says what WeCom says now. */
function isCurrent(ctx: SyncContext, row: FollowRow, f: FollowedContact, customerId: string): boolean {
  const key = rowKey([ctx.channel, f.externalUserId, f.userid]);
  const open = (column: EncryptedColumn, value: string | null) => (value === null ? '' : decryptText(ctx.ring, column, key, value));
  return (
    row.is_following === true &&
    row.customer_id === customerId &&
    open(REMARK, row.remark) === f.remark &&
    open(DESCRIPTION, row.description) === f.description &&
    jsonText(row.tag_ids) === JSON.stringify(f.tagIds) &&
    (row.add_way === null ? undefined : Number(row.add_way)) === f.addWay &&
    (row.state ?? undefined) === f.state &&
    sameTime(row.followed_at, f.followedAt)
  );
}

/**
 * Writes listed follow relations (a page of the full listing, or one contact's from a callback): their customers,
 * then the relations that are new or changed. Returns external_userid → customer id.
 */
export async function writeFollows(tx: Queryable, ctx: SyncContext, page: readonly FollowedContact[]): Promise<Map<string, string>> {
  const owners = await resolvePeople(tx, ctx, page);
  const d = dialect(tx.kind);
  const existing = new Map(
    (
      await tx.query<FollowRow>(
        `SELECT f.customer_id, f.external_userid, f.userid, f.remark, f.description, f.tag_ids, f.add_way, f.state, f.followed_at, f.is_following
         FROM wecom_follows f JOIN ${d.jsonRows('$1', ['e'])} k ON f.external_userid = k.e WHERE f.channel = $2`,
        [jsonRowsParam([...new Set(page.map((f) => f.externalUserId))].map((e) => [e])), ctx.channel],
      )
    ).map((r) => [relation(r.external_userid, r.userid), r]),
  );
  const rows: unknown[][] = [];
  const moved: unknown[][] = [];
  for (const f of page) {
    const customerId = owners.get(f.externalUserId);
    if (!customerId) continue;
    const row = existing.get(relation(f.externalUserId, f.userid));
    if (row && isCurrent(ctx, row, f, customerId)) continue;
    if (!row) ctx.report.contacts.followsAdded++;
    else if (!row.is_following) ctx.report.contacts.refollowed++;
    else ctx.report.contacts.followsChanged++;
    // The identity moved to another customer (a correction, a conflict resolved): the relation follows it.
    if (row && row.customer_id !== customerId) moved.push([row.customer_id, f.externalUserId, f.userid]);
    const key = rowKey([ctx.channel, f.externalUserId, f.userid]);
    const seal = (column: EncryptedColumn, value: string) => (value === '' ? null : encryptText(ctx.ring, column, key, value));
    rows.push([customerId, ctx.channel, f.externalUserId, f.userid, seal(REMARK, f.remark), seal(DESCRIPTION, f.description), JSON.stringify(f.tagIds), f.addWay ?? null, f.state ?? null, f.followedAt ?? null, true, null, ctx.now]);
  }
  if (moved.length > 0) {
    await tx.execute(
      `DELETE FROM wecom_follows WHERE channel = $2
       AND EXISTS (SELECT 1 FROM ${d.jsonRows('$1', ['c', 'e', 'u'])} k WHERE k.c = wecom_follows.customer_id AND k.e = wecom_follows.external_userid AND k.u = wecom_follows.userid)`,
      [jsonRowsParam(moved), ctx.channel],
    );
  }
  await tx.insertRows('wecom_follows', COLUMNS, rows, UPSERT);
  return owners;
}

/** Marks relations (customer, external_userid, userid) as no longer followed, at the context's time. */
export async function markUnfollowed(db: Queryable, ctx: SyncContext, gone: readonly (readonly [string, string, string])[]): Promise<void> {
  const d = dialect(db.kind);
  for (let i = 0; i < gone.length; i += 10_000) {
    await db.execute(
      `UPDATE wecom_follows SET is_following = FALSE, unfollowed_at = CAST($3 AS TIMESTAMPTZ), updated_at = CAST($3 AS TIMESTAMPTZ)
       FROM ${d.jsonRows('$1', ['c', 'e', 'u'])} k
       WHERE wecom_follows.channel = $2 AND wecom_follows.customer_id = k.c AND wecom_follows.external_userid = k.e AND wecom_follows.userid = k.u`,
      [jsonRowsParam(gone.slice(i, i + 10_000).map((g) => [...g])), ctx.channel, ctx.now],
    );
  }
  ctx.report.contacts.unfollowed += gone.length;
}

/**
 * One contact as WeCom describes it now (externalcontact/get, from a callback): the relations listed are written as
 * a sync writes them, and this contact's relations no longer listed are marked not followed. Returns the customers
 * concerned (the contact's now, and any who held a relation that ended).
 */
export async function writeContact(tx: Queryable, ctx: SyncContext, externalUserId: string, follows: readonly FollowedContact[]): Promise<string[]> {
  const owners = follows.length > 0 ? await writeFollows(tx, ctx, follows) : new Map<string, string>();
  const listed = new Set(follows.map((f) => f.userid));
  const stored = await tx.query<{ customer_id: string; userid: string }>('SELECT customer_id, userid FROM wecom_follows WHERE channel = $1 AND external_userid = $2 AND is_following', [ctx.channel, externalUserId]);
  const gone = stored.filter((r) => !listed.has(r.userid)).map((r) => [r.customer_id, externalUserId, r.userid] as const);
  await markUnfollowed(tx, ctx, gone);
  Object.assign(ctx.report.contacts, { seen: follows.length > 0 ? 1 : 0, follows: follows.length });
  return [...new Set([...owners.values(), ...gone.map((g) => g[0]), ...stored.map((r) => r.customer_id)])];
}

/**
 * Lists every follow relation of `members` page by page (each page its own transaction), then marks the relations
 * WeCom no longer lists as not followed. Nothing is marked before the whole list has been read, so a sync that fails
 * half-way never takes a contact for gone.
 */
export async function syncContacts(store: Store, api: WecomApi, ctx: SyncContext, members: readonly string[], sizes: { membersPerRequest: number; pageSize: number }, options: DirectoryCallOptions): Promise<void> {
  const seen = new Set<string>();
  const contacts = new Set<string>();
  for await (const page of contactPages(api, members, sizes, options)) {
    for (const f of page) {
      seen.add(relation(f.externalUserId, f.userid));
      contacts.add(f.externalUserId);
    }
    if (page.length > 0) await store.transaction((tx) => writeFollows(tx, ctx, page));
    ctx.progress(`contacts: ${contacts.size} listed`);
  }
  Object.assign(ctx.report.contacts, { seen: contacts.size, follows: seen.size });

  const following = await store.query<{ customer_id: string; external_userid: string; userid: string }>('SELECT customer_id, external_userid, userid FROM wecom_follows WHERE channel = $1 AND is_following', [ctx.channel]);
  const gone = following.filter((r) => !seen.has(relation(r.external_userid, r.userid))).map((r) => [r.customer_id, r.external_userid, r.userid] as const);
  await markUnfollowed(store, ctx, gone);
}
