import { z } from 'zod';
import { SiyuError, type ErrorDetail } from '../core/errors.ts';
import { parseDay, zodDetails } from '../core/validation.ts';
import { consentAllowsSql, REACHABLE_CHANNELS, reachableSql, type ReachableChannel } from '../privacy/index.ts';
import { latestOrderDay, localDay, readBrandSettings, type Queryable } from '../store/index.ts';
import { attributeDefinitions, type AttributeDefinition } from './attributes.ts';
import { scoped } from './scope.ts';

const Operator = z.enum(['=', '!=', '>', '>=', '<', '<=', 'in', 'not_in', 'contains', 'exists', 'not_exists']);
type Operator = z.infer<typeof Operator>;
const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const Value = z.union([Scalar, z.array(Scalar).min(1)]).optional();

/** Layers and scores segments can use, with the column they read and their type. */
export const SEGMENT_FIELDS = {
  rfm_class: { sql: 'r.rfm_class', type: 'text' },
  r_score: { sql: 'r.r_score', type: 'number' },
  f_score: { sql: 'r.f_score', type: 'number' },
  m_score: { sql: 'r.m_score', type: 'number' },
  stage: { sql: 'ls.stage', type: 'text' },
  tier: { sql: 't.tier', type: 'text' },
  // P(alive) is 1 for every one-time buyer under BG/NBD, so it is no churn score; p_no_purchase_90d is (docs/models.md).
  p_alive: { sql: 'cs.p_alive', type: 'number' },
  p_no_purchase_90d: { sql: 'cs.p_no_purchase_90d', type: 'number' },
  clv_12m: { sql: 'cs.clv_12m_fen / 100.0', type: 'number' },
  churn_risk: { sql: 'ch.risk', type: 'number' },
  cluster: { sql: 'cl.name', type: 'text' },
  city: { sql: 'u.city', type: 'text' },
  gender: { sql: 'u.gender', type: 'text' },
  channel: { sql: 'u.channel', type: 'text' },
  // 1-12, kept plain beside the sealed birthday (docs/privacy.md): 生日月 benefits.
  birth_month: { sql: 'u.birth_month', type: 'number' },
  // Loyalty (docs/loyalty.md): one row per customer each, read by key.
  points_balance: { sql: '(SELECT lp.balance FROM points_accounts lp WHERE lp.customer_id = u.customer_id)', type: 'number' },
  member_tier: { sql: '(SELECT lt.tier FROM member_tiers lt WHERE lt.customer_id = u.customer_id)', type: 'text' },
  coupons_held: { sql: "(SELECT count(*) FROM coupon_codes lc WHERE lc.customer_id = u.customer_id AND lc.state IN ('issued', 'claimed'))", type: 'number' },
  coupons_expiring_7d: {
    sql: "(SELECT count(*) FROM coupon_codes lc WHERE lc.customer_id = u.customer_id AND lc.state IN ('issued', 'claimed') AND lc.expires_at > now() AND lc.expires_at <= now() + INTERVAL '7 days')",
    type: 'number',
  },
  // WeCom 客户联系, from the contact and group sync (docs/channels.md#contact-sync-and-group-chats).
  wecom_followers: { sql: '(SELECT count(*) FROM wecom_follows wf WHERE wf.customer_id = u.customer_id AND wf.is_following)', type: 'number' },
  wecom_groups: { sql: '(SELECT count(*) FROM wecom_group_members wg WHERE wg.customer_id = u.customer_id AND wg.is_member)', type: 'number' },
} as const satisfies Record<string, { sql: string; type: 'number' | 'text' }>;

/** The per-customer layer tables a definition may read, by the alias its conditions use (SEGMENT_FIELDS, attributes). */
const LAYER_TABLES: Record<string, string> = {
  a: 'customer_attributes',
  r: 'rfm_scores',
  ls: 'lifecycle_stages',
  t: 'tier_scores',
  cs: 'clv_scores',
  ch: 'churn_scores',
  cl: 'customer_clusters',
};

const Comparison = { op: Operator, value: Value };
const AttributeCondition = z.object({ attribute: z.string().min(1), ...Comparison }).strict();
const TraitCondition = z.object({ trait: z.string().min(1).regex(/^[\w.-]+$/, 'a trait name is letters, digits, _, . or -'), ...Comparison }).strict();
const FieldCondition = z.object({ field: z.enum(Object.keys(SEGMENT_FIELDS) as [keyof typeof SEGMENT_FIELDS]), ...Comparison }).strict();
const PropertyFilter = z.object({ property: z.string().min(1).regex(/^[\w.-]+$/, 'a property name is letters, digits, _, . or -'), ...Comparison }).strict();
const EventCondition = z
  .object({
    event: z.string().min(1),
    where: z.array(PropertyFilter).default([]),
    aggregate: z.enum(['count', 'sum', 'avg']).default('count'),
    property: z.string().regex(/^[\w.-]+$/).optional().describe('the numeric property summed or averaged'),
    within_days: z.number().int().positive().max(3650),
    op: z.enum(['=', '!=', '>', '>=', '<', '<=']),
    value: z.number(),
  })
  .strict();

export type SegmentNode =
  | { all: SegmentNode[] }
  | { any: SegmentNode[] }
  | { not: SegmentNode }
  | z.infer<typeof AttributeCondition>
  | z.infer<typeof TraitCondition>
  | z.infer<typeof FieldCondition>
  | z.input<typeof EventCondition>
  | z.input<typeof TagCondition>
  | z.input<typeof ReachableCondition>
  | z.input<typeof ConsentCondition>;

const TagCondition = z.object({ tag: z.string().min(1), op: z.enum(['exists', 'not_exists']).default('exists') }).strict();
/** `reachable by SMS`: the channel's marketing consent allows it now and the customer has an address on it. */
const ReachableCondition = z
  .object({ reachable: z.enum(Object.keys(REACHABLE_CHANNELS) as [ReachableChannel]), op: z.enum(['=', '!=']).default('='), value: z.boolean().default(true) })
  .strict();
/** Whether processing for a consent purpose (built-in or the brand's) is allowed now, from the consent ledger. */
const ConsentCondition = z
  .object({ consent: z.string().min(1).regex(/^[a-z][a-z0-9_]*$/, 'a purpose id is lower-case letters, digits and _'), op: z.enum(['allowed', 'not_allowed']).default('allowed') })
  .strict();
const KINDS = { attribute: AttributeCondition, trait: TraitCondition, field: FieldCondition, event: EventCondition, tag: TagCondition, reachable: ReachableCondition, consent: ConsentCondition } as const;

/**
 * Checks a definition node by node, so every problem is reported at its own path (`all[1].any[0].op`): a node is
 * a group (`all`, `any` or `not`) or a condition on an `attribute`, a `trait`, a `field`, an `event`, a `tag`, whether a
 * customer is `reachable` on a channel, or a `consent` purpose.
 */
export function parseSegmentDefinition(value: unknown): SegmentNode {
  const problems: ErrorDetail[] = [];
  const visit = (node: unknown, path: string): SegmentNode | undefined => {
    const at = path || '(root)';
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      problems.push({ path: at, message: 'must be an object: a group (all, any, not) or a condition (attribute, trait, field, event)' });
      return undefined;
    }
    const keys = Object.keys(node);
    const groups = keys.filter((k) => k === 'all' || k === 'any' || k === 'not');
    if (groups.length) {
      if (keys.length !== 1) {
        problems.push({ path: at, message: `a group has exactly one key (all, any or not), not ${keys.join(', ')}` });
        return undefined;
      }
      const key = groups[0] as 'all' | 'any' | 'not';
      const inner = (node as Record<string, unknown>)[key];
      if (key === 'not') {
        const child = visit(inner, `${path ? `${path}.` : ''}not`);
        return child && { not: child };
      }
      if (!Array.isArray(inner) || inner.length === 0) {
        problems.push({ path: `${path ? `${path}.` : ''}${key}`, message: 'must be a non-empty list of nodes' });
        return undefined;
      }
      const children = inner.map((c, i) => visit(c, `${path ? `${path}.` : ''}${key}[${i}]`));
      return children.every(Boolean) ? ({ [key]: children } as SegmentNode) : undefined;
    }
    const kind = (Object.keys(KINDS) as (keyof typeof KINDS)[]).find((k) => k in node);
    if (!kind) {
      problems.push({ path: at, message: `unknown node with keys ${keys.join(', ') || '(none)'}: expected all, any, not, attribute, trait, field, event, tag, reachable or consent` });
      return undefined;
    }
    const parsed = KINDS[kind].safeParse(node);
    if (!parsed.success) {
      problems.push(...zodDetails(parsed.error, path));
      return undefined;
    }
    return parsed.data as SegmentNode;
  };
  const root = visit(value, '');
  if (!root || problems.length) throw new SiyuError('validation', 'invalid_segment', `invalid segment definition: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { details: problems });
  return root;
}

interface Compiled {
  sql: string;
  params: unknown[];
  /** The layer tables the query joins, and the attributes it reads. */
  tables: string[];
  attributes: string[];
}

/**
 * Compiles a definition (validated with zod; a bad node is reported by its path, like `all[1].any[0].op`) into one
 * SELECT of customer ids that runs the same on DuckDB and PostgreSQL. `$1` is the as-of day; values become
 * parameters, never SQL text. With `scope` (scope.ts), only its customers are looked at, in the scope's copies of
 * events and of the layer tables the definition reads (`tables` lists those).
 */
export async function compileSegment(db: Queryable, definition: unknown, asOf: string, scope?: string): Promise<Compiled> {
  const node = parseSegmentDefinition(definition);
  const attributes = new Map((await attributeDefinitions(db)).map((a) => [a.name, a]));
  const purposes = new Set((await db.query<{ purpose: string }>('SELECT purpose FROM consent_purposes')).map((r) => r.purpose));
  const { timezone } = await readBrandSettings(db);
  const eventDay = localDay(timezone, 'ev.ts');
  const params: unknown[] = [asOf];
  const problems: ErrorDetail[] = [];
  const read = new Set<string>();
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const compare = (column: string, type: 'number' | 'text' | 'date', op: Operator, value: unknown, path: string): string => {
    if (op === 'exists') return `${column} IS NOT NULL`;
    if (op === 'not_exists') return `${column} IS NULL`;
    if (value === undefined) {
      problems.push({ path: `${path}.value`, message: `${op} needs a value` });
      return 'FALSE';
    }
    const cast = (v: unknown) => (type === 'number' ? `CAST(${param(v)} AS DOUBLE PRECISION)` : type === 'date' ? `CAST(${param(v)} AS DATE)` : `CAST(${param(String(v))} AS TEXT)`);
    const typed = type === 'number' ? `CAST(${column} AS DOUBLE PRECISION)` : type === 'date' ? `CAST(${column} AS DATE)` : column;
    if (op === 'in' || op === 'not_in') {
      if (!Array.isArray(value)) {
        problems.push({ path: `${path}.value`, message: `${op} needs a list` });
        return 'FALSE';
      }
      const list = `(${value.map(cast).join(', ')})`;
      return op === 'in' ? `${typed} IN ${list}` : `(${typed} IS NULL OR ${typed} NOT IN ${list})`;
    }
    if (Array.isArray(value)) {
      problems.push({ path: `${path}.value`, message: `${op} takes one value, not a list` });
      return 'FALSE';
    }
    if (op === 'contains') return `strpos(CAST(${column} AS TEXT), ${cast(value)}) > 0`;
    if (type === 'number' && typeof value !== 'number') problems.push({ path: `${path}.value`, message: 'must be a number' });
    return `${typed} ${op === '!=' ? '<>' : op} ${cast(value)}`;
  };
  const child = (path: string, key: string) => (path ? `${path}.${key}` : key);
  const walk = (n: SegmentNode, path: string): string => {
    if ('all' in n) return `(${n.all.map((c, i) => walk(c, child(path, `all[${i}]`))).join(' AND ')})`;
    if ('any' in n) return `(${n.any.map((c, i) => walk(c, child(path, `any[${i}]`))).join(' OR ')})`;
    if ('not' in n) return `(NOT coalesce(${walk(n.not, child(path, 'not'))}, FALSE))`;
    const here = path || '(root)';
    if ('attribute' in n) {
      const definition: AttributeDefinition | undefined = attributes.get(n.attribute);
      if (!definition) {
        problems.push({ path: `${here}.attribute`, message: `unknown attribute ${JSON.stringify(n.attribute)}; see \`siyu attributes list\`` });
        return 'FALSE';
      }
      read.add(n.attribute);
      return compare(`a."${n.attribute}"`, definition.type, n.op, n.value, here);
    }
    if ('trait' in n) return compare(`(u.traits->>'${n.trait}')`, typeof n.value === 'number' ? 'number' : 'text', n.op, n.value, here);
    if ('field' in n) return compare(SEGMENT_FIELDS[n.field].sql, SEGMENT_FIELDS[n.field].type, n.op, n.value, here);
    if ('tag' in n) return `(${n.op === 'not_exists' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM customer_tags ct WHERE ct.customer_id = u.customer_id AND ct.tag = ${param(n.tag)}))`;
    if ('reachable' in n) return `(${(n.op === '!=') === (n.value ?? true) ? 'NOT ' : ''}${reachableSql(n.reachable, 'u.customer_id')})`;
    if ('consent' in n) {
      if (!purposes.has(n.consent)) {
        problems.push({ path: `${here}.consent`, message: `unknown consent purpose ${JSON.stringify(n.consent)}; see \`siyu consent purposes\`` });
        return 'FALSE';
      }
      return `(${n.op === 'not_allowed' ? 'NOT ' : ''}${consentAllowsSql(n.consent, 'u.customer_id')})`;
    }
    const e = EventCondition.parse(n);
    if (e.aggregate !== 'count' && !e.property) problems.push({ path: `${here}.property`, message: `${e.aggregate} needs the property to aggregate` });
    const filters = e.where.map((f, i) => compare(`(ev.properties->>'${f.property}')`, typeof f.value === 'number' ? 'number' : 'text', f.op, f.value, `${here}.where[${i}]`));
    const measure = e.aggregate === 'count' ? 'count(*)' : `coalesce(${e.aggregate}(CAST(ev.properties->>'${e.property}' AS DOUBLE PRECISION)), 0)`;
    return `((SELECT ${measure} FROM ${scoped('events', scope)} ev WHERE ev.customer_id = u.customer_id AND ev.name = ${param(e.event)}
              AND ${eventDay} > CAST($1 AS DATE) - ${e.within_days} AND ${eventDay} <= CAST($1 AS DATE)${filters.map((f) => ` AND ${f}`).join('')}) ${e.op === '!=' ? '<>' : e.op} ${param(e.value)})`;
  };
  const where = walk(node, '');
  if (problems.length) throw new SiyuError('validation', 'invalid_segment', `invalid segment definition: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { details: problems });
  // Only the layer tables the conditions read are joined: each is one row per customer, and joining the ones a
  // definition never mentions cost most of a preview's time on a million customers. The conditions stand in the
  // WHERE clause as they are (NULL excludes a row there, as FALSE does), so when a condition on a layer table can
  // only hold for a row that has one, the engine turns its LEFT JOIN into an inner join.
  const used = Object.entries(LAYER_TABLES).filter(([alias]) => new RegExp(`(^|[^\\w.])${alias}\\.`).test(where));
  const joins = used.map(([alias, table]) => `LEFT JOIN ${scoped(table, scope)} ${alias} ON ${alias}.customer_id = u.customer_id`);
  return {
    sql: `SELECT u.customer_id FROM ${scoped('customers', scope)} u ${joins.join(' ')}
          WHERE u.merged_into IS NULL AND CAST($1 AS DATE) IS NOT NULL AND (${where})`,
    params,
    tables: used.map(([, table]) => table),
    attributes: [...read],
  };
}

export interface SegmentPreview {
  asOf: string;
  count: number;
  sample: { customerId: string; name: string | null; city: string | null }[];
}

/**
 * A condition that limits which customers a caller may see (a data scope, built by the access domain): SQL over a
 * customer-id column, numbering its placeholders from `firstParam`.
 */
export type CustomerFilter = (customerIdColumn: string, firstParam: number) => { sql: string; params: unknown[] };

/** How many customers match now, and a sample of 20 (by customer id), among those `customerFilter` allows. */
export async function previewSegment(db: Queryable, definition: unknown, options: { asOf?: string; customerFilter?: CustomerFilter } = {}): Promise<SegmentPreview> {
  const asOf = parseDay(options.asOf ?? (await latestOrderDay(db)) ?? new Date().toISOString().slice(0, 10), 'as_of');
  const { sql, params } = await compileSegment(db, definition, asOf);
  const filter = options.customerFilter?.('m.customer_id', params.length + 1);
  // One pass over the matches for both the count and the first 20; then the profiles of those 20.
  const first = await db.query<{ customer_id: string; n: number }>(
    `SELECT m.customer_id, count(*) OVER () AS n FROM (${sql}) m ${filter ? `WHERE ${filter.sql}` : ''} ORDER BY m.customer_id LIMIT 20`,
    [...params, ...(filter?.params ?? [])],
  );
  const profiles = first.length
    ? await db.query<{ customer_id: string; name: string | null; city: string | null }>(
        `SELECT customer_id, name, city FROM customers WHERE customer_id IN (${first.map((_, i) => `$${i + 1}`).join(', ')}) ORDER BY customer_id`,
        first.map((r) => r.customer_id),
      )
    : [];
  return { asOf, count: Number(first[0]?.n ?? 0), sample: profiles.map((s) => ({ customerId: s.customer_id, name: s.name, city: s.city })) };
}
