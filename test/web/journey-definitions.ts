// Journey definitions the console's journey tests share: the demo's three and one with a step of every kind.
import { demoJourneys } from '../../src/demo/journeys.ts';

/** A definition with a step of every kind, which the server accepts. */
export const EVERY_KIND = {
  entry: { kind: 'segment', segment: '沉睡高价值' },
  reentry: { kind: 'after_days', days: 30 },
  holdout: 0.05,
  priority: 70,
  goal: { event: 'Order Completed', where: [{ property: 'total', op: '>=', value: 100 }], within_days: 14, revenue_property: 'total' },
  exits: [{ kind: 'event', event: 'Unsubscribed' }, { kind: 'condition', condition: { tag: 'do_not_disturb', op: 'exists' } }],
  start: 'cool_off',
  nodes: {
    cool_off: { kind: 'wait', duration: '3d', next: 'watch' },
    watch: { kind: 'wait_for_event', event: 'Product Viewed', where: [{ property: 'category', op: 'in', value: ['skin', 'hair'] }], timeout: '2d', on_event: 'check', on_timeout: 'morning' },
    morning: { kind: 'wait', until_time: '09:30', next: 'check' },
    check: { kind: 'condition', condition: { all: [{ field: 'stage', op: 'in', value: ['dormant', 'churned'] }, { attribute: 'orders_lifetime', op: '>=', value: 2 }] }, then: 'wording', else: 'tag' },
    wording: { kind: 'split', variants: [{ name: 'A', weight: 1, next: 'sms' }, { name: 'B', weight: 1, next: 'coupon' }, { name: 'C', weight: 2, next: 'points' }] },
    sms: { kind: 'message', channel: 'sms', content: { body: '{{ customer.name }}，好久不见', template: 'winback_a', params: { name: '{{ customer.name }}' } }, fallback: 'email', transactional: false, next: 'notify' },
    coupon: { kind: 'coupon', offer: 'winback-20', next: 'notify' },
    points: { kind: 'points', points: 200, reason: '回归礼', immediate: false, next: 'notify' },
    tag: { kind: 'update', add_tags: ['winback'], remove_tags: ['active'], set_traits: { winback_at: '2026-11-01', tries: 1, vip: true, note: null }, next: 'notify' },
    notify: { kind: 'webhook', url: 'https://crm.example.com/hooks/winback', next: 'done' },
    done: { kind: 'exit' },
  },
};

/** The demo's three journeys and the one with every kind of step, by name. */
export const definitions: [string, Record<string, unknown>][] = [...demoJourneys('http://127.0.0.1:9/messages').map((j): [string, Record<string, unknown>] => [j.id, j.definition as Record<string, unknown>]), ['every kind of step', EVERY_KIND]];
