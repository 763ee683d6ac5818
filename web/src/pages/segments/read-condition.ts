// Whether the segment builder's visual editor can show a condition exactly: a saved segment's definition, a journey's
// condition step or exit criterion. The segment DSL says more than the builder does (reachable and consent conditions,
// event property filters, averages, a numeric trait…); a condition the builder would read with a part missing or
// changed must stay in JSON, never be rewritten without it. Pure, so test/web checks it without a browser.
import { conditionShape, fromDefinition, isComplete, LIST_OPS, NO_VALUE, toDefinition, type CatalogueTypes, type Condition, type Group } from './definition.ts';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The builder's model of the condition, or the path (`any[1]`, '' for the whole) of the first part it cannot show. */
export type ConditionReading = { group: Group } | { path: string };

const GROUPS = ['all', 'any'] as const;
const at = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Reads a condition for the visual editor, if the editor shows all of it as it is. */
export function readCondition(value: unknown, catalogue: CatalogueTypes | undefined): ConditionReading {
  const path = unshowable(value, '', catalogue);
  if (path !== undefined) return { path };
  const group = fromDefinition(value);
  // Each part passed; the whole must come back the same too, or the builder would rewrite it.
  if (!group || stable(canonical(value, true)) !== stable(canonical(toDefinition(group), true))) return { path: '' };
  return { group };
}

/**
 * What to count and save of a condition being edited: a condition the visual editor shows once every row is filled in
 * (name, and a value where its operator takes one), any other as it is, whole (the server checks it); nothing yet
 * while it is empty or a row is not filled in.
 */
export function conditionToSend(value: unknown, catalogue: CatalogueTypes | undefined): unknown {
  if (value === undefined) return undefined;
  const reading = readCondition(value, catalogue);
  return 'group' in reading && !isComplete(reading.group) ? undefined : value;
}

/** The path of the first node the builder cannot show as it is, depth first. */
function unshowable(node: unknown, path: string, catalogue: CatalogueTypes | undefined): string | undefined {
  if (!isObject(node)) return path;
  const keys = Object.keys(node);
  if ('not' in node) return keys.length === 1 ? unshowable(node.not, at(path, 'not'), catalogue) : path;
  for (const mode of GROUPS) {
    if (!(mode in node)) continue;
    const children = node[mode];
    if (keys.length !== 1 || !Array.isArray(children)) return path;
    for (const [i, child] of children.entries()) {
      const bad = unshowable(child, `${at(path, mode)}[${i}]`, catalogue);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  // A single condition: the builder reads it as a group of one, which must write it back the same.
  const group = fromDefinition(node);
  const condition = group?.children[0];
  if (!group || !condition || condition.kind === 'group' || !showsValue(condition, catalogue)) return path;
  return stable(canonical(node, false)) === stable(canonical(toDefinition(group), false, true)) ? undefined : path;
}

/** Whether the row the builder draws for a condition shows its operator and value (the inputs take only some types). */
function showsValue(c: Condition, catalogue: CatalogueTypes | undefined): boolean {
  if (!conditionShape(c, catalogue).ops.includes(c.op)) return false;
  // No value yet (a row being filled in) shows as an empty input, which is what it is.
  if (c.kind === 'tag' || NO_VALUE.includes(c.op) || c.value === undefined) return true;
  if (LIST_OPS.includes(c.op)) return Array.isArray(c.value) && c.value.every((v) => typeof v === 'string' || typeof v === 'number');
  const { type } = conditionShape(c, catalogue);
  return type === 'number' || c.kind === 'event' ? typeof c.value === 'number' : typeof c.value === 'string';
}

/**
 * A condition written one way of several that mean the same: `not` of `not` is the node itself, defaults the DSL fills
 * in (a tag's `exists`, an event's `count` and empty `where`) are left out, and at the root a single condition or a
 * negated one is a group of one, as the builder writes it. `unwrap` takes a builder's group of one back to its member.
 */
function canonical(node: unknown, root: boolean, unwrap = false): unknown {
  if (!isObject(node)) return node;
  if (unwrap && Array.isArray(node.all) && node.all.length === 1) return canonical(node.all[0], root);
  if (isObject(node.not) && 'not' in node.not && Object.keys(node).length === 1 && Object.keys(node.not).length === 1) return canonical(node.not.not, root);
  if ('not' in node && Object.keys(node).length === 1) {
    const inner = canonical(node.not, false);
    const isGroup = isObject(inner) && GROUPS.some((g) => g in inner);
    return root && !isGroup ? { all: [{ not: inner }] } : { not: inner };
  }
  for (const mode of GROUPS) if (Array.isArray(node[mode]) && Object.keys(node).length === 1) return { [mode]: (node[mode] as unknown[]).map((c) => canonical(c, false)) };
  const leaf: Record<string, unknown> = { ...node };
  if ('tag' in leaf && leaf.op === undefined) leaf.op = 'exists';
  if ('event' in leaf) {
    if (leaf.aggregate === 'count') delete leaf.aggregate;
    if (Array.isArray(leaf.where) && leaf.where.length === 0) delete leaf.where;
  }
  return root ? { all: [leaf] } : leaf;
}

/** JSON with every object's keys in order, and undefined fields left out (as JSON leaves them). */
function stable(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}
