// The 1M-customer CSV that the import benchmarks share: written once under bench/data, then reused.
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';

/** Writes `n` customers (id, phone, email, name, gender, birthday, city, registered_at, channel) to `path` unless it exists. */
export async function ensureCustomersFile(path: string, n: number): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(`${path}.partial`);
  const surnames = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
  const given = ['芳', '伟', '娜', '秀英', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀兰', '霞'];
  const cities = ['上海', '北京', '广州', '深圳', '杭州', '成都', '武汉', '南京'];
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  out.write('customer_id,phone,email,name,gender,birthday,city,registered_at,channel\n');
  let chunk = '';
  for (let i = 1; i <= n; i++) {
    const id = `M${String(i).padStart(8, '0')}`;
    const phone = `13${String(100_000_000 + Math.floor(next() * 899_999_999)).slice(0, 9)}`;
    const name = surnames[Math.floor(next() * surnames.length)]! + given[Math.floor(next() * given.length)]!;
    const birthday = new Date(Date.UTC(1960, 0, 1) + Math.floor(next() * 45 * 365) * 86_400_000).toISOString().slice(0, 10);
    chunk += `${id},${phone},user${i}@example.com,${name},${next() < 0.6 ? 'f' : 'm'},${birthday},${cities[Math.floor(next() * cities.length)]},2024-01-01 08:00:00,小程序商城\n`;
    if (i % 50_000 === 0) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  renameSync(`${path}.partial`, path);
}
