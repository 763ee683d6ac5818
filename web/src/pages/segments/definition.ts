// The visual builder's model and the segment DSL it stands for (src/segment/builder.ts, docs/segmentation.md):
// a group (all / any, optionally negated) of conditions and nested groups. The page edits this model and sends
// the definition it makes; the server checks it and reports a bad node by its path.

export type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'in' | 'not_in' | 'contains' | 'exists' | 'not_exists';
export type ConditionKind = 'field' | 'attribute' | 'trait' | 'tag' | 'event';

export interface Condition {
  id: string;
  kind: ConditionKind;
  negate: boolean;
  /** The field, attribute, trait, tag or event name. */
  name: string;
  op: Operator;
  value: string | number | string[] | undefined;
  /** Events: count of the event, or the sum of a numeric property, within the last `withinDays` days. */
  aggregate: 'count' | 'sum';
  property: string;
  withinDays: number;
}

export interface Group {
  id: string;
  kind: 'group';
  negate: boolean;
  mode: 'all' | 'any';
  children: (Condition | Group)[];
}

let counter = 0;
const nextId = () => `n${++counter}`;

export const newCondition = (kind: ConditionKind = 'field'): Condition => ({
  id: nextId(),
  kind,
  negate: false,
  name: kind === 'field' ? 'stage' : '',
  op: kind === 'tag' ? 'exists' : kind === 'event' ? '>=' : kind === 'field' ? 'in' : '>=',
  value: kind === 'event' ? 1 : undefined,
  aggregate: 'count',
  property: '',
  withinDays: 30,
});

export const newGroup = (mode: 'all' | 'any' = 'all', children: (Condition | Group)[] = [newCondition()]): Group => ({ id: nextId(), kind: 'group', negate: false, mode, children });

/** Operators that need no value. */
export const NO_VALUE: readonly Operator[] = ['exists', 'not_exists'];
export const LIST_OPS: readonly Operator[] = ['in', 'not_in'];

const COMPARE: Operator[] = ['=', '!=', '>', '>=', '<', '<='];
const TEXT_OPS: Operator[] = ['in', 'not_in', '=', '!=', 'contains', 'exists', 'not_exists'];
const NUMBER_OPS: Operator[] = [...COMPARE, 'exists', 'not_exists'];

/** The part of the segment catalogue (GET /v1/segments/catalogue) that says what a condition's value is. */
export interface CatalogueTypes<F extends { name: string; type: string } = { name: string; type: string }> {
  fields: readonly F[];
  attributes: readonly { name: string; type: string }[];
}

/**
 * What a condition's row offers, from the catalogue: the field it names (with its known values), the type its value
 * takes, and the operators it may use.
 */
export function conditionShape<F extends { name: string; type: string }>(c: Condition, catalogue?: CatalogueTypes<F>): { field?: F; type: string; ops: readonly Operator[] } {
  const field = catalogue?.fields.find((f) => f.name === c.name);
  const attribute = catalogue?.attributes.find((a) => a.name === c.name);
  const type = c.kind === 'field' ? (field?.type ?? 'text') : c.kind === 'attribute' ? (attribute?.type ?? 'number') : c.kind === 'trait' ? 'text' : 'number';
  const ops = c.kind === 'tag' ? (['exists', 'not_exists'] as Operator[]) : c.kind === 'event' ? COMPARE : type === 'number' ? NUMBER_OPS : TEXT_OPS;
  return { field, type, ops };
}

type Node = Record<string, unknown>;

function conditionNode(c: Condition): Node {
  if (c.kind === 'tag') return { tag: c.name, op: c.op === 'not_exists' ? 'not_exists' : 'exists' };
  if (c.kind === 'event') {
    const node: Node = { event: c.name, within_days: c.withinDays, op: c.op, value: typeof c.value === 'number' ? c.value : Number(c.value ?? 0) };
    if (c.aggregate === 'sum') Object.assign(node, { aggregate: 'sum', property: c.property });
    return node;
  }
  const node: Node = { [c.kind]: c.name, op: c.op };
  if (!NO_VALUE.includes(c.op)) node.value = c.value;
  return node;
}

/** The DSL definition the model stands for. */
export function toDefinition(group: Group): Node {
  const node: Node = { [group.mode]: group.children.map((child) => (child.kind === 'group' ? toDefinition(child) : wrap(child.negate, conditionNode(child)))) };
  return wrap(group.negate, node);
}

const wrap = (negate: boolean, node: Node): Node => (negate ? { not: node } : node);

/**
 * A saved definition back into the model; a shape the builder cannot show is refused (undefined). Some it reads only in
 * part (an event `avg`, a numeric trait…): readCondition (read-condition.ts) says whether the model is all of it.
 */
export function fromDefinition(definition: unknown): Group | undefined {
  const visit = (value: unknown, negate = false): Condition | Group | undefined => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const n = value as Node;
    if ('not' in n) return visit(n.not, !negate);
    for (const mode of ['all', 'any'] as const) {
      if (Array.isArray(n[mode])) {
        const children = (n[mode] as unknown[]).map((c) => visit(c));
        return children.every(Boolean) ? { id: nextId(), kind: 'group', negate, mode, children: children as (Condition | Group)[] } : undefined;
      }
    }
    const base = newCondition();
    for (const kind of ['field', 'attribute', 'trait'] as const) {
      if (typeof n[kind] === 'string') return { ...base, kind, negate, name: n[kind] as string, op: n.op as Operator, value: n.value as Condition['value'] };
    }
    if (typeof n.tag === 'string') return { ...base, kind: 'tag', negate, name: n.tag, op: (n.op as Operator) ?? 'exists' };
    if (typeof n.event === 'string' && !(Array.isArray(n.where) && n.where.length > 0)) {
      return { ...base, kind: 'event', negate, name: n.event, op: n.op as Operator, value: Number(n.value), withinDays: Number(n.within_days), aggregate: n.aggregate === 'sum' ? 'sum' : 'count', property: String(n.property ?? '') };
    }
    return undefined;
  };
  const root = visit(definition);
  if (!root) return undefined;
  return root.kind === 'group' ? root : newGroup('all', [root]);
}

/** Whether every condition has what it needs (a name, and a value where its operator takes one): only then is it sent. */
export function isComplete(node: Condition | Group): boolean {
  if (node.kind === 'group') return node.children.length > 0 && node.children.every(isComplete);
  if (!node.name.trim()) return false;
  if (node.kind === 'tag' || NO_VALUE.includes(node.op)) return true;
  if (node.kind === 'event' && node.aggregate === 'sum' && !node.property.trim()) return false;
  if (LIST_OPS.includes(node.op)) return Array.isArray(node.value) && node.value.length > 0;
  return node.value !== undefined && node.value !== '';
}
