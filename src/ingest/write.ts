import { parseBirthday } from '../core/birthday.ts';
import { applyLoyaltyOrders } from '../loyalty/index.ts';
import { encryptJson, EVENT_PII_JSON_KEYS, findEncryptedColumn, isToken, SEALED_PROFILE_COLUMNS, sealPii, storedIdentifier, type KeyRing } from '../privacy/index.ts';
import { dialect, jsonRowsParam, queueWatchedRows, type BackendKind, type Queryable } from '../store/index.ts';
import { applyOrderChanges } from './orders.ts';
import type { PreparedMessage } from './prepare.ts';
import { IdentityResolver } from './resolve.ts';

export type WriteStatus = 'accepted' | 'duplicate';

/** A validated message, where it came from (a write key's name, or an import file), and when it arrived if earlier than now. */
export interface SourcedMessage {
  message: PreparedMessage;
  source: string;
  receivedAt?: Date;
}

/** Profile columns that hold personal data, stored sealed (docs/privacy.md). */
const SEALED_COLUMNS: ReadonlySet<string> = new Set(SEALED_PROFILE_COLUMNS);
const PROFILE_COLUMNS = ['phone', 'email', 'name', 'gender', 'birthday', 'birth_year', 'birth_month', 'city', 'registered_at', 'channel'] as const;
const CASTS: Record<(typeof PROFILE_COLUMNS)[number], string> = {
  phone: 'TEXT',
  email: 'TEXT',
  name: 'TEXT',
  gender: 'TEXT',
  birthday: 'TEXT',
  birth_year: 'SMALLINT',
  birth_month: 'SMALLINT',
  city: 'TEXT',
  registered_at: 'TIMESTAMPTZ',
  channel: 'TEXT',
};

/**
 * Stores validated messages inside the caller's transaction: dedupes on messageId, resolves identities,
 * then writes events, profile traits and order changes. Returns one status per message, in order.
 * A messageId seen before (in the store or earlier in `messages`) is a duplicate and changes nothing.
 */
export async function writeMessages(tx: Queryable, kind: BackendKind, entries: readonly SourcedMessage[], receivedAt: Date, ring: KeyRing): Promise<WriteStatus[]> {
  const statuses: WriteStatus[] = entries.map(() => 'duplicate');
  const seen = await existingMessageIds(tx, kind, entries.map((e) => e.message.messageId));
  const fresh: { message: PreparedMessage; source: string; receivedAt: Date; customerId: string }[] = [];
  for (const [index, { message, source, receivedAt: arrived }] of entries.entries()) {
    if (seen.has(message.messageId)) continue;
    seen.add(message.messageId);
    statuses[index] = 'accepted';
    fresh.push({ message: sealMessage(ring, message), source, receivedAt: arrived ?? receivedAt, customerId: '' });
  }
  if (fresh.length === 0) return statuses;

  const resolver = new IdentityResolver(tx, kind, receivedAt);
  await resolver.preload(fresh.flatMap((f) => f.message.identifiers));
  for (const entry of fresh) {
    const { message, source } = entry;
    entry.customerId = message.alias
      ? await resolver.alias(message.alias.previousId, message.alias.userId, message.messageId, source)
      : await resolver.resolve(message.identifiers, message.messageId, source);
  }
  await resolver.flush();
  for (const entry of fresh) entry.customerId = resolver.canonical(entry.customerId);

  await tx.insertRows(
    'messages',
    ['message_id', 'customer_id', 'received_at'],
    fresh.map((f) => [f.message.messageId, f.customerId, f.receivedAt]),
  );
  await tx.insertRows(
    'events',
    ['customer_id', 'message_id', 'type', 'name', 'properties', 'context', 'user_id', 'anonymous_id', 'ts', 'received_at', 'source'],
    fresh.map(({ message: m, customerId, source, receivedAt: arrived }) => [customerId, m.messageId, m.type, m.name, m.properties, m.context, m.userId, m.anonymousId, m.ts, arrived, source]),
  );
  await queueWatchedRows(tx, fresh.map(({ message: m, customerId }) => ({ customerId, messageId: m.messageId, name: m.name, properties: m.properties, ts: m.ts })));
  await updateProfiles(tx, kind, fresh, receivedAt);
  const orders = fresh.filter((f) => f.message.order).map((f) => ({ customerId: f.customerId, change: f.message.order!, ts: f.message.ts, source: f.source }));
  if (orders.length > 0) {
    await applyOrderChanges(tx, kind, orders, receivedAt);
    // Coupons and points follow the orders they belong to, in the same transaction (docs/loyalty.md).
    await applyLoyaltyOrders(tx, orders.map((o) => ({ customerId: o.customerId, event: o.change.event, orderId: o.change.orderId, couponCode: o.change.couponCode, discountFen: o.change.discountFen, totalFen: o.change.totalFen, ts: o.ts })), receivedAt);
  }
  return statuses;
}

/** The ids among `ids` already in the `messages` ledger. */
async function existingMessageIds(tx: Queryable, kind: BackendKind, ids: readonly string[]): Promise<Set<string>> {
  const rows = await tx.query<{ message_id: string }>(
    `SELECT m.message_id FROM messages m JOIN ${dialect(kind).jsonRows('$1', ['id'])} k ON m.message_id = k.id`,
    [jsonRowsParam([...new Set(ids)].map((id) => [id]))],
  );
  return new Set(rows.map((r) => r.message_id));
}

/** identify: later traits win over earlier ones, key by key; profile columns take the latest non-empty value. */
async function updateProfiles(tx: Queryable, kind: BackendKind, fresh: readonly { message: PreparedMessage; customerId: string }[], at: Date): Promise<void> {
  const byCustomer = new Map<string, { traits: Record<string, unknown>; profile: Record<string, unknown> }>();
  for (const { message, customerId } of fresh) {
    if (!message.traits) continue;
    const current = byCustomer.get(customerId) ?? { traits: {}, profile: {} };
    Object.assign(current.traits, message.traits);
    for (const [key, value] of Object.entries(message.profile ?? {})) if (value !== undefined) current.profile[key] = value;
    byCustomer.set(customerId, current);
  }
  if (byCustomer.size === 0) return;
  const columns = ['customer_id', 'traits', ...PROFILE_COLUMNS];
  const rows = [...byCustomer.entries()].map(([id, { traits, profile }]) => [id, traits, ...PROFILE_COLUMNS.map((c) => profile[c] ?? null)]);
  await tx.execute(
    `UPDATE customers SET
       traits = ${dialect(kind).jsonMerge('customers.traits', 'v.traits')},
       ${PROFILE_COLUMNS.map((c) => `${c} = COALESCE(v.${c}::${CASTS[c]}, customers.${c})`).join(',\n       ')},
       updated_at = $2::TIMESTAMPTZ
     FROM ${dialect(kind).jsonRows('$1', columns)} AS v
     WHERE customers.customer_id = v.customer_id`,
    [jsonRowsParam(rows), at],
  );
}

const EVENT_PROPERTIES = findEncryptedColumn('events', 'properties')!;
const EVENT_CONTEXT = findEncryptedColumn('events', 'context')!;
const CUSTOMER_TRAITS = findEncryptedColumn('customers', 'traits')!;

/** A plain birthday as the profile stores it: sealed, with its year and month (none of them when it is not a date). */
function sealedBirthday(ring: KeyRing, plain: string): { birthday: string | undefined; birth_year: number | undefined; birth_month: number | undefined } {
  const b = parseBirthday(plain);
  return { birthday: b && sealPii(ring, b.iso), birth_year: b?.year, birth_month: b?.month };
}

/**
 * A message as it is stored: personal identifiers as blind indexes (their values sealed for `identities.secret`),
 * personal profile columns sealed, and the personal values inside traits, properties and context sealed. Orders were
 * parsed from the message before, so order rows are unaffected. A sealed message is returned as it is.
 */
export function sealMessage(ring: KeyRing, m: PreparedMessage): PreparedMessage {
  // Messages from the inbox were sealed when it took them; ones acknowledged before sealing existed, or imported, were
  // not. One taken before birthdays were sealed (migration 036) may still hold its birthday plain, without its parts.
  if (m.sealed) return typeof m.profile?.birthday === 'string' && !isToken(m.profile.birthday) ? { ...m, profile: { ...m.profile, ...sealedBirthday(ring, m.profile.birthday) } } : m;
  // Identify traits describe the person; a group's describe a company or store, whose name is not personal.
  const traitLike = m.type === 'identify';
  return {
    ...m,
    identifiers: m.identifiers.map((i) => storedIdentifier(ring, i)),
    traits: m.traits && (encryptJson(ring, CUSTOMER_TRAITS, '', m.traits) as Record<string, unknown>),
    profile: m.profile && Object.fromEntries(Object.entries(m.profile).map(([k, v]) => [k, SEALED_COLUMNS.has(k) && typeof v === 'string' && !isToken(v) ? sealPii(ring, v) : v])),
    properties: m.properties && (encryptJson(ring, EVENT_PROPERTIES, m.messageId, m.properties, traitLike ? undefined : EVENT_PII_JSON_KEYS) as Record<string, unknown>),
    context: m.context && (encryptJson(ring, EVENT_CONTEXT, m.messageId, m.context) as Record<string, unknown>),
    sealed: true,
  };
}
