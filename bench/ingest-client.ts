// The load generator for bench/http-ingest.ts, run in its own process: the official @segment/analytics-node client,
// batches of 100, a bounded number of batches in flight. Prints one JSON line with what was acknowledged and how fast.
// Usage: node --import tsx bench/ingest-client.ts --host URL --key KEY [--seconds 60] [--in-flight 8]
import { Analytics, type HTTPFetchFn } from '@segment/analytics-node';
import { arg } from './report.ts';

const host = arg('host', 'http://127.0.0.1:3000');
const writeKey = arg('key', '');
const seconds = Number(arg('seconds', '60'));
const batchesInFlight = Number(arg('in-flight', '8'));
const users = 100_000;

// The client's documented extension point for its HTTP client: plain fetch, timed per request (one batch).
const latenciesMs: number[] = [];
const timedFetch: HTTPFetchFn = async (url, init) => {
  const started = performance.now();
  const response = await fetch(url, init);
  latenciesMs.push(performance.now() - started);
  return response;
};
const analytics = new Analytics({ writeKey, host, flushAt: 100, flushInterval: 20, maxRetries: 3, httpClient: timedFetch });

let seed = 7;
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const categories = ['饮料', '乳品', '零食', '个护', '母婴'];
let sent = 0;
let acked = 0;
let failed = 0;
let inFlight = 0;
let wake: (() => void) | undefined;
const done = (error?: unknown) => {
  inFlight--;
  if (error) failed++;
  else acked++;
  if (wake && inFlight <= (batchesInFlight - 1) * 100) {
    wake();
    wake = undefined;
  }
};

/** One event of a realistic mix: mostly views, some identifies and orders. */
function send(i: number): void {
  const userId = `U${1 + Math.floor(random() * users)}`;
  const messageId = `bench-${process.pid}-${i}`;
  const r = random();
  if (r < 0.05) {
    analytics.identify({ userId, messageId, traits: { phone: `138${String(Math.floor(random() * 1e8)).padStart(8, '0')}`, city: '上海' } }, done);
  } else if (r < 0.09) {
    const products = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, k) => ({ product_id: `SKU-${Math.floor(random() * 200)}`, price: 19.9 + k, quantity: 1, category: categories[k % 5] }));
    analytics.track({ userId, messageId, event: 'Order Completed', properties: { order_id: `BO-${messageId}`, total: products.reduce((s, p) => s + p.price, 0), currency: 'CNY', channel: '小程序商城', products } }, done);
  } else if (r < 0.2) {
    analytics.page({ userId, messageId, name: '首页', properties: { path: '/' } }, done);
  } else {
    analytics.track({ userId, messageId, event: 'Product Viewed', properties: { product_id: `SKU-${Math.floor(random() * 200)}`, category: categories[Math.floor(random() * 5)] } }, done);
  }
}

const started = performance.now();
const deadline = started + seconds * 1000;
while (performance.now() < deadline) {
  if (inFlight >= batchesInFlight * 100) {
    await new Promise<void>((resolve) => (wake = resolve));
    continue;
  }
  // Enqueue a whole batch at once; the client sends it when it reaches flushAt.
  for (let k = 0; k < 100; k++) {
    inFlight++;
    send(sent++);
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
}
await analytics.closeAndFlush({ timeout: 30_000 });
const elapsed = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ sent, acked, failed, seconds: elapsed, latenciesMs })}\n`);
