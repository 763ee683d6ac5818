import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJourneyDefinition, successors, type JourneyNode } from '../../src/journey/index.ts';
import { addStep, connect, linksOf, remove, renameStep, updateSettings, updateStep } from '../../web/src/pages/journeys/edits.ts';
import { ENTRY_ID, fromGraph, STEP_KINDS, toGraph, type GraphNode } from '../../web/src/pages/journeys/graph.ts';
import { definitions, EVERY_KIND } from './journey-definitions.ts';

// The canvas shows toGraph(definition) and turns every edit back with fromGraph (web/src/pages/journeys/graph.ts):
// the two must be inverses, and the graph's links must be the ones the server follows.


describe('definition → graph → definition', () => {
  test('the definition with every kind of step is one the server accepts, and uses every kind', () => {
    assert.doesNotThrow(() => parseJourneyDefinition(EVERY_KIND));
    assert.deepEqual(new Set(Object.values(EVERY_KIND.nodes).map((n) => n.kind)), new Set(STEP_KINDS));
  });

  for (const [name, definition] of definitions) {
    test(`${name}: comes back unchanged, to the order of its fields`, () => {
      const back = fromGraph(toGraph(definition));
      assert.deepEqual(back, definition);
      assert.equal(JSON.stringify(back), JSON.stringify(definition));
    });

    test(`${name}: one node per step plus the entry, and one edge per link the server follows, named by its branch`, () => {
      const graph = toGraph(definition);
      const parsed = parseJourneyDefinition(definition);
      assert.deepEqual(graph.nodes.map((n) => n.id).sort(), [ENTRY_ID, ...Object.keys(parsed.nodes)].sort());
      const links = graph.edges.filter((e) => e.source !== ENTRY_ID).map((e) => `${e.source}→${e.target}`).sort();
      const expected = Object.entries(parsed.nodes).flatMap(([id, node]) => successors(node as JourneyNode).map((s) => `${id}→${s.id}`)).sort();
      assert.deepEqual(links, expected);
      assert.deepEqual(graph.edges.filter((e) => e.source === ENTRY_ID).map((e) => e.target), [parsed.start]);
      assert.ok(graph.nodes.every((n) => n.data.role !== 'step' || n.data.isReachable), 'every step is reachable');
    });

    test(`${name}: laid out top to bottom, every link going down, no two nodes on top of each other`, () => {
      const { nodes, edges } = toGraph(definition);
      const at = new Map(nodes.map((n) => [n.id, n.position]));
      for (const e of edges) assert.ok(at.get(e.target)!.y > at.get(e.source)!.y, `${e.source} above ${e.target}`);
      const overlapping = (a: GraphNode, b: GraphNode) => Math.abs(a.position.x - b.position.x) < 240 && Math.abs(a.position.y - b.position.y) < 84;
      for (const [i, a] of nodes.entries()) for (const b of nodes.slice(i + 1)) assert.ok(!overlapping(a, b), `${a.id} and ${b.id} overlap`);
    });
  }
});

describe('the graph of a draft the server would refuse', () => {
  test('a link to a step that does not exist goes to a node of its own, and comes back as it was', () => {
    const draft = { entry: { kind: 'api' }, start: 'remind', nodes: { remind: { kind: 'message', channel: 'sms', content: { body: 'x' }, next: 'gone' }, orphan: { kind: 'exit' } } };
    const graph = toGraph(draft);
    const missing = graph.nodes.find((n) => n.type === 'missing');
    assert.deepEqual(missing?.data, { role: 'missing', name: 'gone' });
    assert.deepEqual(graph.edges.find((e) => e.source === 'remind')?.target, missing?.id);
    const orphan = graph.nodes.find((n) => n.id === 'orphan');
    assert.equal(orphan?.data.role === 'step' && orphan.data.isReachable, false, 'a step nothing leads to is marked unreachable');
    assert.deepEqual(fromGraph(graph), draft);
  });

  test('fields the canvas does not model, links that are not text and steps that are not objects are carried through', () => {
    const draft = { nodes: { a: { kind: 'wait', next: 7, extra: { keep: true } }, b: 'not a step', c: { kind: 'teleport', next: 'a', then: 'b' } }, entry: null, unknown_field: [1, 2] };
    const graph = toGraph(draft);
    assert.deepEqual(graph.edges.map((e) => `${e.source}:${e.sourceHandle}→${e.target}`).sort(), ['c:next→a', 'c:then→b']);
    assert.deepEqual(fromGraph(graph), draft);
  });
});

describe('editing on the canvas', () => {
  test('add a wait and a message, link them between the entry and the exit, fill them in: a definition the server accepts', () => {
    let def: Record<string, unknown> = { entry: { kind: 'event', event: 'Product Added' }, start: 'done', nodes: { done: { kind: 'exit' } } };
    const wait = addStep(def, 'wait');
    const message = addStep(wait.definition, 'message');
    assert.deepEqual([wait.id, message.id], ['wait_1', 'message_1']);
    def = connect(message.definition, { source: ENTRY_ID, sourceHandle: 'start', target: 'wait_1' });
    def = connect(def, { source: 'wait_1', sourceHandle: 'next', target: 'message_1' });
    def = connect(def, { source: 'message_1', sourceHandle: 'next', target: 'done' });
    assert.throws(() => parseJourneyDefinition(def), (e: Error & { details?: { path: string }[] }) => e.details?.some((d) => d.path === 'nodes.message_1.content.body') === true, 'the empty body is a problem on its step');
    def = updateStep(def, 'message_1', { kind: 'message', channel: 'sms', content: { body: '购物车里的商品还在等您' }, next: 'done' });
    def = updateStep(def, 'wait_1', { kind: 'wait', duration: '3d', next: 'message_1' });
    assert.deepEqual(def, {
      entry: { kind: 'event', event: 'Product Added' },
      start: 'wait_1',
      nodes: { done: { kind: 'exit' }, wait_1: { kind: 'wait', duration: '3d', next: 'message_1' }, message_1: { kind: 'message', channel: 'sms', content: { body: '购物车里的商品还在等您' }, next: 'done' } },
    });
    assert.doesNotThrow(() => parseJourneyDefinition(def));
    assert.deepEqual(linksOf(def, 'wait_1'), [{ handle: 'next', target: 'message_1' }]);
  });

  test('connecting a handle again replaces its link; a split links each arm; a step may not link to itself or to the entry', () => {
    const base = { entry: { kind: 'api' }, start: 'ab', nodes: { ab: { kind: 'split', variants: [{ name: 'A', weight: 1 }, { name: 'B', weight: 3 }] }, x: { kind: 'exit' }, y: { kind: 'exit' } } };
    let def = connect(base, { source: 'ab', sourceHandle: 'variant:0', target: 'x' });
    def = connect(def, { source: 'ab', sourceHandle: 'variant:1', target: 'x' });
    def = connect(def, { source: 'ab', sourceHandle: 'variant:1', target: 'y' });
    assert.deepEqual((def.nodes as Record<string, unknown>).ab, { kind: 'split', variants: [{ name: 'A', weight: 1, next: 'x' }, { name: 'B', weight: 3, next: 'y' }] });
    assert.equal(connect(def, { source: 'x', sourceHandle: 'next', target: 'x' }), def);
    assert.equal(connect(def, { source: 'ab', sourceHandle: 'variant:0', target: ENTRY_ID }), def);
    assert.doesNotThrow(() => parseJourneyDefinition(def));
  });

  test('removing a step removes the links to it; removing an edge removes that link only; the entry stays', () => {
    const [, winBack] = definitions[2]!;
    const def = remove(winBack, { nodes: ['send_a', ENTRY_ID] });
    const nodes = def.nodes as Record<string, { variants?: unknown }>;
    assert.deepEqual(Object.keys(nodes), ['wording', 'send_b', 'done']);
    assert.deepEqual(nodes.wording?.variants, [{ name: 'A', weight: 1 }, { name: 'B', weight: 1, next: 'send_b' }]);
    const noStart = remove(winBack, { edges: [toGraph(winBack).edges.find((e) => e.source === ENTRY_ID)!.id] });
    assert.equal('start' in noStart, false);
    assert.deepEqual(noStart.entry, winBack.entry);
  });

  test('renaming a step renames every link to it and start, keeping its place; a taken name is refused', () => {
    const [, cart] = definitions[1]!;
    const def = renameStep(cart, 'done', 'finish');
    assert.deepEqual(Object.keys(def.nodes as object), ['wait_order', 'remind', 'finish']);
    assert.deepEqual(linksOf(def, 'wait_order'), [{ handle: 'on_event', target: 'finish' }, { handle: 'on_timeout', target: 'remind' }]);
    assert.equal(renameStep(def, 'remind', 'finish'), def);
    assert.equal(renameStep(cart, 'wait_order', 'start_here').start, 'start_here');
  });

  test('the entry card edits every setting but start and nodes, keeping their order', () => {
    const [, welcome] = definitions[0]!;
    const def = updateSettings(welcome, { entry: { kind: 'api' }, holdout: 0.2, goal: welcome.goal, reentry: { kind: 'after_exit' } });
    assert.deepEqual(Object.keys(def), ['entry', 'holdout', 'goal', 'start', 'nodes', 'reentry']);
    assert.equal(def.start, welcome.start);
    assert.deepEqual(def.nodes, welcome.nodes);
  });
});
