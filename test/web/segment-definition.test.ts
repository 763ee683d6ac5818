import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parseSegmentDefinition, segmentCatalogue, type SegmentCatalogue } from '../../src/segment/index.ts';
import { fromDefinition, newCondition, newGroup, toDefinition } from '../../web/src/pages/segments/definition.ts';
import { conditionToSend, readCondition } from '../../web/src/pages/segments/read-condition.ts';
import { withStore } from '../helpers/backends.ts';

let catalogue: SegmentCatalogue;
before(() => withStore('duckdb', async (store) => void (catalogue = await segmentCatalogue(store))));

test('the builder model makes definitions the server accepts, and reads saved ones back unchanged', () => {
  const stage = { ...newCondition('field'), name: 'stage', op: 'in' as const, value: ['dormant', 'churned'] };
  const views = { ...newCondition('event'), name: 'Product Viewed', op: '>=' as const, value: 3, withinDays: 14 };
  const vip = { ...newCondition('tag'), name: 'VIP', op: 'exists' as const, negate: true };
  const spend = { ...newCondition('attribute'), name: 'monetary_365d', op: '>' as const, value: 500 };
  const group = newGroup('all', [stage, newGroup('any', [views, spend]), vip]);
  const definition = toDefinition(group);
  assert.deepEqual(definition, {
    all: [
      { field: 'stage', op: 'in', value: ['dormant', 'churned'] },
      { any: [{ event: 'Product Viewed', within_days: 14, op: '>=', value: 3 }, { attribute: 'monetary_365d', op: '>', value: 500 }] },
      { not: { tag: 'VIP', op: 'exists' } },
    ],
  });
  assert.doesNotThrow(() => parseSegmentDefinition(definition));
  assert.deepEqual(toDefinition(fromDefinition(definition)!), definition);
  assert.deepEqual(toDefinition(fromDefinition({ field: 'tier', op: '=', value: 'head' })!), { all: [{ field: 'tier', op: '=', value: 'head' }] });
  assert.equal(fromDefinition({ event: 'x', where: [{ property: 'a', op: '=', value: 1 }], within_days: 3, op: '>', value: 0 }), undefined, 'event property filters are not in the builder yet');
});

// Saved segments the visual builder reads only in part: the builder page opens them as JSON, naming the part (the same
// check as the journey condition editor's, read-condition.ts), and saves them whole.
const PARTLY: [title: string, definition: unknown, path: string][] = [
  ['an event average', { all: [{ field: 'stage', op: 'in', value: ['active'] }, { event: 'Order Completed', aggregate: 'avg', property: 'total', within_days: 90, op: '>=', value: 200 }] }, 'all[1]'],
  ['a numeric trait', { any: [{ tag: 'vip' }, { all: [{ trait: 'age', op: '>=', value: 30 }] }] }, 'any[1].all[0]'],
  ['event property filters', { all: [{ tag: 'vip' }, { event: 'Order Completed', where: [{ property: 'total', op: '>', value: 100 }], within_days: 30, op: '>=', value: 1 }] }, 'all[1]'],
  ['a reachable condition', { all: [{ tag: 'vip' }, { reachable: 'sms' }] }, 'all[1]'],
];

for (const [title, definition, path] of PARTLY) {
  test(`a saved segment with ${title} opens as JSON naming ${path}, and is saved with every part`, () => {
    assert.doesNotThrow(() => parseSegmentDefinition(definition), 'a definition the server saves');
    assert.deepEqual(readCondition(definition, catalogue), { path });
    assert.equal(conditionToSend(definition, catalogue), definition, 'counted and saved as it is');
  });
}

test('the builder alone would have read those segments with a part changed, or not at all (and saved an empty one over them)', () => {
  const readBack = PARTLY.map(([, definition]) => {
    const group = fromDefinition(definition);
    return group && (JSON.parse(JSON.stringify(toDefinition(group))) as unknown);
  });
  for (const [i, [title, definition]] of PARTLY.entries()) assert.notDeepEqual(readBack[i], definition, title);
  assert.deepEqual(readBack.map((d) => d !== undefined), [true, true, false, false], 'the average and the numeric trait read in part; the rest not at all');
});

test('a definition the builder shows is counted and saved once every row is filled in; JSON is sent as typed', () => {
  const started = toDefinition(newGroup('all', [newCondition('field')]));
  assert.equal(conditionToSend(started, catalogue), undefined, 'a new row without values');
  const filled = { all: [{ field: 'stage', op: 'in', value: ['dormant'] }] };
  assert.equal(conditionToSend(filled, catalogue), filled);
  assert.equal(conditionToSend(undefined, catalogue), undefined);
  // JSON the builder cannot read goes to the server as typed, which names what is wrong with it.
  const typed = { any: 'not a list' };
  assert.equal(conditionToSend(typed, catalogue), typed);
});
