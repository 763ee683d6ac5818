import { SiyuError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import type { Queryable } from '../store/index.ts';
import { DataScope } from './schemas.ts';

/** A parameterised SQL condition: `sql` numbers its placeholders from the `firstParam` it was built for. */
export interface SqlPredicate {
  sql: string;
  params: unknown[];
}

/** Builds a predicate over a customer-id column, numbering its placeholders from `firstParam`. */
export type CustomerPredicate = (customerIdColumn: string, firstParam: number) => SqlPredicate;

const COLUMN = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/**
 * The one translation of a data scope into SQL: a condition on a customer id column (`u.customer_id`) that holds
 * exactly for the customers the scope allows. Values travel as parameters, never in the SQL text.
 * - stores: the customer has an order at one of the stores;
 * - channels: the customer registered through, or has an order in, one of the channels;
 * - regions: the customer's city, or the `province` trait, is one of the regions;
 * - own: the customer is assigned to the user (customer_owners);
 * - all: TRUE.
 */
export function dataScopePredicate(scope: DataScope, customerIdColumn: string, firstParam: number, userId?: string): SqlPredicate {
  if (!COLUMN.test(customerIdColumn)) throw new SiyuError('internal', 'invalid_column', `not a column reference: ${customerIdColumn}`);
  const list = (values: readonly string[]) => ({ sql: values.map((_, i) => `$${firstParam + i}`).join(', '), params: [...values] });
  const c = customerIdColumn;
  switch (scope.kind) {
    case 'all':
      return { sql: 'TRUE', params: [] };
    case 'stores': {
      const l = list(scope.stores);
      return { sql: `EXISTS (SELECT 1 FROM orders scope_o WHERE scope_o.customer_id = ${c} AND scope_o.store_id IN (${l.sql}))`, params: l.params };
    }
    case 'channels': {
      const l = list(scope.channels);
      return {
        sql: `(EXISTS (SELECT 1 FROM customers scope_c WHERE scope_c.customer_id = ${c} AND scope_c.channel IN (${l.sql})) OR EXISTS (SELECT 1 FROM orders scope_o WHERE scope_o.customer_id = ${c} AND scope_o.channel IN (${l.sql})))`,
        params: l.params,
      };
    }
    case 'regions': {
      const l = list(scope.regions);
      return { sql: `EXISTS (SELECT 1 FROM customers scope_c WHERE scope_c.customer_id = ${c} AND (scope_c.city IN (${l.sql}) OR (scope_c.traits->>'province') IN (${l.sql})))`, params: l.params };
    }
    case 'own':
      // A key has no customers of its own: `own` on anything but a user matches nobody.
      if (!userId) return { sql: 'FALSE', params: [] };
      return { sql: `EXISTS (SELECT 1 FROM customer_owners scope_w WHERE scope_w.customer_id = ${c} AND scope_w.user_id = $${firstParam})`, params: [userId] };
  }
}

/** `dataScopePredicate` bound to a scope and user, in the shape domains that filter customers take. */
export function customerPredicate(scope: DataScope, userId?: string): CustomerPredicate | undefined {
  return scope.kind === 'all' ? undefined : (column, firstParam) => dataScopePredicate(scope, column, firstParam, userId);
}

/**
 * Whether the customer with this id (or the profile it was merged into) is inside the scope. A customer outside it
 * must look exactly like one that does not exist (404), so callers answer both the same way.
 */
export async function customerInScope(db: Queryable, scope: DataScope, customerId: string, userId?: string): Promise<boolean> {
  if (scope.kind === 'all') return true;
  const predicate = dataScopePredicate(scope, 'u.customer_id', 2, userId);
  const rows = await db.query(
    `SELECT 1 AS ok FROM customers u WHERE u.customer_id = (SELECT coalesce(merged_into, customer_id) FROM customers WHERE customer_id = $1) AND ${predicate.sql}`,
    [customerId, ...predicate.params],
  );
  return rows.length > 0;
}

/**
 * A scope from its command-line form: `all`, `own`, `stores:S1,S2`, `channels:wecom,pos` or `regions:上海,浙江省`.
 */
export function parseDataScope(spec: string): DataScope {
  const [kind = '', values] = spec.split(/:(.*)/s, 2) as [string, string | undefined];
  const list = (values ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  const raw = kind === 'stores' || kind === 'channels' || kind === 'regions' ? { kind, [kind]: list } : { kind };
  if (!['all', 'own', 'stores', 'channels', 'regions'].includes(kind)) {
    throw new SiyuError('validation', 'invalid_data_scope', `data scope ${JSON.stringify(spec)} is not one of: all, own, stores:ID,…, channels:NAME,…, regions:CITY_OR_PROVINCE,…`, { details: [{ path: 'scope', message: 'unknown kind' }] });
  }
  return parseOrThrow(DataScope, raw, 'data scope');
}

/** The command-line form of a scope (the inverse of parseDataScope). */
export function formatDataScope(scope: DataScope): string {
  switch (scope.kind) {
    case 'all':
    case 'own':
      return scope.kind;
    case 'stores':
      return `stores:${scope.stores.join(',')}`;
    case 'channels':
      return `channels:${scope.channels.join(',')}`;
    case 'regions':
      return `regions:${scope.regions.join(',')}`;
  }
}

/** Reads a scope stored as JSON text, refusing anything malformed (a scope that fails open would leak customers). */
export function readDataScope(text: string | null): DataScope {
  if (text === null) return { kind: 'all' };
  const result = DataScope.safeParse(JSON.parse(text));
  if (!result.success) throw new SiyuError('internal', 'invalid_stored_scope', `a stored data scope is malformed: ${text}`);
  return result.data;
}
