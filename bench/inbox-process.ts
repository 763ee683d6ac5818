// Inbox processing benchmark: how fast the inbox processor writes messages (identity resolution, events, profiles,
// orders) by batch size, without HTTP. Fills the inbox of a fresh embedded store with --messages messages of the
// same mix as bench/ingest-client.ts, then times processInbox until it is empty; median of --runs per batch size.
// Usage: node --import tsx bench/inbox-process.ts [--messages 100000] [--runs 3] [--batches 1000,5000,20000]
import { rmSync } from 'node:fs';
import { appendToInbox, prepareMessage, processInbox } from '../src/ingest/index.ts';
import { keyRingFor } from '../src/privacy/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { arg, median, printTable, writeResult } from './report.ts';

const messages = Number(arg('messages', '100000'));
const runs = Number(arg('runs', '3'));
const batchSizes = arg('batches', '1000,5000,20000').split(',').map(Number);
const db = new URL('./data/bench-inbox.duckdb', import.meta.url).pathname;

function message(i: number, random: () => number): Record<string, unknown> {
  const userId = `U${1 + Math.floor(random() * 100_000)}`;
  const messageId = `m-${i}`;
  const r = random();
  if (r < 0.05) return { type: 'identify', userId, messageId, traits: { phone: `138${String(Math.floor(random() * 1e8)).padStart(8, '0')}` } };
  if (r < 0.09) return { type: 'track', userId, messageId, event: 'Order Completed', properties: { order_id: `O-${i}`, total: 20, products: [{ product_id: 'SKU-1', price: 20, quantity: 1 }] } };
  if (r < 0.2) return { type: 'page', userId, messageId, name: '首页' };
  return { type: 'track', userId, messageId, event: 'Product Viewed', properties: { product_id: 'SKU-1', category: '母婴' } };
}

async function once(batchSize: number): Promise<number> {
  for (const suffix of ['', '.wal']) rmSync(`${db}${suffix}`, { force: true });
  const store = await openStore(db);
  await migrate(store);
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const now = new Date();
  for (let i = 0; i < messages; i += 5000) {
    const entries = Array.from({ length: Math.min(5000, messages - i) }, (_, k) => {
      const prepared = prepareMessage(message(i + k, random), now);
      if (!prepared.ok) throw new Error(JSON.stringify(prepared.errors));
      return { message: prepared.message, source: 'bench' };
    });
    const ring = await keyRingFor(store);
    await store.transaction((tx) => appendToInbox(tx, store.kind, entries, now, ring));
  }
  const started = performance.now();
  let processed = 0;
  for (let n; (n = await processInbox(store, batchSize)) > 0; ) processed += n;
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  if (processed !== messages) throw new Error(`processed ${processed} of ${messages}`);
  return seconds;
}

const rows = [];
for (const batchSize of batchSizes) {
  const seconds: number[] = [];
  for (let run = 0; run < runs; run++) seconds.push(await once(batchSize));
  process.stderr.write(`  batch ${batchSize}: ${seconds.map((s) => s.toFixed(2)).join(', ')} s\n`);
  rows.push({ batchSize, seconds, median: median(seconds), messagesPerSecond: messages / median(seconds) });
}
for (const suffix of ['', '.wal']) rmSync(`${db}${suffix}`, { force: true });
printTable(`Inbox processing, embedded store: ${messages.toLocaleString('en-US')} messages, median of ${runs} runs`, ['batch size', 'median s', 'messages/s'], rows.map((r) => [r.batchSize, r.median, Math.round(r.messagesPerSecond)]));
process.stdout.write(`\nwrote ${writeResult('inbox-process', { messages, runs, results: rows })}\n`);
