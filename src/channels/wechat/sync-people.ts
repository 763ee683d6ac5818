import { IdentityResolver, type Identifier } from '../../ingest/index.ts';
import { sealPii, tombstonedIdentifiers } from '../../privacy/index.ts';
import { dialect, jsonRowsParam, type Queryable } from '../../store/index.ts';
import type { SyncContext } from './sync-report.ts';

/** Someone WeCom lists: a contact, or an external member of a group chat. */
export interface Person {
  externalUserId: string;
  unionid?: string;
  name?: string;
  /** WeCom's: 0 unknown, 1 male, 2 female. */
  gender?: number;
}

const GENDER: Record<number, string | undefined> = { 1: 'm', 2: 'f' };

const identifiersOf = (p: Person): Identifier[] => [{ type: 'external_userid', value: p.externalUserId }, ...(p.unionid ? [{ type: 'unionid' as const, value: p.unionid }] : [])];
const keyOf = (id: Identifier) => `${id.type}\u0000${id.value}`;

/**
 * The customer of each person, inside the caller's transaction, by ingest's identity resolution: their
 * external_userid and unionid join the customer an identity already names (a unionid from the mini-program or the
 * official account), merging profiles by its rules, else a new customer (`unionid:…` or `external_userid:…`). A name
 * and gender from WeCom fill the profile only where it has none (the name sealed). People of an erased person
 * (a tombstone in force) are skipped. Returns external_userid → customer id, for the people not skipped.
 */
export async function resolvePeople(tx: Queryable, ctx: SyncContext, people: readonly Person[]): Promise<Map<string, string>> {
  const unique = new Map<string, Person>();
  for (const p of people) unique.set(p.externalUserId, { ...unique.get(p.externalUserId), ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as Person);
  const erased = await tombstonedIdentifiers(tx, ctx.ring.indexKey, [...unique.values()].flatMap(identifiersOf));
  const live = [...unique.values()].filter((p) => !identifiersOf(p).some((id) => erased.has(keyOf(id))));
  ctx.report.people.skippedErased += unique.size - live.length;
  if (live.length === 0) return new Map();

  const resolver = new IdentityResolver(tx, tx.kind, ctx.now);
  await resolver.preload(live.flatMap(identifiersOf));
  for (const p of live) await resolver.resolve(identifiersOf(p), `wecom:${ctx.channel}:${p.externalUserId}`, `wecom:${ctx.channel}`);
  await resolver.flush();
  const created = new Set(resolver.written.customers.map((id) => resolver.canonical(id)));
  const added = resolver.written.identities;
  Object.assign(ctx.report.people, {
    customersCreated: ctx.report.people.customersCreated + created.size,
    identitiesAdded: ctx.report.people.identitiesAdded + added.length,
    joinedExisting: ctx.report.people.joinedExisting + added.filter((n) => n.id.type === 'external_userid' && !created.has(resolver.canonical(n.customerId))).length,
    merges: ctx.report.people.merges + resolver.merges,
  });

  // The owner of the external_userid itself: the channel addresses its messages by it (and when two members' profiles
  // both claim a person, resolution may leave it with the one it already had).
  const d = dialect(tx.kind);
  const owners = new Map(
    (
      await tx.query<{ value: string; customer_id: string }>(`SELECT i.value, i.customer_id FROM identities i JOIN ${d.jsonRows('$1', ['v'])} k ON i.value = k.v WHERE i.type = 'external_userid'`, [
        jsonRowsParam(live.map((p) => [p.externalUserId])),
      ])
    ).map((r) => [r.value, r.customer_id]),
  );
  // One row per customer: an UPDATE … FROM must not meet a row twice.
  const fill = [...new Map(live.filter((p) => owners.has(p.externalUserId) && (p.name || GENDER[p.gender ?? 0])).map((p) => [owners.get(p.externalUserId)!, p])).values()];
  if (fill.length > 0) {
    await tx.execute(
      `UPDATE customers SET name = COALESCE(customers.name, v.name), gender = COALESCE(customers.gender, v.gender), updated_at = CAST($2 AS TIMESTAMPTZ)
       FROM ${d.jsonRows('$1', ['customer_id', 'name', 'gender'])} v
       WHERE customers.customer_id = v.customer_id AND ((customers.name IS NULL AND v.name IS NOT NULL) OR (customers.gender IS NULL AND v.gender IS NOT NULL))`,
      [jsonRowsParam(fill.map((p) => [owners.get(p.externalUserId)!, p.name ? sealPii(ctx.ring, p.name) : null, GENDER[p.gender ?? 0] ?? null])), ctx.now],
    );
  }
  return owners;
}
