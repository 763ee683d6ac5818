import { userInfo } from 'node:os';
import { SiyuError } from '../core/errors.ts';
import type { Queryable } from '../store/index.ts';
import { customerInScope, customerPredicate, type CustomerPredicate } from './data-scope.ts';
import { grants, PERMISSIONS, type Permission } from './permissions.ts';
import type { DataScope } from './schemas.ts';

/** Who a request acts as: a console user (by session) or a machine (by API key). */
export interface Principal {
  kind: 'user' | 'key';
  /** user_id, or the key's id (the 8 characters after `syk_`). */
  id: string;
  /** The user name, or the key's name. */
  name: string;
  /** A user's roles; a key has none (its scopes are its permissions). */
  roles: string[];
  permissions: ReadonlySet<Permission>;
  dataScope: DataScope;
  /**
   * A signed-in admin who must enrol a second factor first (setting `require_admin_totp`): until they do, the
   * session may only read who it is, enrol TOTP and sign out.
   */
  mustEnrolTotp: boolean;
  /** The session's hash, for signing out; absent for keys. */
  sessionHash?: string;
}

/** How a principal appears in the audit log and in `set by` columns: `user:NAME` or `key:ID`. */
export function principalActor(principal: Principal): string {
  return principal.kind === 'user' ? `user:${principal.name}` : `key:${principal.id}`;
}

/** The actor for commands run on this machine's CLI, whose OS user owns the store: `cli:OS_USER`. */
export function localActor(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER ?? 'unknown';
  }
  return `cli:${name}`;
}

/** Whether the principal holds the permission (directly, or through `admin`). */
export function can(principal: Principal, permission: Permission): boolean {
  return grants(principal.permissions, permission);
}

/**
 * Throws forbidden, naming the missing permission, unless the principal holds it; given several, unless it holds any
 * of them (each is named, in the order given).
 */
export function assertCan(principal: Principal, needed: Permission | readonly Permission[]): void {
  const anyOf: readonly Permission[] = typeof needed === 'string' ? [needed] : needed;
  if (anyOf.some((p) => can(principal, p))) return;
  const named = anyOf.length === 1 ? `the ${anyOf[0]} permission (${PERMISSIONS[anyOf[0]!]})` : `one of the permissions ${anyOf.map((p) => `${p} (${PERMISSIONS[p]})`).join(' or ')}`;
  throw new SiyuError('forbidden', 'missing_permission', `this needs ${named}, which ${principalActor(principal)} does not have`, {
    details: anyOf.map((p) => ({ path: 'permission', message: p })),
  });
}

/** The principal's data scope as a predicate over a customer-id column, or undefined when it sees every customer. */
export function principalCustomerFilter(principal: Principal): CustomerPredicate | undefined {
  return customerPredicate(principal.dataScope, principal.kind === 'user' ? principal.id : undefined);
}

/**
 * Throws not_found, exactly as for a customer that does not exist, when the customer is outside the principal's
 * data scope: a 403 would tell a store-scoped user that the id exists elsewhere.
 */
export async function assertCustomerVisible(db: Queryable, principal: Principal, customerId: string): Promise<void> {
  if (!(await customerInScope(db, principal.dataScope, customerId, principal.kind === 'user' ? principal.id : undefined))) {
    throw new SiyuError('not_found', 'unknown_customer', `no customer ${JSON.stringify(customerId)}`);
  }
}
