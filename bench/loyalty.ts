// Loyalty (issue #21): (1) POST /v1/coupons/validate for a 10-line cart against 200 live offers, sent open-loop at
// --rate requests/s (latency counted from each request's scheduled time, so queueing shows), beside GET /health at the
// same rate as the floor; target p99 ≤ 20 ms at 500/s. (2) Redemptions on one hot budget from --workers concurrent
// callers, exactness checked; target ≥ 500/s on PostgreSQL (--pg). (3) The points expiry job over --entries buckets on
// DuckDB (half of them due), beside a bare aggregation of the same due rows; target 10M in ≤ 10 s.
// Usage: node --import tsx bench/loyalty.ts [--rate 500] [--seconds 4] [--runs 3] [--pg postgres://…] [--redeems 4000] [--workers 16] [--entries 1000000]
//        [--parts validate,budget,expiry] (which of the three to run; all by default)
import { expirePoints, redeemCoupon, upsertOffer } from '../src/loyalty/index.ts';
import { buildServer } from '../src/server/index.ts';
import { createApiKey } from '../src/access/index.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';

const rate = Number(arg('rate', '500'));
const seconds = Number(arg('seconds', '4'));
const runs = Number(arg('runs', '3'));
const pg = arg('pg', '');
const redeems = Number(arg('redeems', '4000'));
const workers = Number(arg('workers', '16'));
const entries = Number(arg('entries', '1000000'));
const parts = new Set(arg('parts', 'validate,budget,expiry').split(','));
for (const part of parts) if (!['validate', 'budget', 'expiry'].includes(part)) throw new Error(`--parts takes validate, budget and expiry, not ${part}`);
const NOW = new Date('2026-06-01T04:00:00Z');
const CATEGORIES = ['茶', '器具', '零食', '礼盒', '卡券'];

async function seedOffers(store: Store): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < 200; i++) {
    const kinds = [
      { kind: 'spend_save', thresholdFen: 10_000 + (i % 5) * 5_000, offFen: 1_000 + (i % 3) * 500, isRepeating: i % 2 === 0 },
      { kind: 'percent', percentOff: 5 + (i % 4) * 5, maxOffFen: 5_000 },
      { kind: 'fixed', offFen: 300 + (i % 5) * 100 },
      { kind: 'free_shipping' },
      { kind: 'gift', giftSku: `gift-${i}` },
    ];
    const code = `B${String(i).padStart(3, '0')}`;
    codes.push(code);
    await upsertOffer(store, {
      id: `offer-${i}`, name: `offer ${i}`, rule: kinds[i % 5], sharedCode: code, stackGroup: `g${i % 7}`, isExclusive: i % 17 === 0,
      applies: i % 3 === 0 ? { categories: [CATEGORIES[i % 5]!] } : { excludeCategories: ['卡券'] }, minSpendFen: (i % 4) * 2_000, budgetCount: 1_000_000, perCustomerLimit: 5,
    }, { now: NOW });
  }
  return codes;
}

async function validateLatency(): Promise<Record<string, number>> {
  const store = await openStore(':memory:');
  await migrate(store);
  const codes = await seedOffers(store);
  const { key } = await createApiKey(store, { name: 'bench', scopes: ['coupons:read'] }, 'bench');
  const app = await buildServer({ store });
  const headers = { authorization: `Bearer ${key}` };
  const cart = { customerId: 'c1', channel: 'mini', shippingFen: 800, lines: Array.from({ length: 10 }, (_, i) => ({ sku: `sku-${i}`, category: CATEGORIES[i % 5], quantity: 1 + (i % 3), unitPriceFen: 3_000 + i * 1_000 })), codes: codes.slice(0, 20) };
  const openLoop = async (send: () => Promise<void>): Promise<number[]> => {
    const total = rate * seconds;
    const latencies: number[] = [];
    const start = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(send().then(() => void latencies.push(performance.now() - due)));
    }
    await Promise.all(pending);
    return latencies.sort((a, b) => a - b);
  };
  const p = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
  const out: Record<string, number[]> = { validateP50: [], validateP99: [], healthP50: [], healthP99: [] };
  for (let r = 0; r < runs; r++) {
    const v = await openLoop(async () => {
      const res = await app.inject({ method: 'POST', url: '/v1/coupons/validate', headers, payload: cart });
      if (res.statusCode !== 200) throw new Error(res.body);
    });
    const h = await openLoop(async () => void (await app.inject({ url: '/health' })));
    out.validateP50!.push(p(v, 0.5));
    out.validateP99!.push(p(v, 0.99));
    out.healthP50!.push(p(h, 0.5));
    out.healthP99!.push(p(h, 0.99));
  }
  await app.close();
  await store.close();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, median(v)]));
}

async function hotBudget(location: string): Promise<{ perSecond: number; redeemed: number; exact: boolean }> {
  const store = await openStore(location);
  if (store.kind === 'postgres') await store.execute('DROP SCHEMA IF EXISTS bench_loyalty CASCADE');
  await store.close();
  const url = store.kind === 'postgres' ? `${location}${location.includes('?') ? '&' : '?'}schema=bench_loyalty` : location;
  const db = await openStore(url);
  await migrate(db);
  const budget = Math.floor(redeems / 2);
  await upsertOffer(db, { id: 'hot', name: 'hot', rule: { kind: 'fixed', offFen: 500 }, sharedCode: 'HOT', budgetCount: budget }, { now: NOW });
  const cart = { lines: [{ sku: 'a', quantity: 1, unitPriceFen: 10_000 }] };
  let next = 0;
  let redeemed = 0;
  const started = performance.now();
  let lastSuccess = started;
  await Promise.all(Array.from({ length: db.kind === 'postgres' ? workers : 1 }, async () => {
    while (next < redeems) {
      const i = next++;
      const r = await redeemCoupon(db, { key: `k${i}`, code: 'HOT', cart: { ...cart, customerId: `c${i}` } }, NOW);
      if (r.status === 'redeemed') {
        redeemed++;
        lastSuccess = performance.now();
      }
    }
  }));
  const [o] = await db.query<{ used_count: number }>(`SELECT used_count FROM loyalty_offers WHERE offer_id = 'hot'`);
  await db.close();
  // Successful redemptions per second while the budget lasted.
  return { perSecond: (redeemed * 1000) / (lastSuccess - started), redeemed, exact: redeemed === budget && Number(o!.used_count) === budget };
}

async function expiryJob(): Promise<Record<string, number>> {
  const times: Record<string, number[]> = { expiry: [], aggregation: [] };
  for (let r = 0; r < runs; r++) {
    const store = await openStore(':memory:');
    await migrate(store);
    const customers = Math.max(1, Math.floor(entries / 20));
    // Half the buckets expired by NOW (earned 2024, expiring 2026-01-01), half not.
    await store.execute(
      `INSERT INTO points_buckets SELECT 'c' || (i % ${customers}), 'b' || i, 100, 100, TIMESTAMPTZ '2024-03-01 00:00:00+00',
         CASE WHEN i % 2 = 0 THEN TIMESTAMPTZ '2026-01-01 00:00:00+00' ELSE TIMESTAMPTZ '2028-01-01 00:00:00+00' END, NULL, TIMESTAMPTZ '2024-03-01 00:00:00+00' FROM range(${entries}) t(i)`,
    );
    await store.execute(`INSERT INTO points_ledger SELECT customer_id, bucket_key, 'earn', earned, 'bench', NULL, NULL, NULL, created_at FROM points_buckets`);
    await store.execute(`INSERT INTO points_accounts SELECT customer_id, sum(earned), TIMESTAMPTZ '2024-03-01 00:00:00+00' FROM points_buckets GROUP BY customer_id`);
    let t = performance.now();
    await store.query(`SELECT customer_id, sum(remaining) AS points FROM points_buckets WHERE expires_at <= $1 AND remaining > 0 GROUP BY customer_id`, [NOW]);
    times.aggregation!.push((performance.now() - t) / 1000);
    t = performance.now();
    const result = await expirePoints(store, NOW);
    times.expiry!.push((performance.now() - t) / 1000);
    if (result.buckets !== Math.ceil(entries / 2)) throw new Error(`expired ${result.buckets} buckets, expected ${Math.ceil(entries / 2)}`);
    await store.close();
  }
  return { expirySeconds: median(times.expiry!), aggregationSeconds: median(times.aggregation!) };
}

const result: Record<string, unknown> = { rate, seconds, runs };
if (parts.has('validate')) {
  const latency = await validateLatency();
  printTable(`POST /v1/coupons/validate, 10-line cart, 200 live offers, ${rate}/s open loop for ${seconds} s (medians of ${runs} runs)`, ['case', 'p50 ms', 'p99 ms'], [
    ['validate', latency.validateP50!, latency.validateP99!],
    ['GET /health (floor)', latency.healthP50!, latency.healthP99!],
  ]);
  result.validate = latency;
}
if (parts.has('budget')) {
  const duck = await hotBudget(':memory:');
  const hot = pg ? await hotBudget(pg) : undefined;
  printTable(`hot budget: ${redeems} redeems against ${Math.floor(redeems / 2)}`, ['store', 'redeemed/s', 'redeemed', 'exact'], [
    ['duckdb (1 caller)', duck.perSecond, duck.redeemed, String(duck.exact)],
    ...(hot ? [[`postgres (${workers} callers)`, hot.perSecond, hot.redeemed, String(hot.exact)] as const] : []),
  ]);
  result.hotBudget = { duckdb: duck, postgres: hot ?? null, redeems, workers };
}
if (parts.has('expiry')) {
  const expiry = await expiryJob();
  printTable(`points expiry over ${entries.toLocaleString('en-US')} buckets on DuckDB, half due (medians of ${runs})`, ['step', 's'], [
    ['expiry job', expiry.expirySeconds!],
    ['bare aggregation of the due rows', expiry.aggregationSeconds!],
  ]);
  result.expiry = { entries, ...expiry };
}
writeResult(parts.size === 3 ? 'loyalty' : `loyalty-${[...parts].sort().join('-')}`, result);
