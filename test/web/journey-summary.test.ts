import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import i18next from 'i18next';
import { createFormatter } from '../../web/src/components/format.ts';
import { entrySummary, stepSummary, type Translate } from '../../web/src/pages/journeys/summary.ts';

// The one line each canvas node shows, in both languages, from the console's own strings (web/src/i18n).

const read = (name: string) => JSON.parse(readFileSync(`web/src/i18n/${name}`, 'utf8')) as Record<string, unknown>;

async function translator(language: 'zh-CN' | 'en'): Promise<Translate> {
  const instance = i18next.createInstance();
  await instance.init({ lng: language, fallbackLng: false, resources: { [language]: { translation: { ...read(`${language}.json`), ...read(`console.${language}.json`) } } }, interpolation: { escapeValue: false } });
  return (key, values) => instance.t(key, values ?? {}) as string;
}

const STEPS: [title: string, step: unknown, zh: string, en: string][] = [
  ['a wait of days', { kind: 'wait', duration: '3d', next: 'x' }, '等待 3 天', 'Wait 3 days'],
  ['a wait of one hour', { kind: 'wait', duration: '1h', next: 'x' }, '等待 1 小时', 'Wait 1 hour'],
  ['a wait until a time of day', { kind: 'wait', until_time: '09:30', next: 'x' }, '等到 09:30（客户当地时间）', 'Wait until 09:30 (customer\'s time)'],
  ['a wait until a birthday', { kind: 'wait', until_trait: 'birthday', next: 'x' }, '等到 birthday 的下一个周年日', 'Wait until the next anniversary of birthday'],
  ['a wait for an event', { kind: 'wait_for_event', event: 'Order Completed', timeout: '1h', on_event: 'a', on_timeout: 'b' }, '等待 Order Completed，最多 1 小时', 'Wait for Order Completed, at most 1 hour'],
  ['a condition', { kind: 'condition', condition: { field: 'stage', op: 'in', value: ['dormant', 'churned'] }, then: 'a', else: 'b' }, '条件：stage in dormant, churned', 'If stage in dormant, churned'],
  ['a condition of several tests', { kind: 'condition', condition: { all: [{ tag: 'vip', op: 'exists' }, { field: 'tier', op: '=', value: 'head' }] }, then: 'a', else: 'b' }, '条件：同时满足 2 个条件', 'If all of 2 conditions'],
  ['an A/B split', { kind: 'split', variants: [{ name: 'A', weight: 1, next: 'a' }, { name: 'B', weight: 1, next: 'b' }] }, 'A/B 50/50', 'A/B 50/50'],
  ['a three-way split', { kind: 'split', variants: [{ name: 'A', weight: 1 }, { name: 'B', weight: 1 }, { name: 'C', weight: 2 }] }, 'A/B/C 25/25/50', 'A/B/C 25/25/50'],
  ['an SMS template', { kind: 'message', channel: 'sms', content: { body: '好久不见', template: 'winback_a' }, next: 'x' }, '短信：模板 winback_a', 'SMS: template winback_a'],
  ['a message without text', { kind: 'message', channel: 'email', content: { body: '' }, next: 'x' }, '邮件：（正文未填）', 'Email: (no text yet)'],
  ['tags and traits', { kind: 'update', add_tags: ['winback'], remove_tags: ['active'], set_traits: { vip: true }, next: 'x' }, '更新：+winback −active vip=true', 'Update: +winback −active vip=true'],
  ['a webhook', { kind: 'webhook', url: 'https://crm.example.com/hooks/x', next: 'x' }, 'Webhook：crm.example.com', 'Webhook: crm.example.com'],
  ['a coupon', { kind: 'coupon', offer: 'winback-20', next: 'x' }, '发券：winback-20', 'Coupon: winback-20'],
  ['points', { kind: 'points', points: 1200, next: 'x' }, '发放 1,200 积分', 'Award 1,200 points'],
  ['the exit', { kind: 'exit' }, '结束旅程', 'End of the journey'],
  ['a kind the console does not know', { kind: 'teleport' }, '未知步骤类型 teleport', 'Unknown kind of step teleport'],
];

describe('a step’s line on its node', () => {
  for (const [title, step, zh, en] of STEPS) {
    test(`${title}: “${zh}”, “${en}”`, async () => {
      assert.equal(stepSummary(step, await translator('zh-CN'), createFormatter('zh-CN', 'Asia/Shanghai')), zh);
      assert.equal(stepSummary(step, await translator('en'), createFormatter('en', 'Asia/Shanghai')), en);
    });
  }
});

test('the entry card: how customers enter, re-entry, the holdout and the goal, in the brand’s formats', async () => {
  const settings = { entry: { kind: 'event', event: 'Stage Changed', where: [{ property: 'to', op: '=', value: 'dormant' }] }, reentry: { kind: 'after_exit' }, holdout: 0.1, goal: { event: 'Order Completed', within_days: 30 } };
  assert.deepEqual(entrySummary(settings, await translator('zh-CN'), createFormatter('zh-CN', 'Asia/Shanghai')), [
    { label: '进入', value: '事件 Stage Changed (to = dormant)' },
    { label: '再次进入', value: '上一次结束后可再次进入' },
    { label: '对照组', value: '10%' },
    { label: '转化目标', value: '30 天内 Order Completed' },
  ]);
  const broadcast = { entry: { kind: 'broadcast', segment: '沉睡高价值', at: '2026-12-01T02:00:00Z' }, reentry: { kind: 'after_days', days: 7 }, holdout: 0.125, priority: 80, exits: [{ kind: 'event', event: 'Unsubscribed' }] };
  assert.deepEqual(entrySummary(broadcast, await translator('en'), createFormatter('en', 'Asia/Shanghai')), [
    { label: 'Entry', value: 'broadcast to 沉睡高价值, 12/01/2026, 10:00' },
    { label: 'Re-entry', value: 'again 7 days after entering' },
    { label: 'Holdout', value: '12.5%' },
    { label: 'Goal', value: 'none' },
    { label: 'Priority', value: '80' },
    { label: 'Exits', value: '1' },
  ]);
});
