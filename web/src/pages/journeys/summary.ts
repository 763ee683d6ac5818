// One line per step, and a few for the entry card, in the operator's language: what the canvas writes on its nodes
// ("等待 3 天", "短信：模板 winback_a", "A/B 50/50"). Pure, so test/web can check them without a browser.
import type { Formatter } from '../../components/format.ts';
import { isObject } from './graph.ts';

export type Translate = (key: string, values?: Record<string, unknown>) => string;
type Json = Record<string, unknown>;

const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));
const clip = (value: string, length = 24) => (value.length > length ? `${value.slice(0, length - 1)}…` : value);

const DURATION = /^(\d+)\s*(s|m|h|d|w)$/;

/** A duration such as `3d` in words ("3 天", "3 days"); anything else as it was written. */
export function durationText(duration: unknown, t: Translate): string {
  const match = typeof duration === 'string' ? DURATION.exec(duration) : null;
  return match ? t(`journeyCanvas.unit.${match[2]}`, { count: Number(match[1]) }) : text(duration);
}

const valueText = (value: unknown) => (Array.isArray(value) ? value.map(text).join(', ') : text(value));

/** A segment DSL condition, short: a single test as written (`stage in dormant, churned`), groups by their size. */
export function conditionText(condition: unknown, t: Translate): string {
  if (!isObject(condition)) return text(condition);
  if ('not' in condition) return t('journeyCanvas.summary.not', { condition: conditionText(condition.not, t) });
  for (const mode of ['all', 'any'] as const) {
    if (Array.isArray(condition[mode])) {
      const list = condition[mode] as unknown[];
      return list.length === 1 ? conditionText(list[0], t) : t(`journeyCanvas.summary.${mode}`, { count: list.length });
    }
  }
  const name = ['field', 'attribute', 'trait', 'tag', 'event'].map((k) => condition[k]).find((v) => typeof v === 'string');
  if (name === undefined) return clip(JSON.stringify(condition), 40);
  return [name, condition.op, 'value' in condition ? valueText(condition.value) : undefined].filter((p) => p !== undefined).map(text).join(' ');
}

const filtersText = (where: unknown) => (Array.isArray(where) && where.length ? ` (${where.map((w) => (isObject(w) ? `${text(w.property)} ${text(w.op)} ${valueText(w.value)}` : text(w))).join('; ')})` : '');

/** The one line a step's node shows. */
export function stepSummary(step: unknown, t: Translate, format: Formatter): string {
  if (!isObject(step)) return t('journeyCanvas.summary.invalid');
  const s = (key: string, values?: Record<string, unknown>) => t(`journeyCanvas.summary.${key}`, values);
  switch (step.kind) {
    case 'wait':
      if (step.duration !== undefined) return s('waitFor', { duration: durationText(step.duration, t) });
      if (step.until_time !== undefined) return s('waitUntilTime', { time: text(step.until_time) });
      if (step.until_date !== undefined) return s('waitUntilDate', { date: text(step.until_date) });
      if (step.until_trait !== undefined) return s('waitUntilTrait', { trait: text(step.until_trait) });
      return s('waitUnset');
    case 'wait_for_event':
      return s('waitForEvent', { event: `${text(step.event)}${filtersText(step.where)}`, timeout: durationText(step.timeout, t) });
    case 'condition':
      return s('condition', { condition: clip(conditionText(step.condition, t), 40) });
    case 'split': {
      const variants = (Array.isArray(step.variants) ? step.variants : []).filter(isObject);
      const total = variants.reduce((sum, v) => sum + (typeof v.weight === 'number' ? v.weight : 0), 0);
      const shares = variants.map((v) => (total > 0 && typeof v.weight === 'number' ? Math.round((100 * v.weight) / total) : '?'));
      return `${variants.map((v) => text(v.name)).join('/')} ${shares.join('/')}`;
    }
    case 'message': {
      const channel = t(`journeys.channel.${text(step.channel)}`, { defaultValue: text(step.channel) });
      const content = isObject(step.content) ? step.content : {};
      if (typeof content.template === 'string' && content.template) return s('messageTemplate', { channel, template: content.template });
      if (typeof content.body === 'string' && content.body) return s('messageBody', { channel, body: clip(content.body) });
      return s('messageEmpty', { channel });
    }
    case 'update': {
      const list = (value: unknown) => (Array.isArray(value) ? value.map(text) : []);
      const changes = [...list(step.add_tags).map((tag) => `+${tag}`), ...list(step.remove_tags).map((tag) => `−${tag}`), ...Object.entries(isObject(step.set_traits) ? step.set_traits : {}).map(([k, v]) => `${k}=${text(v)}`)];
      return changes.length ? s('update', { changes: clip(changes.join(' '), 40) }) : s('updateNothing');
    }
    case 'webhook':
      return typeof step.url === 'string' && step.url ? s('webhook', { host: /^[a-z]+:\/\/([^/?#]+)/i.exec(step.url)?.[1] ?? clip(step.url) }) : s('webhookEmpty');
    case 'coupon':
      return typeof step.offer === 'string' && step.offer ? s('coupon', { offer: step.offer }) : s('couponEmpty');
    case 'points':
      return s('points', { points: typeof step.points === 'number' ? format.count(step.points) : text(step.points) });
    case 'exit':
      return s('exit');
    default:
      return s('unknown', { kind: text(step.kind) });
  }
}

/** The entry card's lines: how customers enter, may enter again, the holdout, the goal, the priority and exits. */
export function entrySummary(settings: Json, t: Translate, format: Formatter): { label: string; value: string }[] {
  const s = (key: string, values?: Record<string, unknown>) => t(`journeyCanvas.summary.${key}`, values);
  const entry = isObject(settings.entry) ? settings.entry : {};
  const how = (() => {
    switch (entry.kind) {
      case 'event':
        return s('entryEvent', { event: `${text(entry.event)}${filtersText(entry.where)}` });
      case 'segment':
        return s('entrySegment', { segment: text(entry.segment) });
      case 'broadcast':
        return entry.cron !== undefined ? s('entryCron', { segment: text(entry.segment), cron: text(entry.cron) }) : s('entryAt', { segment: text(entry.segment), at: typeof entry.at === 'string' ? format.dateTime(entry.at) : text(entry.at) });
      case 'api':
        return s('entryApi');
      default:
        return s('entryUnset');
    }
  })();
  const reentry = isObject(settings.reentry) ? settings.reentry : { kind: 'once' };
  const goal = isObject(settings.goal) ? settings.goal : undefined;
  const lines = [
    { label: s('entry'), value: how },
    { label: s('reentry'), value: reentry.kind === 'after_days' ? s('reentryAfterDays', { days: text(reentry.days) }) : t(`journeyCanvas.reentry.${text(reentry.kind)}`, { defaultValue: text(reentry.kind) }) },
    { label: s('holdout'), value: typeof settings.holdout === 'number' ? format.percent(settings.holdout, Number.isInteger(settings.holdout * 100) ? 0 : 1) : s('none') },
    { label: s('goal'), value: goal ? s('goalWithin', { event: `${text(goal.event)}${filtersText(goal.where)}`, days: text(goal.within_days) }) : s('none') },
  ];
  if (settings.priority !== undefined) lines.push({ label: s('priority'), value: text(settings.priority) });
  if (Array.isArray(settings.exits) && settings.exits.length) lines.push({ label: s('exits'), value: s('exitCount', { count: settings.exits.length }) });
  return lines;
}
