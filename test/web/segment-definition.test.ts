import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSegmentDefinition } from '../../src/segment/index.ts';
import { fromDefinition, newCondition, newGroup, toDefinition } from '../../web/src/pages/segments/definition.ts';

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
