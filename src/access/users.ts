import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SiyuError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import type { Queryable, Store } from '../store/index.ts';
import { recordAudit } from './audit.ts';
import { formatDataScope, readDataScope } from './data-scope.ts';
import { hashPassword } from './passwords.ts';
import { getRole } from './roles.ts';
import { ALL_CUSTOMERS, DataScope, Password, RoleName, Username } from './schemas.ts';

/** A console user as listed: never the password hash or TOTP secret. */
export interface User {
  userId: string;
  username: string;
  displayName: string | null;
  roles: string[];
  dataScope: DataScope;
  isDisabled: boolean;
  hasTotp: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const CreateUserInput = z
  .object({
    username: Username,
    password: Password,
    displayName: z.string().trim().max(100).optional(),
    roles: z.array(RoleName).min(1, 'a user needs at least one role'),
    dataScope: DataScope.default(ALL_CUSTOMERS),
  })
  .strict();
export type CreateUserInput = z.input<typeof CreateUserInput>;

export const UpdateUserInput = z
  .object({
    displayName: z.string().trim().max(100).nullable().optional(),
    roles: z.array(RoleName).min(1, 'a user needs at least one role').optional(),
    dataScope: DataScope.optional(),
    isDisabled: z.boolean().optional(),
  })
  .strict();
export type UpdateUserInput = z.input<typeof UpdateUserInput>;

interface UserRow {
  user_id: string;
  username: string;
  display_name: string | null;
  data_scope: string;
  is_disabled: boolean;
  totp_enabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'user_id, username, display_name, data_scope, is_disabled, totp_enabled_at, created_at, updated_at';

async function withRoles(db: Queryable, rows: UserRow[]): Promise<User[]> {
  if (rows.length === 0) return [];
  const roles = await db.query<{ user_id: string; role: string }>(`SELECT user_id, role FROM user_roles WHERE user_id IN (${rows.map((_, i) => `$${i + 1}`).join(', ')}) ORDER BY role`, rows.map((r) => r.user_id));
  return rows.map((r) => ({
    userId: r.user_id,
    username: r.username,
    displayName: r.display_name,
    roles: roles.filter((x) => x.user_id === r.user_id).map((x) => x.role),
    dataScope: readDataScope(r.data_scope),
    isDisabled: r.is_disabled,
    hasTotp: r.totp_enabled_at !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function listUsers(db: Queryable): Promise<User[]> {
  return withRoles(db, await db.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY username`));
}

export async function findUser(db: Queryable, username: string): Promise<User | undefined> {
  const [user] = await withRoles(db, await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username.trim().toLowerCase()]));
  return user;
}

/** A user by name; throws not_found. */
export async function getUser(db: Queryable, username: string): Promise<User> {
  const user = await findUser(db, username);
  if (!user) throw new SiyuError('not_found', 'user_not_found', `no user ${JSON.stringify(username)} (see: siyu users list)`);
  return user;
}

async function checkRoles(db: Queryable, roles: readonly string[]): Promise<void> {
  for (const [i, role] of roles.entries()) {
    await getRole(db, role).catch((error: unknown) => {
      throw error instanceof SiyuError && error.kind === 'not_found' ? new SiyuError('validation', 'unknown_role', error.message, { details: [{ path: `roles[${i}]`, message: `unknown role ${role}` }] }) : error;
    });
  }
}

async function setRoles(db: Queryable, userId: string, roles: readonly string[]): Promise<void> {
  await db.execute('DELETE FROM user_roles WHERE user_id = $1', [userId]);
  await db.insertRows('user_roles', ['user_id', 'role'], [...new Set(roles)].map((r) => [userId, r]));
}

/** Creates a console user with an Argon2id password hash. Audited as user.create. */
export async function createUser(store: Store, input: CreateUserInput, actor: string): Promise<User> {
  const user = parseOrThrow(CreateUserInput, input, 'user');
  const passwordHash = await hashPassword(user.password);
  return store.transaction(async (tx) => {
    await checkRoles(tx, user.roles);
    if (await findUser(tx, user.username)) throw new SiyuError('conflict', 'user_exists', `a user named ${user.username} already exists`);
    const userId = `u_${randomUUID()}`;
    const now = new Date();
    await tx.execute(
      'INSERT INTO users (user_id, username, display_name, password_hash, data_scope, is_disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, FALSE, $6, $6)',
      [userId, user.username, user.displayName ?? null, passwordHash, JSON.stringify(user.dataScope), now],
    );
    await setRoles(tx, userId, user.roles);
    await recordAudit(tx, { actor, action: 'user.create', target: user.username, details: { roles: user.roles, dataScope: formatDataScope(user.dataScope) } });
    return getUser(tx, user.username);
  });
}

/**
 * Changes a user's roles, data scope, display name or whether they may sign in. Disabling ends their sessions.
 * Audited as user.update with each changed value before and after (role changes included).
 */
export async function updateUser(store: Store, username: string, input: UpdateUserInput, actor: string): Promise<User> {
  const change = parseOrThrow(UpdateUserInput, input, 'user change');
  return store.transaction(async (tx) => {
    const before = await getUser(tx, username);
    const diff: Record<string, { from: unknown; to: unknown }> = {};
    const now = new Date();
    if (change.roles) {
      await checkRoles(tx, change.roles);
      const roles = [...new Set(change.roles)].sort();
      if (roles.join() !== before.roles.join()) {
        await setRoles(tx, before.userId, roles);
        diff.roles = { from: before.roles, to: roles };
      }
    }
    if (change.dataScope && formatDataScope(change.dataScope) !== formatDataScope(before.dataScope)) {
      await tx.execute('UPDATE users SET data_scope = $2, updated_at = $3 WHERE user_id = $1', [before.userId, JSON.stringify(change.dataScope), now]);
      diff.dataScope = { from: formatDataScope(before.dataScope), to: formatDataScope(change.dataScope) };
    }
    if (change.displayName !== undefined && change.displayName !== before.displayName) {
      await tx.execute('UPDATE users SET display_name = $2, updated_at = $3 WHERE user_id = $1', [before.userId, change.displayName, now]);
      diff.displayName = { from: before.displayName, to: change.displayName };
    }
    if (change.isDisabled !== undefined && change.isDisabled !== before.isDisabled) {
      await tx.execute('UPDATE users SET is_disabled = $2, updated_at = $3 WHERE user_id = $1', [before.userId, change.isDisabled, now]);
      if (change.isDisabled) await revokeUserSessions(tx, before.userId, now);
      diff.isDisabled = { from: before.isDisabled, to: change.isDisabled };
    }
    if (Object.keys(diff).length) await recordAudit(tx, { actor, action: 'user.update', target: before.username, details: diff });
    return getUser(tx, before.username);
  });
}

/** Sets a new password, ends the user's sessions and clears a lock-out. Audited as user.reset_password. */
export async function resetPassword(store: Store, username: string, password: string, actor: string): Promise<void> {
  const checked = parseOrThrow(z.object({ password: Password }), { password }, 'password');
  const passwordHash = await hashPassword(checked.password);
  await store.transaction(async (tx) => {
    const user = await getUser(tx, username);
    const now = new Date();
    await tx.execute('UPDATE users SET password_hash = $2, updated_at = $3 WHERE user_id = $1', [user.userId, passwordHash, now]);
    await revokeUserSessions(tx, user.userId, now);
    await tx.execute("DELETE FROM login_attempts WHERE username = $1 AND outcome <> 'ok'", [user.username]);
    await recordAudit(tx, { actor, action: 'user.reset_password', target: user.username });
  });
}

/** Ends every open session of a user. */
export async function revokeUserSessions(db: Queryable, userId: string, at = new Date()): Promise<number> {
  return db.execute('UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL', [userId, at]);
}

/**
 * Assigns customers to a user, for the `own` data scope; returns how many were newly assigned. Unknown ids are
 * refused. Audited as user.assign_customers.
 */
export async function assignCustomers(store: Store, username: string, customerIds: readonly string[], actor: string): Promise<number> {
  const unique = [...new Set(customerIds)];
  if (unique.length === 0) return 0;
  return store.transaction(async (tx) => {
    const user = await getUser(tx, username);
    const known = new Set((await tx.query<{ customer_id: string }>(`SELECT customer_id FROM customers WHERE customer_id IN (${unique.map((_, i) => `$${i + 1}`).join(', ')})`, unique)).map((k) => k.customer_id));
    const missing = unique.filter((id) => !known.has(id));
    if (missing.length) {
      throw new SiyuError('not_found', 'unknown_customers', `no customer ${missing.slice(0, 5).map((m) => JSON.stringify(m)).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`, {
        details: missing.map((m) => ({ path: 'customers', message: `unknown customer ${m}` })),
      });
    }
    const added = await tx.insertRows('customer_owners', ['customer_id', 'user_id', 'assigned_at', 'assigned_by'], unique.map((id) => [id, user.userId, new Date(), actor]), '(customer_id, user_id) DO NOTHING');
    await recordAudit(tx, { actor, action: 'user.assign_customers', target: user.username, details: { customers: unique.length, added } });
    return added;
  });
}

/** A password for a new account: 20 characters of base64url (120 random bits). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

/**
 * Makes sure an administrator exists, for first start and the demo: when no user holds the admin role, creates
 * `username` (default `admin`) with the password given or a generated one, which is returned once.
 */
export async function ensureAdmin(store: Store, options: { username?: string; password?: string; actor?: string } = {}): Promise<{ username: string; password?: string; created: boolean }> {
  const [existing] = await store.query<{ username: string }>("SELECT u.username FROM users u JOIN user_roles r ON r.user_id = u.user_id WHERE r.role = 'admin' AND NOT u.is_disabled ORDER BY u.created_at LIMIT 1");
  if (existing) return { username: existing.username, created: false };
  const username = options.username ?? 'admin';
  const password = options.password ?? generatePassword();
  await createUser(store, { username, password, roles: ['admin'] }, options.actor ?? 'system');
  return { username, password, created: true };
}
