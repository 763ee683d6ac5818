import { decryptJson, findEncryptedColumn, identityValue, keyRingFor, lookupValue, openPii, storedIdentifier } from '../../src/privacy/index.ts';
import type { Store } from '../../src/store/index.ts';

// Personal values are stored sealed (docs/privacy.md): tests read them back through the store's key ring, the way
// the product does, and look identities up by blind index.

/** The rows with their sealed columns (phone, email, name, birthday by default) opened. */
export async function opened<T extends Record<string, unknown>>(store: Store, rows: readonly T[], columns: readonly string[] = ['phone', 'email', 'name', 'birthday']): Promise<T[]> {
  const ring = await keyRingFor(store);
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, columns.includes(k) && typeof v === 'string' ? openPii(ring, v) : v])) as T);
}

/** The stored value of an identifier: a blind index for phones and emails, the value itself otherwise. */
export async function storedValue(store: Store, type: string, value: string): Promise<string> {
  return lookupValue(await keyRingFor(store), type, value);
}

/** The customer an identifier routes to, or undefined. */
export async function ownerOf(store: Store, type: string, value: string): Promise<string | undefined> {
  const [row] = await store.query<{ customer_id: string }>('SELECT customer_id FROM identities WHERE type = $1 AND value = $2', [type, await storedValue(store, type, value)]);
  return row?.customer_id;
}

/** A customer's identities as people read them, ordered by type and value. */
export async function identitiesOf(store: Store, customerId: string): Promise<{ type: string; value: string }[]> {
  const ring = await keyRingFor(store);
  const rows = await store.query<{ type: string; value: string; secret: string | null }>('SELECT type, value, secret FROM identities WHERE customer_id = $1', [customerId]);
  return rows.map((r) => ({ type: r.type, value: identityValue(ring, r) })).sort((a, b) => (a.type + a.value < b.type + b.value ? -1 : 1));
}

/** A stored JSON document (customer traits) with its sealed values opened. */
export async function openedTraits(store: Store, doc: unknown): Promise<Record<string, unknown>> {
  const ring = await keyRingFor(store);
  const parsed = typeof doc === 'string' ? JSON.parse(doc) : (doc ?? {});
  return decryptJson(ring, findEncryptedColumn('customers', 'traits')!, '', parsed) as Record<string, unknown>;
}

/** Stored events (with message_id) with the sealed values in their properties and context opened. */
export async function openedEvents<T extends { message_id: string; properties?: unknown; context?: unknown }>(store: Store, rows: readonly T[]): Promise<T[]> {
  const ring = await keyRingFor(store);
  const open = (column: string, row: T, doc: unknown) => (doc === null || doc === undefined ? doc : decryptJson(ring, findEncryptedColumn('events', column)!, row.message_id, typeof doc === 'string' ? JSON.parse(doc) : doc));
  return rows.map((r) => ({ ...r, ...('properties' in r ? { properties: open('properties', r, r.properties) } : {}), ...('context' in r ? { context: open('context', r, r.context) } : {}) }));
}

/** Adds identities as the product stores them (phones and emails as blind indexes with the value sealed). */
export async function addIdentities(store: Store, rows: readonly (readonly [customerId: string, type: string, value: string])[]): Promise<void> {
  const ring = await keyRingFor(store);
  const at = new Date();
  await store.insertRows('identities', ['type', 'value', 'secret', 'customer_id', 'source', 'created_at'], rows.map(([customerId, type, value]) => {
    const stored = storedIdentifier(ring, { type, value });
    return [type, stored.value, stored.secret ?? null, customerId, 'test', at];
  }));
}
