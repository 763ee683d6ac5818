// What the canvas can do to a journey, as pure functions from a definition to the next one (each goes through the
// graph of graph.ts where links are concerned), so the editor page only wires them to React Flow's events.
import { branchesOf, ENTRY_ID, fromGraph, isObject, nameOf, toGraph, type GraphEdge, type StepKind } from './graph.ts';
import { prunedLayout, renamedLayout } from './positions.ts';

type Json = Record<string, unknown>;

/** A new step of each kind: what the server needs filled in is left empty, so the canvas shows it as a problem. */
export const NEW_STEP: Record<StepKind, () => Json> = {
  wait: () => ({ kind: 'wait', duration: '1d' }),
  wait_for_event: () => ({ kind: 'wait_for_event', event: 'Order Completed', timeout: '1d' }),
  condition: () => ({ kind: 'condition', condition: { field: 'stage', op: 'in', value: ['active', 'repeat'] } }),
  split: () => ({ kind: 'split', variants: [{ name: 'A', weight: 1 }, { name: 'B', weight: 1 }] }),
  message: () => ({ kind: 'message', channel: 'sms', content: { body: '' } }),
  update: () => ({ kind: 'update', add_tags: [] }),
  webhook: () => ({ kind: 'webhook', url: '' }),
  coupon: () => ({ kind: 'coupon', offer: '' }),
  points: () => ({ kind: 'points', points: 100 }),
  exit: () => ({ kind: 'exit' }),
};

const stepsOf = (definition: Json): Json => (isObject(definition.nodes) ? definition.nodes : {});

/** A step id not yet used: the kind and the first free number (`wait_1`, `message_2`). */
export function freeStepId(definition: Json, kind: StepKind): string {
  const taken = new Set(Object.keys(stepsOf(definition)));
  for (let n = 1; ; n++) if (!taken.has(`${kind}_${n}`)) return `${kind}_${n}`;
}

/** Adds a step of a kind, linked to nothing yet; returns its id. */
export function addStep(definition: Json, kind: StepKind): { definition: Json; id: string } {
  const id = freeStepId(definition, kind);
  const graph = toGraph(definition);
  graph.nodes.push({ id, type: 'step', position: { x: 0, y: 0 }, data: { role: 'step', step: NEW_STEP[kind](), isStart: false, isReachable: false } });
  return { definition: fromGraph(graph), id };
}

/** Links a handle to a step (replacing what the handle linked to): the entry's `start`, or a step's branch. */
export function connect(definition: Json, link: { source: string; sourceHandle: string; target: string }): Json {
  if (link.target === ENTRY_ID || link.source === link.target) return definition;
  const graph = toGraph(definition);
  const edge: GraphEdge = { id: `${link.source}→${link.sourceHandle}`, source: link.source, sourceHandle: link.sourceHandle, target: link.target, data: { field: 'next' } };
  return fromGraph({ ...graph, edges: [...graph.edges.filter((e) => !(e.source === link.source && e.sourceHandle === link.sourceHandle)), edge] });
}

/** Removes steps, links (by edge id) or both; a removed step's incoming links are removed with it. */
export function remove(definition: Json, items: { nodes?: string[]; edges?: string[] }): Json {
  const nodes = new Set((items.nodes ?? []).filter((id) => id !== ENTRY_ID));
  const edges = new Set(items.edges ?? []);
  const graph = toGraph(definition);
  const out = fromGraph({
    nodes: graph.nodes.filter((n) => !nodes.has(n.id)),
    edges: graph.edges.filter((e) => !edges.has(e.id) && !nodes.has(e.source) && !nodes.has(e.target)),
  });
  // A removed step's position goes with it.
  if (nodes.size && Object.hasOwn(out, 'layout')) out.layout = prunedLayout(out.layout, new Set(Object.keys(stepsOf(out))));
  return out;
}

/** Replaces a step's own fields; its links stay as the graph has them unless the new step drops the branch. */
export function updateStep(definition: Json, id: string, step: Json): Json {
  return { ...definition, nodes: Object.fromEntries(Object.entries(stepsOf(definition)).map(([k, v]) => [k, k === id ? step : v])) };
}

/** What the canvas itself keeps, which the entry card's settings leave alone. */
const CANVAS_KEYS = new Set(['start', 'nodes', 'layout']);

/** Replaces the entry card's settings (everything but `start`, `nodes` and `layout`), keeping the order of the fields. */
export function updateSettings(definition: Json, settings: Json): Json {
  const out: Json = {};
  for (const key of Object.keys(definition)) if (CANVAS_KEYS.has(key) || Object.hasOwn(settings, key)) out[key] = CANVAS_KEYS.has(key) ? definition[key] : settings[key];
  for (const [key, value] of Object.entries(settings)) if (!Object.hasOwn(out, key) && !CANVAS_KEYS.has(key)) out[key] = value;
  return out;
}

/** Renames a step, and every link to it (`start` included) and its position; refused (unchanged) when the new id is taken. */
export function renameStep(definition: Json, from: string, to: string): Json {
  const steps = stepsOf(definition);
  if (from === to || Object.hasOwn(steps, to) || !Object.hasOwn(steps, from)) return definition;
  const graph = toGraph(Object.hasOwn(definition, 'layout') ? { ...definition, layout: renamedLayout(definition.layout, from, to) } : definition);
  const rename = (id: string) => (id === from ? to : id);
  return fromGraph({
    nodes: graph.nodes.map((n) => (n.id === from ? { ...n, id: to } : n)),
    edges: graph.edges.map((e) => ({ ...e, source: rename(e.source), target: rename(e.target) })),
  });
}

/** Where each handle of a step leads, by step name (undefined when it leads nowhere). */
export function linksOf(definition: Json, id: string): { handle: string; target: string | undefined }[] {
  const edges = toGraph(definition).edges;
  return branchesOf(stepsOf(definition)[id]).map((b) => ({ handle: b.handle, target: ((e) => (e ? nameOf(e.target) : undefined))(edges.find((e) => e.source === id && e.sourceHandle === b.handle)) }));
}
