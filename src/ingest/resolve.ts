import { dialect, jsonRowsParam, type BackendKind, type Queryable } from '../store/index.ts';
import { identifierKey, priorityOf, type Identifier } from './identifiers.ts';
import { mergeProfiles } from './merge.ts';

interface Profile {
  createdAt: Date;
  hasUserId: boolean;
}

interface PendingCustomer {
  customer_id: string;
  created_at: Date;
}

/**
 * Resolves messages to profiles inside one transaction, deterministically:
 * - all identifiers of a message that point to no profile join the profile the message resolves to;
 * - profiles linked by a message merge, except that two profiles that each hold a `user_id` never merge
 *   on their own (the link is recorded in identity_conflicts and the identifier stays with its owner);
 *   only an explicit `alias` merges them;
 * - the survivor is the profile with a user_id, else the oldest (then the smallest id).
 * New profiles take the user id as their customer_id, else `anon:<anonymousId>`, else `<type>:<value>`.
 */
export class IdentityResolver {
  private readonly owners = new Map<string, string>();
  /** Identifiers already looked up in the store, owned or not, so each is queried once per batch. */
  private readonly looked = new Set<string>();
  private readonly profiles = new Map<string, Profile>();
  private readonly redirects = new Map<string, string>();
  private readonly newIdentities = new Map<string, { id: Identifier; customerId: string; source: string }>();
  private readonly newCustomers = new Map<string, PendingCustomer>();
  private readonly conflicts: unknown[][] = [];
  merges = 0;
  /** What `flush` has written so far: new profiles and the identifiers claimed (with their profile then), for reports. */
  readonly written: { customers: string[]; identities: { id: Identifier; customerId: string }[] } = { customers: [], identities: [] };

  constructor(
    private readonly tx: Queryable,
    private readonly kind: BackendKind,
    private readonly now: Date,
  ) {}

  /** Loads the owners of identifiers not looked up yet, and those owners' profiles, in two queries. */
  async preload(identifiers: readonly Identifier[]): Promise<void> {
    const unknown = [...new Map(identifiers.filter((i) => !this.looked.has(identifierKey(i))).map((i) => [identifierKey(i), i])).values()];
    if (unknown.length === 0) return;
    for (const id of unknown) this.looked.add(identifierKey(id));
    const rows = await this.tx.query<{ type: string; value: string; customer_id: string }>(
      `SELECT i.type, i.value, i.customer_id FROM identities i JOIN ${dialect(this.kind).jsonRows('$1', ['t', 'v'])} k ON i.type = k.t AND i.value = k.v`,
      [jsonRowsParam(unknown.map((i) => [i.type, i.value]))],
    );
    for (const row of rows) this.owners.set(identifierKey({ type: row.type as Identifier['type'], value: row.value }), row.customer_id);
    await this.loadProfiles([...new Set(rows.map((r) => r.customer_id))].filter((id) => !this.profiles.has(id)));
  }

  private async loadProfiles(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const rows = await this.tx.query<{ customer_id: string; created_at: Date; has_user_id: boolean }>(
      `SELECT c.customer_id, c.created_at,
              EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.customer_id AND i.type = 'user_id') AS has_user_id
       FROM customers c JOIN ${dialect(this.kind).jsonRows('$1', ['id'])} k ON c.customer_id = k.id`,
      [jsonRowsParam(ids.map((id) => [id]))],
    );
    for (const row of rows) this.profiles.set(row.customer_id, { createdAt: row.created_at, hasUserId: row.has_user_id });
  }

  /** The profile a customer id now lives in, following merges made in this batch. */
  canonical(customerId: string): string {
    let id = customerId;
    while (this.redirects.has(id)) id = this.redirects.get(id)!;
    return id;
  }

  private ownerOf(id: Identifier): string | undefined {
    const owner = this.owners.get(identifierKey(id));
    return owner === undefined ? undefined : this.canonical(owner);
  }

  /** Resolves one message's identifiers (strongest first is not required) to a customer id. */
  async resolve(identifiers: readonly Identifier[], messageId: string, source: string): Promise<string> {
    await this.preload(identifiers);
    const ranked = [...identifiers].sort((a, b) => priorityOf(a.type) - priorityOf(b.type));
    const userId = ranked.find((i) => i.type === 'user_id');
    const owned = ranked.filter((i) => this.ownerOf(i) !== undefined);

    let primary: string;
    if (userId) primary = this.ownerOf(userId) ?? this.create(userId.value);
    else {
      const owners = [...new Set(owned.map((i) => this.ownerOf(i)!))];
      const hard = owners.filter((o) => this.profile(o).hasUserId);
      if (hard.length === 1) primary = hard[0]!;
      else if (hard.length > 1) primary = this.ownerOf(owned[0]!)!; // owner of the strongest identifier
      else if (owners.length > 0) primary = owners.sort((a, b) => this.olderFirst(a, b))[0]!;
      else primary = this.create(newCustomerId(ranked));
    }
    if (userId) this.profile(primary).hasUserId = true;

    for (const id of ranked) {
      const owner = this.ownerOf(id);
      if (owner === undefined) this.claim(id, primary, source);
      else if (owner !== primary) {
        if (this.profile(owner).hasUserId && this.profile(primary).hasUserId) {
          this.conflicts.push([primary, id.type, id.value, owner, messageId, this.now]);
        } else {
          const ownerWins = this.profile(owner).hasUserId || (!this.profile(primary).hasUserId && this.olderFirst(owner, primary) < 0);
          const [survivor, loser] = ownerWins ? [owner, primary] : [primary, owner];
          await this.merge(survivor, loser, 'identify', `${id.type}:${id.value}`, messageId);
          primary = survivor;
        }
      }
    }
    return primary;
  }

  /** `alias(previousId → userId)`: the explicit instruction that two ids are one person. */
  async alias(previousId: string, userId: string, messageId: string, source: string): Promise<string> {
    const target: Identifier = { type: 'user_id', value: userId };
    const previous: Identifier[] = [
      { type: 'user_id', value: previousId },
      { type: 'anonymous_id', value: previousId },
    ];
    await this.preload([target, ...previous]);
    const survivor = this.ownerOf(target) ?? this.create(userId);
    this.claim(target, survivor, source);
    this.profile(survivor).hasUserId = true;
    let found = false;
    for (const id of previous) {
      const owner = this.ownerOf(id);
      if (owner === undefined) continue;
      found = true;
      if (owner !== survivor) await this.merge(survivor, owner, 'alias', `${id.type}:${id.value}`, messageId);
    }
    if (!found) this.claim({ type: 'anonymous_id', value: previousId }, survivor, source);
    return survivor;
  }

  private profile(id: string): Profile {
    const profile = this.profiles.get(id);
    if (!profile) throw new Error(`profile ${id} was not loaded`);
    return profile;
  }

  private olderFirst(a: string, b: string): number {
    const diff = this.profile(a).createdAt.getTime() - this.profile(b).createdAt.getTime();
    return diff !== 0 ? diff : a < b ? -1 : a > b ? 1 : 0;
  }

  private create(customerId: string): string {
    this.newCustomers.set(customerId, { customer_id: customerId, created_at: this.now });
    this.profiles.set(customerId, { createdAt: this.now, hasUserId: false });
    return customerId;
  }

  private claim(id: Identifier, customerId: string, source: string): void {
    this.owners.set(identifierKey(id), customerId);
    this.newIdentities.set(identifierKey(id), { id, customerId, source });
  }

  private async merge(survivor: string, loser: string, reason: 'identify' | 'alias', evidence: string, messageId: string): Promise<void> {
    await this.flush(); // the merge moves rows in the database, so everything pending must be there first
    await mergeProfiles(this.tx, { survivor, loser, reason, evidence, messageId, at: this.now });
    this.redirects.set(loser, survivor);
    for (const [key, owner] of this.owners) if (owner === loser) this.owners.set(key, survivor);
    this.profile(survivor).hasUserId ||= this.profile(loser).hasUserId;
    this.merges++;
  }

  /** Writes the profiles, identifiers and conflicts created so far. */
  async flush(): Promise<void> {
    await this.tx.insertRows(
      'customers',
      ['customer_id', 'created_at', 'updated_at'],
      [...this.newCustomers.values()].map((c) => [c.customer_id, c.created_at, c.created_at]),
      '(customer_id) DO NOTHING',
    );
    await this.tx.insertRows(
      'identities',
      ['type', 'value', 'secret', 'customer_id', 'source', 'created_at'],
      [...this.newIdentities.values()].map((n) => [n.id.type, n.id.value, n.id.secret ?? null, this.canonical(n.customerId), n.source, this.now]),
      '(type, value) DO NOTHING',
    );
    await this.tx.insertRows(
      'identity_conflicts',
      ['customer_id', 'type', 'value', 'owner_id', 'message_id', 'detected_at'],
      this.conflicts.map((c) => [this.canonical(c[0] as string), c[1], c[2], this.canonical(c[3] as string), c[4], c[5]]),
      '(customer_id, type, value) DO NOTHING',
    );
    this.written.customers.push(...this.newCustomers.keys());
    this.written.identities.push(...[...this.newIdentities.values()].map((n) => ({ id: n.id, customerId: this.canonical(n.customerId) })));
    this.newCustomers.clear();
    this.newIdentities.clear();
    this.conflicts.length = 0;
  }
}

function newCustomerId(ranked: readonly Identifier[]): string {
  const anonymous = ranked.find((i) => i.type === 'anonymous_id');
  if (anonymous) return `anon:${anonymous.value}`;
  const strongest = ranked[0];
  if (!strongest) throw new Error('a message without identifiers cannot be resolved');
  return `${strongest.type}:${strongest.value}`;
}
