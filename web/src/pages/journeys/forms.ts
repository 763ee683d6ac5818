// The side panel's forms and the journey: a step's or the entry's form values from the definition, and back. Pure, so
// test/web checks that opening a form and changing nothing changes nothing.
import { NEW_STEP } from './edits.ts';
import { isObject, type StepKind } from './graph.ts';

type Json = Record<string, unknown>;

// Variables a message may use (docs/journeys.md), shown as they are written: not words to translate.
export const LIQUID_EXAMPLES = '{{ customer.name }}, {{ recommendations[0].name }}, {{ context.coupon_code }}';

export const CHANNELS = ['sms', 'email', 'wecom', 'miniprogram', 'webhook'] as const;
export const WAIT_MODES = ['duration', 'until_time', 'until_date', 'until_trait'] as const;
type WaitMode = (typeof WAIT_MODES)[number];

/** An optional field left empty is no field at all. */
export const optional = (value: unknown) => (value === '' || value === null ? undefined : value);

/** The object with the patch applied: fields keep their place, an undefined value removes one, new ones go last. */
export function assign(base: unknown, patch: Json): Json {
  const from = isObject(base) ? base : {};
  const out: Json = {};
  for (const [key, value] of Object.entries(from)) {
    if (!(key in patch)) out[key] = value;
    else if (patch[key] !== undefined) out[key] = patch[key];
  }
  for (const [key, value] of Object.entries(patch)) if (!(key in from) && value !== undefined) out[key] = value;
  return out;
}

/** A switch left at the schema's default adds nothing to a step that did not say it. */
const unlessDefault = (value: unknown, old: unknown, fallback: boolean) => (value === undefined || (value === fallback && old === undefined) ? undefined : value);

/** The form's values for a step: its own fields (links are edited on the canvas), a wait's target as mode and value. */
export function formValuesOf(step: Json): Json {
  if (step.kind === 'wait') {
    const mode = WAIT_MODES.find((m) => step[m] !== undefined) ?? 'duration';
    return { mode, target: step[mode] };
  }
  if (step.kind === 'message') return { ...step, transactional: step.transactional ?? false };
  if (step.kind === 'points') return { ...step, immediate: step.immediate ?? true };
  return step;
}

/** The step the form's values make, from the step as it was (fields the form does not edit are kept). */
export function stepFromForm(kind: StepKind, values: Json, old: Json): Json {
  switch (kind) {
    case 'wait': {
      const mode = (values.mode as WaitMode | undefined) ?? 'duration';
      return assign(old, { ...Object.fromEntries(WAIT_MODES.map((m) => [m, undefined])), [mode]: values.target ?? '' });
    }
    case 'wait_for_event':
      return assign(old, { event: values.event ?? '', where: optional(values.where), timeout: values.timeout ?? '' });
    case 'condition':
      return assign(old, { condition: values.condition });
    case 'split':
      return assign(old, { variants: ((values.variants as Json[] | undefined) ?? []).map((v) => assign(v, { name: v?.name ?? '', weight: v?.weight ?? undefined, next: optional(v?.next) })) });
    case 'message': {
      const content = isObject(values.content) ? values.content : {};
      return assign(old, {
        channel: values.channel,
        content: assign(old.content, { subject: optional(content.subject), body: content.body ?? '', template: optional(content.template), params: optional(content.params) }),
        fallback: optional(values.fallback),
        transactional: unlessDefault(values.transactional, old.transactional, false),
      });
    }
    case 'update':
      return assign(old, { add_tags: values.add_tags ?? [], remove_tags: optional(values.remove_tags), set_traits: optional(values.set_traits) });
    case 'webhook':
      return assign(old, { url: values.url ?? '' });
    case 'coupon':
      return assign(old, { offer: values.offer ?? '' });
    case 'points':
      return assign(old, { points: optional(values.points), reason: optional(values.reason), immediate: unlessDefault(values.immediate, old.immediate, true) });
    case 'exit':
      return old;
  }
}

export const ENTRY_KINDS = ['event', 'segment', 'broadcast', 'api'] as const;
export const REENTRY_KINDS = ['once', 'after_exit', 'after_days'] as const;
/** The fields each kind of entry has (src/journey/schemas.ts Entry): a change of kind keeps only these. */
const ENTRY_FIELDS: Record<string, string[]> = { event: ['event', 'where'], segment: ['segment'], broadcast: ['segment', 'at', 'cron'], api: [] };


/** The entry panel's form values for a definition (the holdout as a percentage, whether there is a goal). */
export function entryFormValues(definition: Json): Json {
  const goal = isObject(definition.goal) ? definition.goal : undefined;
  return {
    entry: definition.entry,
    reentry: definition.reentry ?? { kind: 'once' },
    holdoutPercent: typeof definition.holdout === 'number' ? Math.round(definition.holdout * 1000) / 10 : undefined,
    priority: definition.priority,
    hasGoal: goal !== undefined,
    goal,
    exits: definition.exits,
  };
}

/** The settings the form's values make, from the definition as it was (fields the form does not edit are kept). */
export function settingsFromForm(values: Json, definition: Json): Json {
  const entryValues = isObject(values.entry) ? values.entry : {};
  const kind = String(entryValues.kind ?? '');
  const oldEntry = isObject(definition.entry) ? definition.entry : {};
  const entry = assign(oldEntry.kind === kind ? oldEntry : { kind }, Object.fromEntries((ENTRY_FIELDS[kind] ?? []).map((f) => [f, optional(entryValues[f])])));
  const reentryValues = isObject(values.reentry) ? values.reentry : {};
  const reentry = reentryValues.kind === 'after_days' ? { kind: 'after_days', days: reentryValues.days ?? 30 } : { kind: reentryValues.kind ?? 'once' };
  const goalValues = isObject(values.goal) ? values.goal : {};
  const goal = values.hasGoal ? assign(definition.goal, { event: goalValues.event ?? 'Order Completed', where: optional(goalValues.where), within_days: goalValues.within_days ?? 30, revenue_property: optional(goalValues.revenue_property) }) : undefined;
  const { start: _, nodes: __, ...settings } = definition;
  return assign(settings, {
    entry,
    reentry: definition.reentry === undefined && reentry.kind === 'once' ? undefined : reentry,
    holdout: typeof values.holdoutPercent === 'number' ? values.holdoutPercent / 100 : undefined,
    priority: optional(values.priority),
    goal,
    exits: optional(values.exits),
  });
}

export const EXIT_KINDS = ['event', 'condition'] as const;
export type ExitKind = (typeof EXIT_KINDS)[number];
/** The fields of each kind of exit criterion (src/journey/schemas.ts ExitCriterion). */
const EXIT_FIELDS: Record<ExitKind, string[]> = { event: ['kind', 'event', 'where'], condition: ['kind', 'condition'] };
/** A new exit criterion of each kind. */
export const NEW_EXIT: Record<ExitKind, () => Json> = {
  event: () => ({ kind: 'event', event: 'Order Completed' }),
  condition: () => ({ kind: 'condition', condition: NEW_STEP.condition().condition }),
};

const isExitKind = (kind: unknown): kind is ExitKind => (EXIT_KINDS as readonly unknown[]).includes(kind);

/** Whether the exits list shows every criterion whole: each an event or a condition, with only the fields its kind has. */
export const isReadableExits = (value: unknown): value is Json[] | undefined =>
  value === undefined ||
  (Array.isArray(value) && value.every((e) => isObject(e) && isExitKind(e.kind) && Object.keys(e).every((k) => EXIT_FIELDS[e.kind as ExitKind].includes(k)) && (e.event === undefined || typeof e.event === 'string')));
