import { SiyuError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import type { Queryable, Store } from '../store/index.ts';
import { recordAudit } from './audit.ts';
import { BUILT_IN_ROLES, type Permission, type RoleDefinition } from './permissions.ts';
import { PermissionCode, RoleName } from './schemas.ts';
import { z } from 'zod';

export const SaveRoleInput = z
  .object({
    name: RoleName,
    label: z.string().trim().min(1).max(200).optional(),
    permissions: z.array(PermissionCode).min(1, 'a role needs at least one permission'),
  })
  .strict();
export type SaveRoleInput = z.input<typeof SaveRoleInput>;

const StoredPermissions = z.array(PermissionCode);

interface RoleRow {
  name: string;
  label: string;
  permissions: string;
}

const fromRow = (r: RoleRow): RoleDefinition => ({ name: r.name, label: r.label, permissions: StoredPermissions.parse(JSON.parse(r.permissions)), isBuiltIn: false });

/** The built-in roles, then the brand's own, by name. */
export async function listRoles(db: Queryable): Promise<RoleDefinition[]> {
  const rows = await db.query<RoleRow>('SELECT name, label, permissions FROM roles ORDER BY name');
  return [...BUILT_IN_ROLES, ...rows.map(fromRow)];
}

/** A role by name; throws not_found. */
export async function getRole(db: Queryable, name: string): Promise<RoleDefinition> {
  const builtIn = BUILT_IN_ROLES.find((r) => r.name === name);
  if (builtIn) return builtIn;
  const [row] = await db.query<RoleRow>('SELECT name, label, permissions FROM roles WHERE name = $1', [name]);
  if (!row) throw new SiyuError('not_found', 'role_not_found', `no role ${JSON.stringify(name)} (see: siyu roles list)`);
  return fromRow(row);
}

/** The union of the permissions of these roles. Unknown role names (a role deleted meanwhile) grant nothing. */
export async function permissionsOfRoles(db: Queryable, roles: readonly string[]): Promise<Set<Permission>> {
  const out = new Set<Permission>();
  const custom: string[] = [];
  for (const name of roles) {
    const builtIn = BUILT_IN_ROLES.find((r) => r.name === name);
    if (builtIn) builtIn.permissions.forEach((p) => out.add(p));
    else custom.push(name);
  }
  if (custom.length) {
    const rows = await db.query<RoleRow>(`SELECT name, label, permissions FROM roles WHERE name IN (${custom.map((_, i) => `$${i + 1}`).join(', ')})`, custom);
    for (const row of rows) fromRow(row).permissions.forEach((p) => out.add(p));
  }
  return out;
}

/** Creates or replaces a brand role; the built-in roles cannot be changed. Audited as role.create or role.update. */
export async function saveRole(store: Store, input: SaveRoleInput, actor: string): Promise<RoleDefinition> {
  const role = parseOrThrow(SaveRoleInput, input, 'role');
  if (BUILT_IN_ROLES.some((r) => r.name === role.name)) throw new SiyuError('conflict', 'built_in_role', `${role.name} is a built-in role and cannot be changed; create a role with another name`);
  const permissions = [...new Set(role.permissions)].sort();
  const label = role.label ?? role.name;
  return store.transaction(async (tx) => {
    const [before] = await tx.query<RoleRow>('SELECT name, label, permissions FROM roles WHERE name = $1', [role.name]);
    const now = new Date();
    if (before) await tx.execute('UPDATE roles SET label = $2, permissions = $3, updated_at = $4 WHERE name = $1', [role.name, label, JSON.stringify(permissions), now]);
    else await tx.execute('INSERT INTO roles (name, label, permissions, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)', [role.name, label, JSON.stringify(permissions), now]);
    await recordAudit(tx, { actor, action: before ? 'role.update' : 'role.create', target: role.name, details: { label, permissions, ...(before ? { previous: fromRow(before).permissions } : {}) } });
    return { name: role.name, label, permissions, isBuiltIn: false };
  });
}

/** Deletes a brand role that no user holds. Audited as role.delete. */
export async function deleteRole(store: Store, name: string, actor: string): Promise<void> {
  if (BUILT_IN_ROLES.some((r) => r.name === name)) throw new SiyuError('conflict', 'built_in_role', `${name} is a built-in role and cannot be deleted`);
  await store.transaction(async (tx) => {
    const role = await getRole(tx, name);
    const holders = await tx.query<{ username: string }>('SELECT u.username FROM user_roles r JOIN users u ON u.user_id = r.user_id WHERE r.role = $1 ORDER BY u.username', [name]);
    if (holders.length) throw new SiyuError('conflict', 'role_in_use', `role ${name} is held by ${holders.map((h) => h.username).join(', ')}; change their roles first`);
    await tx.execute('DELETE FROM roles WHERE name = $1', [name]);
    await recordAudit(tx, { actor, action: 'role.delete', target: name, details: { permissions: role.permissions } });
  });
}
