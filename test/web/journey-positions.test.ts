import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJourneyDefinition } from '../../src/journey/index.ts';
import { addStep, remove, renameStep, updateSettings } from '../../web/src/pages/journeys/edits.ts';
import { ENTRY_ID, fromGraph, NODE_HEIGHT, toGraph, type GraphNode } from '../../web/src/pages/journeys/graph.ts';
import { NODE_WIDTH } from '../../web/src/pages/journeys/layout.ts';
import { laidOutAgain, placeGraph, storedPositions, withPositions } from '../../web/src/pages/journeys/positions.ts';
import { definitions } from './journey-definitions.ts';

// The canvas keeps the operator's positions in the definition's `layout` (web/src/pages/journeys/positions.ts), and
// lays out the rest: what the operator placed stays put, and what was never moved neither hides nor is hidden.

type Json = Record<string, unknown>;
const [, cart] = definitions[1]!; // wait_order → remind → done
const at = (def: Json) => new Map(placeGraph(toGraph(def), def).nodes.map((n) => [n.id, n.position]));
const covers = (a: GraphNode, b: GraphNode) => Math.abs(a.position.x - b.position.x) < NODE_WIDTH && Math.abs(a.position.y - b.position.y) < NODE_HEIGHT[a.type];

describe('positions kept in the definition', () => {
  test('a dragged step and the entry are stored in whole units, the server keeps them, and the canvas draws them there', () => {
    const moved = withPositions(cart, [[ENTRY_ID, { x: -300.4, y: 10.6 }], ['remind', { x: 500, y: 400 }], ['@missing:gone', { x: 1, y: 1 }]]);
    assert.deepEqual(moved.layout, { entry: { x: -300, y: 11 }, nodes: { remind: { x: 500, y: 400 } } });
    assert.deepEqual(parseJourneyDefinition(moved).layout, moved.layout);
    const drawn = at(moved);
    assert.deepEqual([drawn.get(ENTRY_ID), drawn.get('remind')], [{ x: -300, y: 11 }, { x: 500, y: 400 }]);
    assert.deepEqual(storedPositions(moved), new Map([[ENTRY_ID, { x: -300, y: 11 }], ['remind', { x: 500, y: 400 }]]));
  });

  test('a definition without a layout is drawn by the automatic layout, as before', () => {
    for (const [name, definition] of definitions) assert.deepEqual(placeGraph(toGraph(definition), definition), toGraph(definition), name);
  });

  test('a step never moved follows the step that leads to it, and covers no step that was', () => {
    const auto = at(cart);
    const moved = withPositions(cart, [['wait_order', { x: auto.get('wait_order')!.x + 600, y: auto.get('wait_order')!.y + 40 }]]);
    const drawn = at(moved);
    // remind and done are below wait_order, shifted as far as it was.
    for (const id of ['remind', 'done']) assert.deepEqual(drawn.get(id), { x: auto.get(id)!.x + 600, y: auto.get(id)!.y + 40 }, id);
    // A new step (linked to nothing) placed where the automatic layout puts it, clear of the steps placed by hand.
    const all = laidOutAgain(cart);
    const crowded = withPositions(all, [['remind', { x: 0, y: NODE_HEIGHT.entry + 56 }]]);
    const { definition, id } = addStep(crowded, 'wait');
    const graph = placeGraph(toGraph(definition), definition);
    const added = graph.nodes.find((n) => n.id === id)!;
    for (const other of graph.nodes) if (other !== added) assert.ok(!covers(added, other) && !covers(other, added), `${id} covers ${other.id}`);
  });

  test('positions the layout cannot use are not used: a step that does not exist, a coordinate that is not a number', () => {
    const odd = { ...cart, layout: { entry: { x: 'left', y: 0 }, nodes: { gone: { x: 1, y: 2 }, remind: { x: 5 } } } };
    assert.equal(storedPositions(odd).size, 0);
    assert.deepEqual(placeGraph(toGraph(odd), odd).nodes.map((n) => n.position), toGraph(odd).nodes.map((n) => n.position));
  });

  test('the layout button stores the automatic layout of the entry and every step, which the server accepts', () => {
    const stale = withPositions(cart, [['remind', { x: 9999, y: 9999 }]]);
    const again = laidOutAgain(stale);
    const auto = toGraph(cart).nodes;
    assert.deepEqual(again.layout, { entry: auto[0]!.position, nodes: Object.fromEntries(auto.slice(1).map((n) => [n.id, { x: Math.round(n.position.x), y: Math.round(n.position.y) }])) });
    assert.doesNotThrow(() => parseJourneyDefinition(again));
  });

  test('the layout goes through every edit: carried by the graph, its step’s position removed or renamed with it, left alone by the entry card', () => {
    const placed = laidOutAgain(cart);
    assert.equal(JSON.stringify(fromGraph(toGraph(placed))), JSON.stringify(placed));
    const nodesOf = (def: Json) => Object.keys((def.layout as { nodes: Json }).nodes);
    assert.deepEqual(nodesOf(remove(placed, { nodes: ['remind'] })), ['wait_order', 'done']);
    assert.deepEqual(nodesOf(remove(placed, { edges: [toGraph(placed).edges[0]!.id] })), ['wait_order', 'remind', 'done'], 'removing a link keeps every position');
    const renamed = renameStep(placed, 'remind', 'nudge');
    assert.deepEqual((renamed.layout as { nodes: Json }).nodes.nudge, (placed.layout as { nodes: Json }).nodes.remind);
    assert.deepEqual(nodesOf(renamed).sort(), ['done', 'nudge', 'wait_order']);
    assert.doesNotThrow(() => parseJourneyDefinition(renamed));
    const { start: _, nodes: __, layout: ___, ...settings } = placed;
    assert.deepEqual(updateSettings(placed, { ...settings, holdout: 0.2 }).layout, placed.layout);
  });
});
