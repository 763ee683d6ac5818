import { assertNever } from '../../core/errors.ts';
import type { Queryable } from '../../store/index.ts';
import { findGroupChat, getContact, listCorpTags, type CorpTag, type FollowedContact, type GroupChat, type WecomApi } from './directory.ts';
import { writeContact } from './sync-contacts.ts';
import { markGone, writeGroups, type GroupRow } from './sync-groups.ts';
import type { SyncContext } from './sync-report.ts';
import { applyWecomTags, writeCorpTags } from './sync-tags.ts';

/**
 * A directory change WeCom posts to the callback URL: a contact's (change_external_contact), a customer group's
 * (change_external_chat) or the corp tags' (change_external_tag). Each names what changed, never how it is now, so
 * the callback asks WeCom for that one thing and writes it with the code the full sync uses.
 */
export type DirectoryEvent =
  | { kind: 'contact'; change: string; externalUserId: string }
  | { kind: 'chat'; change: string; chatId: string }
  | { kind: 'tags'; change: string };

/** What WeCom says now about the thing an event names (fetched before the transaction that writes it). */
export type DirectoryState =
  | { kind: 'contact'; externalUserId: string; follows: FollowedContact[] }
  | { kind: 'chat'; chatId: string; group: GroupChat | undefined }
  | { kind: 'tags'; tags: CorpTag[] };

/** The chat APIs' answer for a chat that no longer exists, or that the app may no longer see. */
const CHAT_GONE = [40050, 90500, 90501];

/**
 * Asks WeCom about what one event names: the contact (externalcontact/get, one call), the group (groupchat/get) or
 * the corp tags (get_corp_tag_list). A dismissed group is not asked about. Throws `unavailable` when WeCom cannot
 * answer, so the callback is refused and WeCom posts it again.
 */
export async function fetchDirectoryState(api: WecomApi, event: DirectoryEvent): Promise<DirectoryState> {
  // WeCom waits 5 s for the answer: busy answers are retried quickly (0.2 + 0.4 + 0.8 s), then the callback fails.
  const quick = { retryDelayMs: 200 };
  switch (event.kind) {
    case 'contact':
      return { kind: 'contact', externalUserId: event.externalUserId, follows: await getContact(api, event.externalUserId, quick) };
    case 'chat':
      return { kind: 'chat', chatId: event.chatId, group: event.change === 'dismiss' ? undefined : await findGroupChat(api, event.chatId, 0, CHAT_GONE, quick) };
    case 'tags':
      return { kind: 'tags', tags: await listCorpTags(api, quick) };
    default:
      return assertNever(event);
  }
}

/**
 * Writes what WeCom said about one event inside the caller's transaction, as the full sync would have: a contact's
 * relations (new, changed, ended) and then its customer's WeCom tags; a group and its members, or the group marked
 * gone; the corp tags and every customer's WeCom tags. Returns the customers whose reachability may have changed.
 */
export async function applyDirectoryState(tx: Queryable, ctx: SyncContext, state: DirectoryState): Promise<string[]> {
  switch (state.kind) {
    case 'contact': {
      const customers = await writeContact(tx, ctx, state.externalUserId, state.follows);
      await applyWecomTags(tx, ctx, customers);
      // The customer the external_userid names, even with no relation stored yet (before any sync ran).
      const named = await tx.query<{ customer_id: string }>(`SELECT customer_id FROM identities WHERE type = 'external_userid' AND value = $1`, [state.externalUserId]);
      return [...new Set([...customers, ...named.map((r) => r.customer_id)])];
    }
    case 'chat': {
      const [row] = await tx.query<GroupRow>('SELECT chat_id, name, owner, notice, created_at, status, member_count, admins, member_version, is_listed FROM wecom_groups WHERE channel = $1 AND chat_id = $2', [ctx.channel, state.chatId]);
      const tally = { seen: 0, added: 0, changed: 0, unchanged: 0, gone: 0, members: 0, staff: 0, joined: 0, left: 0 };
      ctx.report.groups = tally;
      if (state.group) {
        // groupchat/get does not say the owner's status (only groupchat/list does): the stored one is kept.
        const group = { ...state.group, status: row ? Number(row.status) : 0 };
        tally.seen = 1;
        await writeGroups(tx, ctx, tally, [group], new Map(row ? [[row.chat_id, row]] : []));
      } else if (row?.is_listed) {
        await markGone(tx, ctx, tally, [state.chatId]);
      }
      return (await tx.query<{ customer_id: string }>('SELECT DISTINCT customer_id FROM wecom_group_members WHERE channel = $1 AND chat_id = $2', [ctx.channel, state.chatId])).map((r) => r.customer_id);
    }
    case 'tags':
      await writeCorpTags(tx, ctx, state.tags);
      await applyWecomTags(tx, ctx);
      return [];
    default:
      return assertNever(state);
  }
}
