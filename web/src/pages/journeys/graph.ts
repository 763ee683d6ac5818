// The journey canvas's model: a journey definition (docs/journeys.md) as a graph of an entry card, one node per step
// and one edge per link, and back. The definition stays the source of truth: the canvas shows `toGraph(definition)`,
// and every edit on it is a change to that graph turned back with `fromGraph`, so the JSON view and the canvas never
// disagree. The definition may be anything the operator typed (a draft the server would refuse): whatever the graph
// does not model (unknown fields, a link that is not text) is carried through unchanged.
import { layoutGraph, type XY } from './layout.ts';

/** The kinds of step (src/journey/schemas.ts). */
export const STEP_KINDS = ['wait', 'wait_for_event', 'condition', 'split', 'message', 'update', 'webhook', 'coupon', 'points', 'exit'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

type Json = Record<string, unknown>;

/** The entry card's node id, and the prefix of a node standing for a link to a step that does not exist. Neither can be a step id (`[a-z][a-z0-9_-]*`). */
export const ENTRY_ID = '@entry';
const MISSING = '@missing:';

export type LinkField = 'start' | 'next' | 'on_event' | 'on_timeout' | 'then' | 'else' | 'variant';

/** One outgoing link of a step: the handle it leaves from, the field that holds it, and the step it names (if text). */
export interface Branch {
  handle: string;
  field: LinkField;
  /** A split's arm: its index and name. */
  variant?: { index: number; name: string };
  target: unknown;
}

export type EntryData = { role: 'entry'; settings: Json; keys: string[]; problems?: number };
export type StepData = { role: 'step'; step: unknown; isStart: boolean; isReachable: boolean };
export type MissingData = { role: 'missing'; name: string };
export type NodeData = EntryData | StepData | MissingData;

export interface GraphNode {
  id: string;
  type: 'entry' | 'step' | 'missing';
  position: XY;
  data: NodeData;
}

export interface GraphEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  data: { field: LinkField; variant?: string };
}

export interface JourneyGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** Whether a value is a JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const SINGLE: Record<StepKind, LinkField[]> = {
  wait: ['next'],
  message: ['next'],
  update: ['next'],
  webhook: ['next'],
  coupon: ['next'],
  points: ['next'],
  wait_for_event: ['on_event', 'on_timeout'],
  condition: ['then', 'else'],
  split: [],
  exit: [],
};
const ALL_FIELDS: LinkField[] = ['next', 'on_event', 'on_timeout', 'then', 'else'];

export const isStepKind = (kind: unknown): kind is StepKind => typeof kind === 'string' && (STEP_KINDS as readonly string[]).includes(kind);

/** The outgoing links of a step, one per handle: `next`; `on_event` and `on_timeout`; `then` and `else`; a split's arms. */
export function branchesOf(step: unknown): Branch[] {
  if (!isObject(step)) return [];
  if (step.kind === 'split') {
    const variants = Array.isArray(step.variants) ? step.variants : [];
    return variants.map((v: unknown, index) => ({ handle: `variant:${index}`, field: 'variant', variant: { index, name: isObject(v) && typeof v.name === 'string' ? v.name : '' }, target: isObject(v) ? v.next : undefined }));
  }
  // A kind the console does not know yet shows whichever link fields it has.
  const fields = isStepKind(step.kind) ? SINGLE[step.kind] : ALL_FIELDS.filter((f) => f in step);
  return fields.map((field) => ({ handle: field, field, target: step[field] }));
}

const missingId = (name: string) => `${MISSING}${name}`;

/** The step name a node stands for: its id, or the name a dangling link gives. */
export const nameOf = (nodeId: string) => (nodeId.startsWith(MISSING) ? nodeId.slice(MISSING.length) : nodeId);

/** The steps reachable from `start` over the graph's links. */
function reachable(edges: GraphEdge[]): Set<string> {
  const seen = new Set<string>();
  const queue = [ENTRY_ID];
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of edges) if (e.source === id && !seen.has(e.target)) queue.push((seen.add(e.target), e.target));
  }
  return seen;
}

/** The definition as a graph, laid out top to bottom (positions from `layoutGraph`). */
export function toGraph(definition: unknown): JourneyGraph {
  const def = isObject(definition) ? definition : {};
  const steps = isObject(def.nodes) ? def.nodes : {};
  const { nodes: _, ...settings } = def;
  const edges: GraphEdge[] = [];
  const missing = new Set<string>();
  const link = (source: string, branch: Branch) => {
    if (typeof branch.target !== 'string') return;
    const target = Object.hasOwn(steps, branch.target) ? branch.target : missingId(branch.target);
    if (target !== branch.target) missing.add(branch.target);
    edges.push({ id: `${source}→${branch.handle}`, source, sourceHandle: branch.handle, target, data: { field: branch.field, ...(branch.variant ? { variant: branch.variant.name } : {}) } });
  };
  link(ENTRY_ID, { handle: 'start', field: 'start', target: def.start });
  for (const [id, step] of Object.entries(steps)) for (const branch of branchesOf(step)) link(id, branch);
  const reached = reachable(edges);
  const nodes: GraphNode[] = [
    { id: ENTRY_ID, type: 'entry', position: { x: 0, y: 0 }, data: { role: 'entry', settings, keys: Object.keys(def) } },
    ...Object.entries(steps).map(([id, step]): GraphNode => ({ id, type: 'step', position: { x: 0, y: 0 }, data: { role: 'step', step, isStart: def.start === id, isReachable: reached.has(id) } })),
    ...[...missing].map((name): GraphNode => ({ id: missingId(name), type: 'missing', position: { x: 0, y: 0 }, data: { role: 'missing', name } })),
  ];
  const positions = layoutGraph(nodes.map((n) => ({ id: n.id, height: NODE_HEIGHT[n.type] })), edges, ENTRY_ID);
  return { nodes: nodes.map((n) => ({ ...n, position: positions.get(n.id)! })), edges };
}

/** Heights the layout leaves for each kind of node (the canvas draws them about this tall). */
export const NODE_HEIGHT: Record<GraphNode['type'], number> = { entry: 150, step: 84, missing: 48 };

/** The step with its links taken from the graph's edges; a link that is not text and has no edge is left as it was. */
function stepWithLinks(id: string, step: unknown, edges: GraphEdge[]): unknown {
  if (!isObject(step)) return step;
  const out: Json = { ...step };
  const targetOf = (handle: string) => edges.find((e) => e.source === id && e.sourceHandle === handle)?.target;
  for (const branch of branchesOf(step)) {
    const target = targetOf(branch.handle);
    if (branch.variant) {
      const variants = (out.variants as unknown[]).slice();
      const variant = variants[branch.variant.index];
      if (!isObject(variant)) continue;
      const { next: _, ...rest } = variant;
      variants[branch.variant.index] = target !== undefined ? { ...variant, next: nameOf(target) } : typeof variant.next === 'string' ? rest : variant;
      out.variants = variants;
    } else if (target !== undefined) out[branch.field] = nameOf(target);
    else if (typeof out[branch.field] === 'string') delete out[branch.field];
  }
  return out;
}

/** The definition a graph stands for: the entry card's settings, `start` from its edge, each step with its links. */
export function fromGraph(graph: JourneyGraph): Json {
  const entry = graph.nodes.find((n) => n.data.role === 'entry')?.data as EntryData | undefined;
  const settings = entry?.settings ?? {};
  const startEdge = graph.edges.find((e) => e.source === ENTRY_ID && e.sourceHandle === 'start');
  const nodes: Json = {};
  for (const node of graph.nodes) if (node.data.role === 'step') nodes[node.id] = stepWithLinks(node.id, node.data.step, graph.edges);
  const keys = [...(entry?.keys ?? [])];
  if (!keys.includes('nodes')) keys.push('nodes');
  if (!keys.includes('start')) keys.splice(keys.indexOf('nodes'), 0, 'start');
  const out: Json = {};
  for (const key of keys) {
    if (key === 'nodes') out.nodes = nodes;
    else if (key === 'start') {
      if (startEdge) out.start = nameOf(startEdge.target);
      else if (Object.hasOwn(settings, 'start') && typeof settings.start !== 'string') out.start = settings.start;
    } else if (Object.hasOwn(settings, key)) out[key] = settings[key];
  }
  return out;
}
