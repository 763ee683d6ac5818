import { readFileSync } from 'node:fs';
import { SiyuError, type ErrorDetail } from '../core/errors.ts';
import { dialect, jsonRowsParam, latestOrderDay, type Queryable, type Store } from '../store/index.ts';
import { compileSegment, parseSegmentDefinition } from './builder.ts';

export type TagKind = 'rule' | 'realtime' | 'manual';

export interface TagDefinition {
  name: string;
  kind: TagKind;
  definition: unknown;
  description: string | null;
}

const TAG_NAME = /^[\p{L}\p{N}_.:-]{1,64}$/u;

function checkName(name: string): void {
  if (!TAG_NAME.test(name)) throw new SiyuError('validation', 'invalid_tag', `a tag is 1-64 letters, digits, '_', '.', ':' or '-', not ${JSON.stringify(name)}`, { details: [{ path: 'name', message: 'not a tag name' }] });
}

/**
 * Defines a tag. A rule tag carries a segment definition (docs/segmentation.md) and is applied by refreshTags; a
 * manual tag is set by people, the API or an upload.
 */
export async function defineTag(store: Store, tag: { name: string; kind: TagKind; definition?: unknown; description?: string }): Promise<TagDefinition> {
  checkName(tag.name);
  if (tag.kind !== 'rule' && tag.kind !== 'realtime' && tag.kind !== 'manual') throw new SiyuError('validation', 'invalid_tag', `a tag kind is rule, realtime or manual, not ${JSON.stringify(tag.kind)}`, { details: [{ path: 'kind', message: 'unknown kind' }] });
  let definition: unknown = null;
  if (tag.kind !== 'manual') {
    if (tag.definition === undefined) throw new SiyuError('validation', 'invalid_tag', `a ${tag.kind} tag needs a segment definition`, { details: [{ path: 'definition', message: 'missing' }] });
    definition = parseSegmentDefinition(tag.definition);
    if (tag.kind === 'realtime' && !(typeof definition === 'object' && definition !== null && 'event' in definition))
      throw new SiyuError('validation', 'invalid_tag', 'a realtime tag is one event condition, e.g. { "event": "Product Viewed", "op": ">=", "value": 3, "within_days": 7 }', { details: [{ path: 'definition', message: 'not an event condition' }] });
    await compileSegment(store, definition, '2000-01-01');
  }
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM tag_definitions WHERE name = $1', [tag.name]);
    await tx.insertRows('tag_definitions', ['name', 'kind', 'definition', 'description', 'created_at'], [[tag.name, tag.kind, definition === null ? null : JSON.stringify(definition), tag.description ?? null, new Date()]]);
  });
  return { name: tag.name, kind: tag.kind, definition, description: tag.description ?? null };
}

/** Adds and removes tags in one transaction, with a history row for each real change. */
export async function applyTagChanges(tx: Queryable, changes: { add: [string, string][]; remove: [string, string][] }, source: TagKind, by: string): Promise<void> {
  const at = new Date();
  for (const [customer, tag] of changes.remove) await tx.execute('DELETE FROM customer_tags WHERE customer_id = $1 AND tag = $2', [customer, tag]);
  await tx.insertRows('customer_tags', ['customer_id', 'tag', 'source', 'set_by', 'set_at'], changes.add.map(([customer, tag]) => [customer, tag, source, by, at]));
  await tx.insertRows('tag_history', ['customer_id', 'tag', 'action', 'changed_by', 'changed_at'], [
    ...changes.add.map(([customer, tag]) => [customer, tag, 'added', by, at]),
    ...changes.remove.map(([customer, tag]) => [customer, tag, 'removed', by, at]),
  ]);
}

/** Re-evaluates every rule tag (or one) as of a day: customers who now match get it, those who stopped lose it. */
export async function refreshTags(store: Store, options: { name?: string; asOf?: string } = {}): Promise<{ tag: string; members: number; added: number; removed: number }[]> {
  // Real-time tags are refreshed too: this is what takes them away once their window has passed.
  const rules = await store.query<{ name: string; kind: TagKind; definition: unknown }>(`SELECT name, kind, definition FROM tag_definitions WHERE kind IN ('rule', 'realtime') ${options.name ? 'AND name = $1' : ''} ORDER BY name`, options.name ? [options.name] : []);
  if (options.name && rules.length === 0) throw new SiyuError('not_found', 'unknown_tag', `no rule tag named ${JSON.stringify(options.name)}`);
  const asOf = options.asOf ?? (await latestOrderDay(store)) ?? new Date().toISOString().slice(0, 10);
  const reports = [];
  for (const rule of rules) {
    const { sql, params } = await compileSegment(store, typeof rule.definition === 'string' ? JSON.parse(rule.definition) : rule.definition, asOf);
    const now = new Set((await store.query<{ customer_id: string }>(sql, params)).map((r) => r.customer_id));
    const had = new Set((await store.query<{ customer_id: string }>('SELECT customer_id FROM customer_tags WHERE tag = $1', [rule.name])).map((r) => r.customer_id));
    const add = [...now].filter((id) => !had.has(id)).map((id): [string, string] => [id, rule.name]);
    const remove = [...had].filter((id) => !now.has(id)).map((id): [string, string] => [id, rule.name]);
    await store.transaction((tx) => applyTagChanges(tx, { add, remove }, rule.kind, `${rule.kind}:${rule.name}`));
    reports.push({ tag: rule.name, members: now.size, added: add.length, removed: remove.length });
  }
  return reports;
}

async function manualTag(store: Store, tag: string): Promise<void> {
  const [defined] = await store.query<{ kind: string }>('SELECT kind FROM tag_definitions WHERE name = $1', [tag]);
  if (defined && defined.kind !== 'manual') throw new SiyuError('conflict', 'rule_tag', `${tag} is a ${defined.kind} tag, set by its rule; define a manual tag to set it by hand`);
  if (!defined) await defineTag(store, { name: tag, kind: 'manual' });
}

/**
 * Sets or removes a manual tag on customers (`by`: who did it). Unknown customer ids are reported, with their
 * position in the list, and nothing is changed.
 */
export async function setTags(store: Store, tag: string, customerIds: readonly string[], by: string, action: 'add' | 'remove' = 'add', where: (i: number) => Partial<ErrorDetail> = (i) => ({ path: `customers[${i}]` })): Promise<{ changed: number }> {
  checkName(tag);
  await manualTag(store, tag);
  const known = new Set(
    (
      await store.query<{ customer_id: string }>(
        `SELECT c.customer_id FROM customers c JOIN ${dialect(store.kind).jsonRows('$1', ['id'])} ids ON ids.id = c.customer_id`,
        [jsonRowsParam([...new Set(customerIds)].map((id) => [id]))],
      )
    ).map((r) => r.customer_id),
  );
  const unknown = customerIds.map((id, i) => ({ id, i })).filter((x) => !known.has(x.id));
  if (unknown.length) throw new SiyuError('not_found', 'unknown_customers', `${unknown.length} unknown customer id${unknown.length > 1 ? 's' : ''}; nothing was tagged`, { details: unknown.slice(0, 100).map((u) => ({ ...where(u.i), message: `no customer ${JSON.stringify(u.id)}` })) });
  const had = new Set((await store.query<{ customer_id: string }>('SELECT customer_id FROM customer_tags WHERE tag = $1', [tag])).map((r) => r.customer_id));
  const ids = [...new Set(customerIds)];
  const changes = action === 'add' ? { add: ids.filter((id) => !had.has(id)).map((id): [string, string] => [id, tag]), remove: [] } : { add: [], remove: ids.filter((id) => had.has(id)).map((id): [string, string] => [id, tag]) };
  await store.transaction((tx) => applyTagChanges(tx, changes, 'manual', by));
  return { changed: changes.add.length + changes.remove.length };
}

/** A customer's tags, with who set each and when. */
export async function customerTags(db: Queryable, customerId: string): Promise<{ tag: string; source: string; setBy: string; setAt: Date }[]> {
  const rows = await db.query<{ tag: string; source: string; set_by: string; set_at: Date }>('SELECT tag, source, set_by, set_at FROM customer_tags WHERE customer_id = $1 ORDER BY tag', [customerId]);
  return rows.map((r) => ({ tag: r.tag, source: r.source, setBy: r.set_by, setAt: r.set_at }));
}

/** Every add and remove of a customer's tags, oldest first. */
export async function tagHistory(db: Queryable, customerId: string): Promise<{ tag: string; action: string; by: string; at: Date }[]> {
  const rows = await db.query<{ tag: string; action: string; changed_by: string; changed_at: Date }>('SELECT tag, action, changed_by, changed_at FROM tag_history WHERE customer_id = $1 ORDER BY changed_at, tag', [customerId]);
  return rows.map((r) => ({ tag: r.tag, action: r.action, by: r.changed_by, at: r.changed_at }));
}

/**
 * Sets a manual tag on every customer listed in a CSV file with a `customer_id` column. An unknown id is reported
 * as file:line, and then nothing is tagged.
 */
export async function uploadTags(store: Store, tag: string, path: string, by: string): Promise<{ changed: number; rows: number }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SiyuError('not_found', 'file_not_found', `cannot read ${path}: ${(error as Error).message}`);
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const column = header.indexOf('customer_id');
  if (column < 0) throw new SiyuError('validation', 'missing_column', `${path}:1: the header needs a customer_id column (found ${header.join(', ') || 'nothing'})`, { details: [{ file: path, line: 1, message: 'no customer_id column' }] });
  const ids: string[] = [];
  const lineOf: number[] = [];
  lines.slice(1).forEach((line, i) => {
    const id = line.split(',')[column]?.trim();
    if (!id) return;
    ids.push(id);
    lineOf.push(i + 2);
  });
  const result = await setTags(store, tag, ids, by, 'add', (i) => ({ file: path, line: lineOf[i] }));
  return { changed: result.changed, rows: ids.length };
}

/** Every defined tag's kind, by name. */
export async function tagKinds(db: Queryable): Promise<Map<string, TagKind>> {
  return new Map((await db.query<{ name: string; kind: TagKind }>('SELECT name, kind FROM tag_definitions')).map((r) => [r.name, r.kind]));
}

/**
 * Adds or removes the manual tag `tag` for the customers `select` returns (a SQL query of customer_id with its
 * `params`), inside the caller's transaction, set-based, with history; defines the tag as manual if it is new.
 * Journeys use it for their update steps. Returns how many customers changed.
 */
export async function setTagsWhere(tx: Queryable, tag: string, select: string, params: readonly unknown[], action: 'add' | 'remove', by: string, at: Date): Promise<number> {
  checkName(tag);
  const n = params.length;
  await tx.execute(`INSERT INTO tag_definitions (name, kind, definition, description, created_at) VALUES ($1, 'manual', NULL, NULL, $2) ON CONFLICT (name) DO NOTHING`, [tag, at]);
  await tx.execute('DROP TABLE IF EXISTS tag_targets');
  const changing =
    action === 'add'
      ? `SELECT DISTINCT s.customer_id FROM (${select}) s WHERE NOT EXISTS (SELECT 1 FROM customer_tags ct WHERE ct.customer_id = s.customer_id AND ct.tag = $${n + 1})`
      : `SELECT DISTINCT ct.customer_id FROM customer_tags ct WHERE ct.tag = $${n + 1} AND ct.customer_id IN (SELECT customer_id FROM (${select}) s)`;
  await tx.execute(`CREATE TEMP TABLE tag_targets AS ${changing}`, [...params, tag]);
  if (action === 'add') await tx.execute(`INSERT INTO customer_tags (customer_id, tag, source, set_by, set_at) SELECT customer_id, $1, 'manual', $2, $3 FROM tag_targets`, [tag, by, at]);
  else await tx.execute('DELETE FROM customer_tags WHERE tag = $1 AND customer_id IN (SELECT customer_id FROM tag_targets)', [tag]);
  const changed = await tx.execute(`INSERT INTO tag_history (customer_id, tag, action, changed_by, changed_at) SELECT customer_id, $1, $2, $3, $4 FROM tag_targets`, [tag, action === 'add' ? 'added' : 'removed', by, at]);
  await tx.execute('DROP TABLE tag_targets');
  return changed;
}
