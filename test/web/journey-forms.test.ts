import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJourneyDefinition } from '../../src/journey/index.ts';
import { updateSettings } from '../../web/src/pages/journeys/edits.ts';
import { entryFormValues, formValuesOf, settingsFromForm, stepFromForm } from '../../web/src/pages/journeys/forms.ts';
import { isStepKind } from '../../web/src/pages/journeys/graph.ts';
import { definitions } from './journey-definitions.ts';

// The canvas's side panel edits a step or the entry through antd forms (web/src/pages/journeys/forms.ts): opening a
// form and changing nothing must leave the definition as it was, and a change must touch only what it names.

type Json = Record<string, unknown>;

describe('a step’s form', () => {
  for (const [name, definition] of definitions) {
    test(`${name}: every step comes back from its form unchanged, to the order of its fields`, () => {
      for (const [id, step] of Object.entries(definition.nodes as Record<string, Json>)) {
        assert.ok(isStepKind(step.kind));
        const back = stepFromForm(step.kind, formValuesOf(step), step);
        assert.equal(JSON.stringify(back), JSON.stringify(step), id);
      }
    });
  }

  test('a wait changed from a duration to a time of day keeps its link and has one target', () => {
    const step = { kind: 'wait', duration: '3d', next: 'x' };
    assert.deepEqual(stepFromForm('wait', { ...formValuesOf(step), mode: 'until_time', target: '09:30' }, step), { kind: 'wait', next: 'x', until_time: '09:30' });
  });

  test('an optional field emptied is removed, a required one stays empty for the server to name, a switch at its default adds nothing', () => {
    const message = { kind: 'message', channel: 'email', content: { subject: '你好', body: '正文' }, next: 'x' };
    const values = formValuesOf(message) as { content: Json };
    assert.deepEqual(stepFromForm('message', { ...values, content: { ...values.content, subject: '', body: '' } }, message), { kind: 'message', channel: 'email', content: { body: '' }, next: 'x' });
    const points = { kind: 'points', points: 100 };
    assert.deepEqual(formValuesOf(points), { kind: 'points', points: 100, immediate: true }, 'the switch shows the default');
    assert.deepEqual(stepFromForm('points', { ...formValuesOf(points), points: 300 }, points), { kind: 'points', points: 300 });
    assert.deepEqual(stepFromForm('points', { ...formValuesOf(points), immediate: false }, points), { kind: 'points', points: 100, immediate: false });
  });

  test('a split arm removed takes its link with it; one added has none yet', () => {
    const split = { kind: 'split', variants: [{ name: 'A', weight: 1, next: 'a' }, { name: 'B', weight: 1, next: 'b' }, { name: 'C', weight: 1, next: 'c' }] };
    const variants = (formValuesOf(split).variants as Json[]).filter((v) => v.name !== 'B');
    assert.deepEqual(stepFromForm('split', { variants: [...variants, { name: 'D', weight: 2 }] }, split), {
      kind: 'split',
      variants: [{ name: 'A', weight: 1, next: 'a' }, { name: 'C', weight: 1, next: 'c' }, { name: 'D', weight: 2 }],
    });
  });
});

describe('the entry card’s form', () => {
  for (const [name, definition] of definitions) {
    test(`${name}: the settings come back from the form unchanged`, () => {
      const back = updateSettings(definition, settingsFromForm(entryFormValues(definition), definition));
      assert.equal(JSON.stringify(back), JSON.stringify(definition));
    });
  }

  test('a new kind of entry keeps only its own fields; the holdout is a percentage; a goal switched off is removed', () => {
    const [, winBack] = definitions[2]!;
    const values = entryFormValues(winBack);
    assert.equal(values.holdoutPercent, 10);
    const next = updateSettings(winBack, settingsFromForm({ ...values, entry: { ...(values.entry as Json), kind: 'segment', segment: '沉睡高价值' }, holdoutPercent: 25, hasGoal: false }, winBack));
    assert.deepEqual(next.entry, { kind: 'segment', segment: '沉睡高价值' });
    assert.equal(next.holdout, 0.25);
    assert.equal('goal' in next, false);
    assert.doesNotThrow(() => parseJourneyDefinition(next));
  });
});
