// Where the canvas draws each node. The operator's positions live in the definition's `layout` (docs/journeys.md:
// presentation only, saved and versioned with the journey), so reopening the editor shows the journey as it was left.
// A node with no position of its own (a new step, one never moved) follows the automatic layout, shifted as far as the
// step that leads to it was moved, so it stays below its parent; it is then nudged down until it covers no other node.
import { ENTRY_ID, isObject, NODE_HEIGHT, toGraph, type JourneyGraph } from './graph.ts';
import { NODE_WIDTH, type XY } from './layout.ts';

type Json = Record<string, unknown>;

const isXY = (value: unknown): value is XY => isObject(value) && Number.isFinite(value.x) && Number.isFinite(value.y);

/** The positions a definition's layout gives, by canvas node id; a position that is not two numbers is not one. */
export function storedPositions(definition: Json): Map<string, XY> {
  const layout = isObject(definition.layout) ? definition.layout : {};
  const steps = isObject(definition.nodes) ? definition.nodes : {};
  const out = new Map<string, XY>();
  if (isXY(layout.entry)) out.set(ENTRY_ID, { x: layout.entry.x, y: layout.entry.y });
  for (const [id, at] of Object.entries(isObject(layout.nodes) ? layout.nodes : {})) if (Object.hasOwn(steps, id) && isXY(at)) out.set(id, { x: at.x, y: at.y });
  return out;
}

/**
 * The definition with these nodes' positions written into its layout (whole canvas units); other positions are kept,
 * and nodes that are neither the entry nor a step (a link's missing target) are not stored.
 */
export function withPositions(definition: Json, positions: Iterable<readonly [string, XY]>): Json {
  const steps = isObject(definition.nodes) ? definition.nodes : {};
  const layout: Json = isObject(definition.layout) ? { ...definition.layout } : {};
  const nodes: Json = isObject(layout.nodes) ? { ...layout.nodes } : {};
  let changed = false;
  for (const [id, at] of positions) {
    const rounded = { x: Math.round(at.x), y: Math.round(at.y) };
    if (id === ENTRY_ID) layout.entry = rounded;
    else if (Object.hasOwn(steps, id)) nodes[id] = rounded;
    else continue;
    changed = true;
  }
  if (!changed) return definition;
  if (Object.keys(nodes).length) layout.nodes = nodes;
  return { ...definition, layout };
}

/** The layout with only the positions of steps that exist (the server drops the others the same way). */
export function prunedLayout(layout: unknown, stepIds: ReadonlySet<string>): unknown {
  if (!isObject(layout) || !isObject(layout.nodes)) return layout;
  const nodes = layout.nodes;
  if (Object.keys(nodes).every((id) => stepIds.has(id))) return layout;
  return { ...layout, nodes: Object.fromEntries(Object.entries(nodes).filter(([id]) => stepIds.has(id))) };
}

/** The layout with a step's position under its new id. */
export function renamedLayout(layout: unknown, from: string, to: string): unknown {
  if (!isObject(layout) || !isObject(layout.nodes) || !Object.hasOwn(layout.nodes, from)) return layout;
  return { ...layout, nodes: Object.fromEntries(Object.entries(layout.nodes).map(([id, at]) => [id === from ? to : id, at])) };
}

const GAP = 16;

/** The graph (laid out by toGraph) with the definition's stored positions, and the other nodes placed around them. */
export function placeGraph(graph: JourneyGraph, definition: Json): JourneyGraph {
  const stored = storedPositions(definition);
  if (stored.size === 0) return graph;
  const auto = new Map(graph.nodes.map((n) => [n.id, n.position]));
  const at = placeNodes(graph.nodes.map((n) => ({ id: n.id, height: NODE_HEIGHT[n.type] })), graph.edges, auto, stored);
  return { ...graph, nodes: graph.nodes.map((n) => ({ ...n, position: at.get(n.id)! })) };
}

/** The definition with the automatic layout's positions of the entry and every step stored (the canvas's layout button). */
export function laidOutAgain(definition: Json): Json {
  const { layout: _, ...rest } = definition;
  return withPositions(rest, toGraph(rest).nodes.map((n) => [n.id, n.position] as const));
}

/**
 * Each node's position: its stored one, else the automatic one moved by the shift of the step that leads to it (from
 * the entry, breadth first), then moved down until it overlaps no node placed before it.
 */
function placeNodes(nodes: { id: string; height: number }[], edges: { source: string; target: string }[], auto: Map<string, XY>, stored: Map<string, XY>): Map<string, XY> {
  const shift = new Map<string, XY>();
  const shiftOf = (id: string, inherited: XY): XY => {
    const own = stored.get(id);
    const at = auto.get(id)!;
    return own ? { x: own.x - at.x, y: own.y - at.y } : inherited;
  };
  const order = [ENTRY_ID, ...nodes.map((n) => n.id).filter((id) => id !== ENTRY_ID)];
  for (const root of order) {
    if (shift.has(root) || !auto.has(root)) continue;
    shift.set(root, shiftOf(root, { x: 0, y: 0 }));
    const queue = [root];
    while (queue.length) {
      const id = queue.shift()!;
      for (const e of edges) {
        if (e.source !== id || shift.has(e.target) || !auto.has(e.target)) continue;
        shift.set(e.target, shiftOf(e.target, shift.get(id)!));
        queue.push(e.target);
      }
    }
  }
  const height = new Map(nodes.map((n) => [n.id, n.height]));
  const placed: { id: string; at: XY }[] = [];
  const overlaps = (id: string, at: XY) => placed.some((p) => Math.abs(p.at.x - at.x) < NODE_WIDTH + GAP && at.y < p.at.y + height.get(p.id)! + GAP && p.at.y < at.y + height.get(id)! + GAP);
  const out = new Map<string, XY>();
  // The operator's positions first, as they are; then the others, each clear of what is already placed.
  for (const n of nodes) if (stored.has(n.id)) placed.push({ id: n.id, at: stored.get(n.id)! });
  for (const n of nodes) {
    const own = stored.get(n.id);
    if (own) {
      out.set(n.id, own);
      continue;
    }
    const base = auto.get(n.id) ?? { x: 0, y: 0 };
    const by = shift.get(n.id) ?? { x: 0, y: 0 };
    const at = { x: base.x + by.x, y: base.y + by.y };
    for (let tries = 0; tries < 100 && overlaps(n.id, at); tries++) at.y += GAP * 2;
    placed.push({ id: n.id, at });
    out.set(n.id, at);
  }
  return out;
}
