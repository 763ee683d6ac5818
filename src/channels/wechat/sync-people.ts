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

interface Known {
  type: string;
  value: string;
  customer_id: string;
  has_name: boolean;
  has_gender: boolean;
}

/** The owners of `ids` and whether their profiles have a name and a gender yet, in one query. */
async function owned(tx: Queryable, ids: readonly Identifier[]): Promise<Map<string, Known>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<Known>(
    `SELECT i.type, i.value, i.customer_id, c.name IS NOT NULL AS has_name, c.gender IS NOT NULL AS has_gender
     FROM identities i JOIN ${dialect(tx.kind).jsonRows('$1', ['t', 'v'])} k ON i.type = k.t AND i.value = k.v LEFT JOIN customers c ON c.customer_id = i.customer_id`,
    [jsonRowsParam(ids.map((i) => [i.type, i.value]))],
  );
  return new Map(rows.map((r) => [`${r.type}\u0000${r.value}`, r]));
}

/** Runs ingest's resolver over people some of whose identifiers are new or name different customers; counts what it wrote. */
async function resolve(tx: Queryable, ctx: SyncContext, people: readonly Person[]): Promise<number> {
  const resolver = new IdentityResolver(tx, tx.kind, ctx.now);
  await resolver.preload(people.flatMap(identifiersOf));
  for (const p of people) await resolver.resolve(identifiersOf(p), `wecom:${ctx.channel}:${p.externalUserId}`, `wecom:${ctx.channel}`);
  await resolver.flush();
  const created = new Set(resolver.written.customers.map((id) => resolver.canonical(id)));
  const added = resolver.written.identities;
  const tally = ctx.report.people;
  tally.customersCreated += created.size;
  tally.identitiesAdded += added.length;
  tally.joinedExisting += added.filter((n) => n.id.type === 'external_userid' && !created.has(resolver.canonical(n.customerId))).length;
  tally.merges += resolver.merges;
  return resolver.merges;
}

/**
 * The customer of each person, inside the caller's transaction, by ingest's identity resolution: their
 * external_userid and unionid join the customer an identity already names (a unionid from the mini-program or the
 * official account), merging profiles by its rules, else a new customer (`unionid:…` or `external_userid:…`). People
 * whose identifiers all name one customer already are settled without it. A name and gender from WeCom fill the
 * profile only where it has none (the name sealed). People of an erased person (a tombstone in force) are skipped.
 * Returns external_userid → customer id (the owner of the external_userid, which the channel addresses), for the
 * people not skipped.
 */
export async function resolvePeople(tx: Queryable, ctx: SyncContext, people: readonly Person[]): Promise<Map<string, string>> {
  const unique = new Map<string, Person>();
  for (const p of people) unique.set(p.externalUserId, { ...unique.get(p.externalUserId), ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as Person);
  const erased = ctx.hasTombstones ? await tombstonedIdentifiers(tx, ctx.ring.indexKey, [...unique.values()].flatMap(identifiersOf)) : new Set<string>();
  const live = [...unique.values()].filter((p) => !identifiersOf(p).some((id) => erased.has(keyOf(id))));
  ctx.report.people.skippedErased += unique.size - live.length;

  let known = await owned(tx, live.flatMap(identifiersOf));
  const settled = (p: Person) => new Set(identifiersOf(p).map((id) => known.get(keyOf(id))?.customer_id ?? '')).size === 1 && known.has(keyOf(identifiersOf(p)[0]!));
  const unsettled = live.filter((p) => !settled(p));
  if (unsettled.length > 0) {
    // A merge may have moved a settled person's customer too: then everyone is looked up again.
    const merges = await resolve(tx, ctx, unsettled);
    known = new Map([...known, ...(await owned(tx, (merges > 0 ? live : unsettled).flatMap(identifiersOf)))]);
  }

  const owners = new Map<string, string>();
  const fill = new Map<string, unknown[]>();
  for (const p of live) {
    const owner = known.get(keyOf(identifiersOf(p)[0]!));
    if (!owner) continue;
    owners.set(p.externalUserId, owner.customer_id);
    const name = owner.has_name ? undefined : p.name;
    const gender = owner.has_gender ? undefined : GENDER[p.gender ?? 0];
    // One row per customer: an UPDATE … FROM must not meet a row twice.
    if ((name || gender) && !fill.has(owner.customer_id)) fill.set(owner.customer_id, [owner.customer_id, name ? sealPii(ctx.ring, name) : null, gender ?? null]);
  }
  if (fill.size > 0) {
    await tx.execute(
      `UPDATE customers SET name = COALESCE(customers.name, v.name), gender = COALESCE(customers.gender, v.gender), updated_at = CAST($2 AS TIMESTAMPTZ)
       FROM ${dialect(tx.kind).jsonRows('$1', ['customer_id', 'name', 'gender'])} v WHERE customers.customer_id = v.customer_id`,
      [jsonRowsParam([...fill.values()]), ctx.now],
    );
  }
  return owners;
}
