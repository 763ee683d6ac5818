// A layered top-to-bottom layout for the journey canvas (a Sugiyama-style layering, small enough to write here
// rather than add a layout package: journeys are directed acyclic graphs of tens of steps, not thousands).
// 1. Layers: each node sits one layer below its lowest predecessor (the longest path from the entry); a link that
//    closes a loop (the server refuses them, but a draft may have one) is left out of the layering.
// 2. Order within a layer: first as a depth-first walk from the entry meets them, then a few sweeps that move each
//    node towards the mean position of its predecessors (the barycentre heuristic), which removes most crossings.
// 3. Coordinates: each layer centred under the entry, layers as tall as their tallest node.

export interface XY {
  x: number;
  y: number;
}

export const NODE_WIDTH = 240;
const GAP_X = 48;
const GAP_Y = 56;
const SWEEPS = 4;

/** Positions (top-left corners) for the nodes, the root first; nodes the root does not reach go one layer below it. */
export function layoutGraph(nodes: { id: string; height: number }[], edges: { source: string; target: string }[], root: string): Map<string, XY> {
  const ids = nodes.map((n) => n.id);
  const known = new Set(ids);
  const successors = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) if (known.has(e.source) && known.has(e.target) && e.source !== e.target) successors.get(e.source)!.push(e.target);
  // Depth-first from the root, then from every node not yet met: the order met, and the links that close a loop.
  const state = new Map<string, 'open' | 'done'>();
  const met: string[] = [];
  const finished: string[] = [];
  const back = new Set<string>();
  const visit = (id: string) => {
    state.set(id, 'open');
    met.push(id);
    for (const next of successors.get(id)!) {
      if (state.get(next) === 'open') back.add(`${id}\n${next}`);
      else if (!state.has(next)) visit(next);
    }
    state.set(id, 'done');
    finished.push(id);
  };
  for (const id of [root, ...ids]) if (known.has(id) && !state.has(id)) visit(id);
  const layer = new Map<string, number>(ids.map((id) => [id, id === root ? 0 : 1]));
  const predecessors = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const id of finished.reverse()) {
    for (const next of successors.get(id)!) {
      if (back.has(`${id}\n${next}`)) continue;
      layer.set(next, Math.max(layer.get(next)!, layer.get(id)! + 1));
      predecessors.get(next)!.push(id);
    }
  }
  const layers: string[][] = [];
  for (const id of met) (layers[layer.get(id)!] ??= []).push(id);
  const rows = layers.filter(Boolean);
  const indexIn = new Map<string, number>();
  const reindex = () => rows.forEach((row) => row.forEach((id, i) => indexIn.set(id, i - (row.length - 1) / 2)));
  reindex();
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    for (const row of rows.slice(1)) {
      const centre = (id: string) => {
        const preds = predecessors.get(id)!;
        return preds.length ? preds.reduce((sum, p) => sum + indexIn.get(p)!, 0) / preds.length : indexIn.get(id)!;
      };
      const keys = new Map(row.map((id) => [id, centre(id)]));
      row.sort((a, b) => keys.get(a)! - keys.get(b)!);
      reindex();
    }
  }
  const height = new Map(nodes.map((n) => [n.id, n.height]));
  const positions = new Map<string, XY>();
  let y = 0;
  for (const row of rows) {
    row.forEach((id, i) => positions.set(id, { x: (i - (row.length - 1) / 2) * (NODE_WIDTH + GAP_X) - NODE_WIDTH / 2, y }));
    y += Math.max(...row.map((id) => height.get(id)!)) + GAP_Y;
  }
  return positions;
}
