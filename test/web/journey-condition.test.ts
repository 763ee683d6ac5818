import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { parseSegmentDefinition, segmentCatalogue, type SegmentCatalogue } from '../../src/segment/index.ts';
import { readCondition } from '../../web/src/pages/segments/read-condition.ts';
import { isReadableExits } from '../../web/src/pages/journeys/forms.ts';
import { toDefinition } from '../../web/src/pages/segments/definition.ts';
import { withStore } from '../helpers/backends.ts';

// A journey's condition opens in the segment builder's visual editor only when the editor shows all of it as it is
// (web/src/pages/segments/read-condition.ts); otherwise it stays JSON, and the part it cannot show is named.

let catalogue: SegmentCatalogue;
before(() => withStore('duckdb', async (store) => void (catalogue = await segmentCatalogue(store))));

describe('a condition in the visual editor', () => {
  const shown: [string, unknown, unknown][] = [
    ['a single field test, written back as a group of one', { field: 'stage', op: 'in', value: ['dormant', 'churned'] }, { all: [{ field: 'stage', op: 'in', value: ['dormant', 'churned'] }] }],
    ['groups, a negated group and a negated test', { all: [{ attribute: 'orders_lifetime', op: '>=', value: 2 }, { not: { any: [{ tag: 'vip', op: 'exists' }, { not: { field: 'city', op: '=', value: '上海' } }] } }] }, undefined],
    ['a tag without its default op, an event count with an empty where', { any: [{ tag: 'vip' }, { event: 'Order Completed', where: [], aggregate: 'count', within_days: 30, op: '>=', value: 1 }] }, { any: [{ tag: 'vip', op: 'exists' }, { event: 'Order Completed', within_days: 30, op: '>=', value: 1 }] }],
    ['a double negation', { not: { not: { trait: 'city', op: 'contains', value: '京' } } }, { all: [{ trait: 'city', op: 'contains', value: '京' }] }],
    ['a row not filled in yet (no value)', { all: [{ field: 'stage', op: 'in', value: ['dormant'] }, { field: 'city', op: '=' }] }, undefined],
    ['an event sum', { all: [{ event: 'Order Completed', aggregate: 'sum', property: 'total', within_days: 90, op: '>', value: 500 }] }, undefined],
  ];
  for (const [title, condition, written] of shown) {
    test(`shown: ${title}`, () => {
      const reading = readCondition(condition, catalogue);
      assert.ok('group' in reading, JSON.stringify(reading));
      // As saved: JSON (a field left undefined is no field).
      const back = JSON.parse(JSON.stringify(toDefinition(reading.group))) as unknown;
      assert.deepEqual(back, written ?? condition);
      assert.doesNotThrow(() => parseSegmentDefinition(back));
    });
  }

  const refused: [string, unknown, string][] = [
    ['a reachable condition', { all: [{ field: 'stage', op: 'in', value: ['dormant'] }, { reachable: 'sms' }] }, 'all[1]'],
    ['a consent condition, nested', { any: [{ all: [{ tag: 'vip' }, { consent: 'marketing' }] }] }, 'any[0].all[1]'],
    ['an event with property filters', { event: 'Order Completed', where: [{ property: 'total', op: '>', value: 100 }], within_days: 30, op: '>=', value: 1 }, ''],
    ['an event average', { all: [{ event: 'Order Completed', aggregate: 'avg', property: 'total', within_days: 30, op: '>', value: 100 }] }, 'all[0]'],
    ['an event count with a property the count ignores', { all: [{ event: 'Order Completed', property: 'total', within_days: 30, op: '>', value: 1 }] }, 'all[0]'],
    ['a numeric trait (the trait input takes text)', { all: [{ trait: 'age', op: '>=', value: 30 }] }, 'all[0]'],
    ['a text value on a number attribute', { all: [{ attribute: 'orders_lifetime', op: '=', value: '2' }] }, 'all[0]'],
    ['a single value on a list operator', { all: [{ field: 'stage', op: 'in', value: 'dormant' }] }, 'all[0]'],
    ['an operator the field does not offer', { all: [{ field: 'stage', op: '>', value: 'dormant' }] }, 'all[0]'],
    ['a value on an operator that takes none', { all: [{ field: 'city', op: 'exists', value: '上海' }] }, 'all[0]'],
    ['a key the builder does not write', { all: [{ field: 'stage', op: 'in', value: ['dormant'], note: 'keep me' }] }, 'all[0]'],
    ['a group with a second key', { all: [{ tag: 'vip' }], any: [{ tag: 'new' }] }, ''],
    ['a negated list', { not: [{ tag: 'vip' }] }, 'not'],
    ['not an object', 'stage = dormant', ''],
    ['nothing yet', undefined, ''],
  ];
  for (const [title, condition, path] of refused) {
    test(`stays JSON, naming the part: ${title}`, () => assert.deepEqual(readCondition(condition, catalogue), { path }));
  }
});

describe('the exit criteria list', () => {
  const cases: [string, unknown, boolean][] = [
    ['none', undefined, true],
    ['an event with filters and a condition', [{ kind: 'event', event: 'Unsubscribed', where: [] }, { kind: 'condition', condition: { tag: 'vip' } }], true],
    ['a criterion with a field of the other kind', [{ kind: 'event', event: 'x', condition: { tag: 'vip' } }], false],
    ['a kind the list does not know', [{ kind: 'timer' }], false],
    ['an event name that is not text', [{ kind: 'event', event: 42 }], false],
    ['not a list', { kind: 'event', event: 'x' }, false],
  ];
  for (const [title, exits, readable] of cases) test(`${readable ? 'shown as a list' : 'stays JSON'}: ${title}`, () => assert.equal(isReadableExits(exits), readable));
});
