import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addDays, createFormatter } from '../../web/src/components/format.ts';

test('money comes in fen and is shown in yuan, with 万 and 亿 in Chinese and K and M in English', () => {
  const zh = createFormatter('zh-CN', 'Asia/Shanghai');
  const en = createFormatter('en', 'Asia/Shanghai');
  assert.equal(zh.money(123456), '¥1,234.56');
  assert.equal(zh.moneyCompact(12_345_600), '¥12.3万');
  assert.equal(zh.moneyCompact(2_500_000_000_00), '¥25亿');
  assert.equal(en.moneyCompact(12_345_600), '¥123.5K');
  assert.equal(zh.moneyCompact(99_900), '¥999', 'small sums stay whole');
  assert.equal(zh.countCompact(1_234_567), '123.5万');
  assert.equal(en.countCompact(1_234_567), '1.2M');
  assert.equal(zh.count(9999), '9,999');
  assert.equal(en.percent(0.1234), '12.3%');
  assert.equal(zh.money(null), '—');
});

test('instants are shown in the brand timezone and brand days as they are, whatever the browser zone', () => {
  const shanghai = createFormatter('zh-CN', 'Asia/Shanghai');
  const newYork = createFormatter('en', 'America/New_York');
  // 2026-10-31 20:30 UTC is already Nov 1 in Shanghai and still Oct 31 in New York.
  assert.match(shanghai.dateTime('2026-10-31T20:30:00Z'), /2026\/11\/01 04:30/);
  assert.match(newYork.dateTime('2026-10-31T20:30:00Z'), /10\/31\/2026, 16:30/);
  // Midnight is 00:00 in both languages (en-US with hour12: false said 24:00).
  assert.equal(createFormatter('en', 'Asia/Shanghai').dateTime('2026-05-31T16:00:00Z'), '06/01/2026, 00:00');
  assert.equal(shanghai.dateTime('2026-05-31T16:00:00Z'), '2026/06/01 00:00');
  assert.equal(shanghai.day('2026-10-31'), '2026/10/31');
  assert.equal(newYork.day('2026-10-31'), 'Oct 31, 2026');
  assert.equal(addDays('2026-03-01', -1), '2026-02-28');
});

test('changes are signed: ratios of change as percentages, changes of a ratio in share points', () => {
  const zh = createFormatter('zh-CN', 'Asia/Shanghai');
  assert.equal(zh.signedPercent(0.1234), '+12.3%');
  assert.equal(zh.signedPercent(-0.05), '-5.0%');
  assert.equal(zh.signedPercent(0), '0.0%');
  assert.equal(zh.points(0.012), '+1.2');
  assert.equal(zh.points(-0.0049), '-0.5');
  assert.equal(zh.points(null), '—');
});
