// The load generator for bench/http-ingest.ts, run in its own process. It sends a realistic mix of events (mostly
// views, some identifies and orders) in batches of 100 for --seconds, then prints one JSON line with what was
// acknowledged and each batch request's latency.
// - default: instances of the official @segment/analytics-node client. Each sends one batch at a time, so --clients
//   sets the concurrency, like several app servers; each keeps at most --in-flight batches queued.
// - --raw: plain fetch POSTs of /v1/batch with the same events and concurrency, which costs the generator far less
//   CPU than the official client, so on a small machine it shows what the server itself can take.
// Usage: node --import tsx bench/ingest-client.ts --host URL --key KEY [--seconds 60] [--clients 8] [--in-flight 2] [--raw]
import { Analytics, type HTTPFetchFn } from '@segment/analytics-node';
import { arg } from './report.ts';

const host = arg('host', 'http://127.0.0.1:3000');
const writeKey = arg('key', '');
const seconds = Number(arg('seconds', '60'));
const clients = Number(arg('clients', '8'));
const perClient = Number(arg('in-flight', '2'));
const raw = process.argv.includes('--raw');
const users = 100_000;

let seed = 7;
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const categories = ['饮料', '乳品', '零食', '个护', '母婴'];

type BenchEvent = { type: 'identify' | 'track' | 'page'; userId: string; messageId: string } & Record<string, unknown>;

/** Event i of the mix: 5% identify, 4% Order Completed, 11% page, 80% Product Viewed. */
function makeEvent(i: number): BenchEvent {
  const userId = `U${1 + Math.floor(random() * users)}`;
  const messageId = `bench-${process.pid}-${i}`;
  const r = random();
  if (r < 0.05) return { type: 'identify', userId, messageId, traits: { phone: `138${String(Math.floor(random() * 1e8)).padStart(8, '0')}`, city: '上海' } };
  if (r < 0.09) {
    const products = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, k) => ({ product_id: `SKU-${Math.floor(random() * 200)}`, price: 19.9 + k, quantity: 1, category: categories[k % 5] }));
    return { type: 'track', userId, messageId, event: 'Order Completed', properties: { order_id: `BO-${messageId}`, total: products.reduce((s, p) => s + p.price, 0), currency: 'CNY', channel: '小程序商城', products } };
  }
  if (r < 0.2) return { type: 'page', userId, messageId, name: '首页', properties: { path: '/' } };
  return { type: 'track', userId, messageId, event: 'Product Viewed', properties: { product_id: `SKU-${Math.floor(random() * 200)}`, category: categories[Math.floor(random() * 5)] } };
}

const latenciesMs: number[] = [];
const timedFetch: HTTPFetchFn = async (url, init) => {
  const started = performance.now();
  const response = await fetch(url, init);
  latenciesMs.push(performance.now() - started);
  return response;
};

let sent = 0;
let acked = 0;
let failed = 0;
const deadline = performance.now() + seconds * 1000;
const started = performance.now();

/** One raw sender: POSTs batches back to back until the deadline. */
async function rawSender(): Promise<void> {
  const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  while (performance.now() < deadline) {
    const batch = Array.from({ length: 100 }, () => makeEvent(sent++));
    const response = await timedFetch(`${host}/v1/batch`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ batch }), signal: undefined });
    await response.text?.();
    if (response.status === 200) acked += batch.length;
    else failed += batch.length;
  }
}

/** The official clients, with a bounded number of events queued across them. */
async function officialClients(): Promise<void> {
  // The client's documented extension point for its HTTP client: plain fetch, timed per request (one batch).
  const instances = Array.from({ length: clients }, () => new Analytics({ writeKey, host, flushAt: 100, flushInterval: 20, maxRetries: 3, httpClient: timedFetch }));
  const limit = clients * perClient * 100;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const done = (error?: unknown) => {
    inFlight--;
    if (error) failed++;
    else acked++;
    if (wake && inFlight <= limit - 100) {
      wake();
      wake = undefined;
    }
  };
  while (performance.now() < deadline) {
    if (inFlight >= limit) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    // A whole batch at once on the next client, which sends it when it reaches flushAt.
    const analytics = instances[(sent / 100) % clients]!;
    for (let k = 0; k < 100; k++) {
      inFlight++;
      const { type, ...message } = makeEvent(sent++);
      if (type === 'identify') analytics.identify(message as Parameters<Analytics['identify']>[0], done);
      else if (type === 'page') analytics.page(message as Parameters<Analytics['page']>[0], done);
      else analytics.track(message as Parameters<Analytics['track']>[0], done);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await Promise.all(instances.map((a) => a.closeAndFlush({ timeout: 30_000 })));
}

if (raw) await Promise.all(Array.from({ length: clients * perClient }, rawSender));
else await officialClients();
const elapsed = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ sent, acked, failed, seconds: elapsed, latenciesMs })}\n`);
