import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';

/**
 * Writes a canonical orders CSV of `rows` rows for the import benchmark, deterministically (a linear congruential
 * generator, not Math.random), unless the file is already there. About 10 orders per customer, two years of dates.
 */
export async function ensureOrdersFile(path: string, rows: number): Promise<string> {
  if (existsSync(path)) return path;
  const tmp = `${path}.partial`;
  mkdirSync(dirname(path), { recursive: true }); // bench/data is not in a fresh clone
  const out = createWriteStream(tmp);
  const channels = ['小程序商城', '天猫旗舰店', '线下门店', '社群团购'];
  const customers = Math.max(1, Math.round(rows / 10));
  const start = Date.UTC(2024, 10, 1);
  let seed = 42;
  const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  out.write('order_id,customer_id,placed_at,total,discount,currency,channel,store_id,status,coupon_code\n');
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    const customer = `M${String(1 + Math.floor(next() * customers)).padStart(8, '0')}`;
    const placed = new Date(start + Math.floor(next() * 730 * 86_400_000)).toISOString().slice(0, 19).replace('T', ' ');
    const total = (9.9 + next() * 400).toFixed(2);
    const hasCoupon = next() < 0.2;
    const channel = channels[Math.floor(next() * channels.length)]!;
    const store = channel === '线下门店' ? `S${String(1 + Math.floor(next() * 60)).padStart(3, '0')}` : '';
    chunk += `SO${String(i).padStart(9, '0')},${customer},${placed},${total},${hasCoupon ? '10.00' : '0'},CNY,${channel},${store},completed,${hasCoupon ? 'NEW10' : ''}\n`;
    if (i % 50_000 === 0) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  renameSync(tmp, path);
  return path;
}
