import { SiyuError } from '../../core/errors.ts';
import { hasTombstones, keyRingFor } from '../../privacy/index.ts';
import { dialect, jsonRowsParam, type Queryable, type Store } from '../../store/index.ts';
import { readChannelSetups, type ChannelSetup } from '../config.ts';
import { wecomClient } from './channels.ts';
import { listCorpTags, listFollowUsers } from './directory.ts';
import { syncContacts } from './sync-contacts.ts';
import { syncGroups } from './sync-groups.ts';
import { applyWecomTags, writeCorpTags } from './sync-tags.ts';
import { emptyReport, type SyncContext, type WecomSyncReport } from './sync-report.ts';

export type WecomSetup = Extract<ChannelSetup, { provider: 'wecom' }> & { name: string };

export interface WecomSyncOptions {
  /** Also sync the customer group chats and their members. */
  groups?: boolean;
  /** The sync's clock: the time recorded on what it changes. */
  now?: Date;
  onProgress?: (line: string) => void;
  /** Wait before retrying a busy answer (default 1,000 ms, doubled each time). */
  retryDelayMs?: number;
}

/**
 * Customers a contact relation can reach on the channel: followed by the sending member (`sender`, when the app sees
 * that member), else by any member. Those who are not are marked unreachable there, with the reason (prefixed by
 * `via`: the sync, or the callback that changed it); those who are again are marked reachable. The customers the
 * channel knows (by a relation or a group membership) are looked at, or `customers` when given (a callback's), and only
 * a change is written, so a second run writes nothing.
 */
export async function updateReachability(db: Queryable, ctx: SyncContext, sender: string | undefined, via: string, customers?: readonly string[]): Promise<void> {
  if (customers?.length === 0) return;
  const params: unknown[] = [ctx.channel, ctx.now, via];
  const bySender = sender === undefined ? '' : ` AND f.userid = $${params.push(sender)}`;
  const given = customers === undefined ? '' : dialect(db.kind).jsonRows(`$${params.push(jsonRowsParam(customers.map((c) => [c])))}`, ['c']);
  const candidates = customers === undefined ? `SELECT customer_id FROM wecom_follows WHERE channel = $1 UNION SELECT customer_id FROM wecom_group_members WHERE channel = $1` : `SELECT k.c AS customer_id FROM ${given} k`;
  const scope = customers === undefined ? '' : ` AND customer_id IN (SELECT k.c FROM ${given} k)`;
  const following = (customer: string) => `EXISTS (SELECT 1 FROM wecom_follows f WHERE f.customer_id = ${customer} AND f.channel = $1 AND f.is_following${bySender})`;
  const reason = `CAST($3 AS TEXT) || ': ' || CASE WHEN EXISTS (SELECT 1 FROM wecom_follows f WHERE f.customer_id = s.customer_id AND f.channel = $1 AND f.is_following) THEN 'not a contact of the sender'
                      WHEN EXISTS (SELECT 1 FROM wecom_follows f WHERE f.customer_id = s.customer_id AND f.channel = $1) THEN 'no member follows them any more'
                      WHEN EXISTS (SELECT 1 FROM wecom_group_members m WHERE m.customer_id = s.customer_id AND m.channel = $1) THEN 'a member of a customer group, not a contact'
                      ELSE 'not a contact of any member' END`;
  ctx.report.reachability.unreachable += await db.execute(
    `INSERT INTO channel_reachability (customer_id, channel, is_reachable, reason, changed_at)
     SELECT s.customer_id, CAST($1 AS TEXT), FALSE, ${reason}, CAST($2 AS TIMESTAMPTZ)
     FROM (${candidates}) s
     WHERE NOT ${following('s.customer_id')}
       AND NOT EXISTS (SELECT 1 FROM channel_reachability cr WHERE cr.customer_id = s.customer_id AND cr.channel = $1 AND NOT cr.is_reachable)
     ON CONFLICT (customer_id, channel) DO UPDATE SET is_reachable = excluded.is_reachable, reason = excluded.reason, changed_at = excluded.changed_at`,
    params,
  );
  ctx.report.reachability.reachable += await db.execute(
    `UPDATE channel_reachability SET is_reachable = TRUE, reason = CAST($3 AS TEXT) || ': followed', changed_at = CAST($2 AS TIMESTAMPTZ)
     WHERE channel = $1 AND NOT is_reachable AND ${following('channel_reachability.customer_id')}${scope}`,
    params,
  );
}

export async function wecomSetup(store: Store, name: string, what = 'has a contact list to sync'): Promise<WecomSetup> {
  const setup = (await readChannelSetups(store, { includeDisabled: true })).find((s) => s.name === name);
  if (!setup) throw new SiyuError('not_found', 'channel_not_found', `no channel ${JSON.stringify(name)} (siyu channels list)`);
  if (setup.provider !== 'wecom') throw new SiyuError('validation', 'not_wecom', `channel ${name} is ${setup.provider}: only a wecom channel ${what}`);
  return setup;
}

/** What every step of a sync (or of a callback's update) shares, with an empty report. */
export async function syncContext(store: Store, name: string, now: Date, onProgress?: (line: string) => void): Promise<SyncContext> {
  return { channel: name, ring: await keyRingFor(store), hasTombstones: await hasTombstones(store), now, report: emptyReport(name, now), progress: onProgress ?? (() => undefined) };
}

/**
 * Syncs a WeCom channel's 客户联系 directory into Siyu (docs/channels.md#contact-sync-and-group-chats): every member
 * the app sees (get_follow_user_list), their external contacts (batch/get_by_user) as customers with external_userid
 * and unionid identities and the follow relations, and with `groups` the customer group chats and their members;
 * then the corp's tags (get_corp_tag_list) as `wecom:<group>/<name>` customer tags, and reachability on the channel.
 * Incremental and idempotent: only what changed is written, a second run over the same directory changes nothing, and
 * what WeCom no longer lists is marked ended, never deleted.
 */
export async function syncWecom(store: Store, name: string, options: WecomSyncOptions = {}): Promise<WecomSyncReport> {
  const setup = await wecomSetup(store, name);
  const now = options.now ?? new Date();
  const ctx = await syncContext(store, name, now, options.onProgress);
  const api = wecomClient(setup);
  const call = { retryDelayMs: options.retryDelayMs };
  const members = await listFollowUsers(api, call);
  ctx.report.members = members.length;
  ctx.progress(`${members.length} members with the customer contact feature`);
  const { sender } = setup.settings;
  const sees = sender !== undefined && members.includes(sender);
  if (sender !== undefined && !sees) ctx.report.warnings.push(`the sender ${sender} is not among the members the app sees, so reachability counts a follow by any member`);
  if (members.length === 0) ctx.report.warnings.push('the app sees no member with the customer contact feature (check its visible range): every relation is taken as ended');
  await syncContacts(store, api, ctx, members, { membersPerRequest: setup.settings.sync_members_per_request, pageSize: setup.settings.sync_page_size }, call);
  if (options.groups) await syncGroups(store, api, ctx, members, setup.settings.sync_groups_page_size, call);
  const tags = await listCorpTags(api, call);
  await store.transaction(async (tx) => {
    await writeCorpTags(tx, ctx, tags);
    await applyWecomTags(tx, ctx);
  });
  await store.transaction((tx) => updateReachability(tx, ctx, sees ? sender : undefined, 'contact sync'));
  ctx.report.finishedAt = new Date();
  return ctx.report;
}

/** Syncs every enabled WeCom channel (the `wecom-sync` job); none configured gives an empty list. */
export async function syncWecomChannels(store: Store, options: WecomSyncOptions = {}): Promise<WecomSyncReport[]> {
  const names = (await readChannelSetups(store)).filter((s) => s.provider === 'wecom').map((s) => s.name);
  const reports: WecomSyncReport[] = [];
  for (const name of names) reports.push(await syncWecom(store, name, { ...options, onProgress: (line) => options.onProgress?.(`${name}: ${line}`) }));
  return reports;
}

/** The rows a sync changed, for job runs. */
export function wecomSyncChanges(r: WecomSyncReport): number {
  const g = r.groups;
  return r.tags.corpTagsChanged + r.tags.added + r.tags.removed + r.people.customersCreated + r.people.identitiesAdded + r.contacts.followsAdded + r.contacts.followsChanged + r.contacts.refollowed + r.contacts.unfollowed + r.reachability.unreachable + r.reachability.reachable + (g ? g.added + g.changed + g.gone + g.joined + g.left : 0);
}

/** One line per part of a sync report, as people read it. */
export function describeWecomSync(r: WecomSyncReport): string[] {
  const g = r.groups;
  return [
    `${r.channel}: ${r.members} members; ${r.contacts.seen} contacts in ${r.contacts.follows} follow relations (${r.contacts.followsAdded} new, ${r.contacts.followsChanged} changed, ${r.contacts.refollowed} followed again, ${r.contacts.unfollowed} unfollowed)`,
    `customers: ${r.people.customersCreated} created, ${r.people.identitiesAdded} identities added, ${r.people.joinedExisting} joined to existing customers, ${r.people.merges} merged${r.people.skippedErased ? `, ${r.people.skippedErased} erased people skipped` : ''}`,
    ...(g ? [`groups: ${g.seen} (${g.added} new, ${g.changed} changed, ${g.gone} gone, ${g.unchanged} with the same members); ${g.members} customer members, ${g.staff} staff; ${g.joined} joined, ${g.left} left`] : []),
    `tags: ${r.tags.corpTags} corp tags (${r.tags.corpTagsChanged} changed); customer tags ${r.tags.added} added, ${r.tags.removed} removed`,
    `reachability on ${r.channel}: ${r.reachability.unreachable} marked unreachable, ${r.reachability.reachable} reachable again`,
    ...r.warnings.map((w) => `warning: ${w}`),
  ];
}
