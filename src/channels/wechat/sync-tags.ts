import { dialect, jsonRowsParam, type Queryable } from '../../store/index.ts';
import type { CorpTag } from './directory.ts';
import { jsonText, type SyncContext } from './sync-report.ts';

/** What a customer tag from WeCom is called: `wecom:<group>/<name>`, e.g. `wecom:会员等级/金卡`. */
export const wecomTagName = (t: { groupName: string; name: string }): string => `wecom:${t.groupName}/${t.name}`;

/** The `source` and `set_by` of the customer tags a WeCom channel sets. */
const SOURCE = 'wecom';
const setBy = (channel: string) => `wecom:${channel}`;

/**
 * Stores the corp's tags as get_corp_tag_list answered (one call a sync run, or a change_external_tag callback): new
 * and changed tags written, tags no longer listed kept and marked deleted. Returns how many rows changed.
 */
export async function writeCorpTags(db: Queryable, ctx: SyncContext, tags: readonly CorpTag[]): Promise<number> {
  const stored = new Map(
    (await db.query<{ tag_id: string; group_id: string; group_name: string; name: string; sort_order: number; is_deleted: boolean }>('SELECT tag_id, group_id, group_name, name, sort_order, is_deleted FROM wecom_corp_tags WHERE channel = $1', [ctx.channel])).map((r) => [r.tag_id, r]),
  );
  const rows: unknown[][] = [];
  for (const t of tags) {
    const r = stored.get(t.tagId);
    if (r && r.group_id === t.groupId && r.group_name === t.groupName && r.name === t.name && Number(r.sort_order) === t.order && r.is_deleted === t.isDeleted) continue;
    rows.push([ctx.channel, t.tagId, t.groupId, t.groupName, t.name, t.order, t.isDeleted, ctx.now]);
  }
  const listed = new Set(tags.map((t) => t.tagId));
  for (const r of stored.values()) if (!r.is_deleted && !listed.has(r.tag_id)) rows.push([ctx.channel, r.tag_id, r.group_id, r.group_name, r.name, r.sort_order, true, ctx.now]);
  await db.insertRows('wecom_corp_tags', ['channel', 'tag_id', 'group_id', 'group_name', 'name', 'sort_order', 'is_deleted', 'updated_at'], rows, '(channel, tag_id) DO UPDATE SET group_id = excluded.group_id, group_name = excluded.group_name, name = excluded.name, sort_order = excluded.sort_order, is_deleted = excluded.is_deleted, updated_at = excluded.updated_at');
  ctx.report.tags.corpTags = tags.filter((t) => !t.isDeleted).length;
  ctx.report.tags.corpTagsChanged += rows.length;
  return rows.length;
}

/**
 * Makes the customer tags a WeCom channel sets match what its members gave: a customer carries `wecom:<group>/<name>`
 * for each live corp tag on a relation still followed, and loses the ones no longer given (the member removed the
 * tag, the contact unfollowed, the tag was deleted or renamed). Only the tags this channel set are taken away; a tag
 * of the same name set another way (by hand, by a rule) is left alone and not set twice. `customers` limits it to
 * some customers (a callback's); without it, everyone the channel knows. Each change has its tag_history row.
 */
export async function applyWecomTags(db: Queryable, ctx: SyncContext, customers?: readonly string[]): Promise<void> {
  if (customers?.length === 0) return;
  const d = dialect(db.kind);
  const by = setBy(ctx.channel);
  const inScope = (n: number) => (customers === undefined ? '' : ` AND customer_id IN (SELECT k.c FROM ${d.jsonRows(`$${n}`, ['c'])} k)`);
  const scope = customers === undefined ? [] : [jsonRowsParam(customers.map((c) => [c]))];
  const names = new Map((await db.query<{ tag_id: string; group_name: string; name: string }>('SELECT tag_id, group_name, name FROM wecom_corp_tags WHERE channel = $1 AND NOT is_deleted', [ctx.channel])).map((r) => [r.tag_id, wecomTagName({ groupName: r.group_name, name: r.name })]));
  const wanted = new Set<string>();
  for (const f of await db.query<{ customer_id: string; tag_ids: unknown }>(`SELECT customer_id, tag_ids FROM wecom_follows WHERE channel = $1 AND is_following${inScope(2)}`, [ctx.channel, ...scope])) {
    for (const id of JSON.parse(jsonText(f.tag_ids)) as string[]) {
      const tag = names.get(id);
      if (tag) wanted.add(`${f.customer_id}\u0000${tag}`);
    }
  }
  // Every wecom:… tag of the customers in scope, whoever set it: one set by hand is not set again.
  const held = await db.query<{ customer_id: string; tag: string; set_by: string }>(`SELECT customer_id, tag, set_by FROM customer_tags WHERE tag LIKE 'wecom:%'${inScope(1)}`, scope);
  const has = new Set(held.map((r) => `${r.customer_id}\u0000${r.tag}`));
  const add = [...wanted].filter((k) => !has.has(k)).map((k) => k.split('\u0000') as [string, string]);
  const remove = held.filter((r) => r.set_by === by && !wanted.has(`${r.customer_id}\u0000${r.tag}`)).map((r) => [r.customer_id, r.tag] as [string, string]);
  if (remove.length > 0) {
    await db.execute(`DELETE FROM customer_tags WHERE set_by = $2 AND EXISTS (SELECT 1 FROM ${d.jsonRows('$1', ['c', 't'])} k WHERE k.c = customer_tags.customer_id AND k.t = customer_tags.tag)`, [jsonRowsParam(remove), by]);
  }
  await db.insertRows('customer_tags', ['customer_id', 'tag', 'source', 'set_by', 'set_at'], add.map(([c, t]) => [c, t, SOURCE, by, ctx.now]));
  await db.insertRows('tag_history', ['customer_id', 'tag', 'action', 'changed_by', 'changed_at'], [...add.map(([c, t]) => [c, t, 'added', by, ctx.now]), ...remove.map(([c, t]) => [c, t, 'removed', by, ctx.now])]);
  ctx.report.tags.added += add.length;
  ctx.report.tags.removed += remove.length;
}
