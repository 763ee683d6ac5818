// The console's performance targets (issue #18 part 5):
// - the JavaScript the sign-in page loads, gzipped (target ≤ 300 KB), measured in headless Chromium against the
//   built console: every script the page fetched, gzipped at level 9 (as the build precompresses them);
// - GET /v1/customers (a first page with the total, filtered pages, a phone search) and POST /v1/segments/preview
//   p95 (target ≤ 500 ms each) on the embedded store of --rows orders (default 10M orders of 1M customers, the
//   store of bench/layers.ts, built once under bench/data), through the HTTP API in process, after a layers compute.
// - the overview's time to data after sign-in (target ≤ 2 s): in headless Chromium on a demo brand of
//   --demo-customers (default 5,000; the full demo is 100,000), from clicking "sign in" until every KPI card
//   shows its number and sparkline; the median of --runs fresh browser contexts.
// The API calls authenticate with an admin API key, as a script would.
// Usage: node --import tsx bench/console.ts [--rows 10000000] [--repeat 20] [--demo-customers 5000] [--runs 5] [--parts js,overview,api]
import { readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { createApiKey, ensureAdmin } from '../src/access/index.ts';
import { buildServer } from '../src/server/index.ts';
import { computeLayers } from '../src/segment/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { buildConsole, hasChromium, launch } from '../test/e2e/browser.ts';
import { demoStore } from '../test/e2e/demo-store.ts';
import { ensureOrdersFile } from './orders-file.ts';
import { arg, printTable, writeResult } from './report.ts';
import { storeWithOrders } from './stores.ts';

const rows = Number(arg('rows', '10000000'));
const repeat = Number(arg('repeat', '20'));
const demoCustomers = Number(arg('demo-customers', '5000'));
const runs = Number(arg('runs', '5'));
const parts = new Set(arg('parts', 'js,overview,api').split(','));
const data = (name: string) => new URL(`./data/${name}`, import.meta.url).pathname;
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(0.95 * values.length) - 1)]!;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** KB of gzipped JavaScript the sign-in page loads, from a server on an empty in-memory store. */
async function signInJs(): Promise<{ kb: number; scripts: string[] }> {
  if (!hasChromium) throw new Error('no /usr/bin/chromium');
  buildConsole();
  const store = await openStore(':memory:');
  await migrate(store);
  const app = await buildServer({ store });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launch();
  const scripts: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('response', (response) => {
      if (response.request().resourceType() === 'script') scripts.push(new URL(response.url()).pathname);
    });
    await page.goto(`${base}/sign-in`, { waitUntil: 'networkidle' });
    await page.getByRole('button').first().waitFor();
  } finally {
    await browser.close();
    await app.close();
    await store.close();
  }
  const bytes = scripts.reduce((sum, path) => sum + gzipSync(readFileSync(new URL(`../dist/web${path}`, import.meta.url)), { level: 9 }).length, 0);
  return { kb: bytes / 1024, scripts };
}

/** Milliseconds from submitting the sign-in form to the overview showing every KPI with its sparkline, per run. */
async function overviewTimes(): Promise<number[]> {
  buildConsole();
  const { store, dir } = await demoStore(demoCustomers);
  const admin = await ensureAdmin(store, { password: 'bench-password-1' });
  const app = await buildServer({ store });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launch();
  const times: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
      const page = await context.newPage();
      await page.goto(`${base}/sign-in`, { waitUntil: 'networkidle' });
      await page.getByTestId('sign-in-username').fill(admin.username);
      await page.getByTestId('sign-in-password').fill('bench-password-1');
      const started = performance.now();
      await page.getByTestId('sign-in-submit').click();
      await page.getByTestId('kpi-grid').waitFor();
      // Every card has its number and its drawn sparkline.
      await page.waitForFunction(`(() => {
        const cards = document.querySelectorAll('[data-testid="kpi-grid"] .ant-card').length;
        return cards > 0 && document.querySelectorAll('[data-testid="kpi-grid"] [data-testid="sparkline"] canvas').length === cards;
      })()`);
      if (i > 0) times.push(performance.now() - started); // the first run warms the server's caches
      await context.close();
    }
  } finally {
    await browser.close();
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

const signIn = parts.has('js') ? await signInJs() : undefined;
if (signIn) process.stderr.write(`sign-in page: ${signIn.scripts.length} scripts, ${signIn.kb.toFixed(1)} KB gzipped\n`);
const overview = parts.has('overview') ? await overviewTimes() : undefined;
if (overview) process.stderr.write(`overview after sign-in: median ${median(overview).toFixed(0)} ms over ${overview.length} runs\n`);

const results: { call: string; p50Ms: number; p95Ms: number; target: string }[] = [];
let customers = 0;
if (parts.has('api')) {
  const db = await storeWithOrders(data(`layers-${rows}.duckdb`), await ensureOrdersFile(data(`orders-${rows}.csv`), rows));
  const store = await openStore(db);
  await migrate(store);
  if ((await store.query('SELECT 1 FROM lifecycle_stages LIMIT 1')).length === 0) {
    process.stderr.write('computing the layers once…\n');
    await computeLayers(store);
  }
  // Sixty-three segment counts in a few seconds: above the default rate limit of expensive routes (60 a minute), which is not what is measured.
  const app = await buildServer({ store, consoleDir: false, rateLimits: { expensivePerMinute: 10_000 } });
  customers = Number(((await store.query<{ n: number }>('SELECT count(*) AS n FROM customers')) as [{ n: number }])[0].n);
  const { key } = await createApiKey(store, { name: 'bench', scopes: ['admin'] }, 'bench');
  const headers = { authorization: `Bearer ${key}` };
  const [probe] = await store.query<{ customer_id: string }>('SELECT customer_id FROM customers ORDER BY customer_id LIMIT 1 OFFSET 500000');
  const [middle] = await store.query<{ customer_id: string }>("SELECT customer_id FROM lifecycle_stages WHERE stage = 'repeat' ORDER BY customer_id LIMIT 1 OFFSET 1000");
  const calls: [name: string, method: 'GET' | 'POST', url: string, body?: object][] = [
    ['customers: first page with the total', 'GET', '/v1/customers?limit=20&with_total=true'],
    ['customers: stage + tier filter, with the total', 'GET', '/v1/customers?stage=repeat&tier=head&limit=20&with_total=true'],
    ['customers: a later page of a filter (keyset)', 'GET', `/v1/customers?stage=repeat&limit=20&after=${encodeURIComponent(middle?.customer_id ?? '')}`],
    ['customers: search by id', 'GET', `/v1/customers?q=${encodeURIComponent(probe?.customer_id ?? 'x')}`],
    ['customers: search by phone (no match)', 'GET', '/v1/customers?q=13800138000'],
    ['segment count: stage in dormant/churned and tier head/waist', 'POST', '/v1/segments/preview', { definition: { all: [{ field: 'stage', op: 'in', value: ['dormant', 'churned'] }, { field: 'tier', op: 'in', value: ['head', 'waist'] }] } }],
    ['segment count: RFM class', 'POST', '/v1/segments/preview', { definition: { field: 'rfm_class', op: '=', value: 'important_value' } }],
    ['segment count: attributes', 'POST', '/v1/segments/preview', { definition: { all: [{ attribute: 'orders_lifetime', op: '>=', value: 5 }, { attribute: 'recency_days', op: '>', value: 60 }] } }],
  ];
  for (const [name, method, url, body] of calls) {
    const times: number[] = [];
    for (let i = 0; i <= repeat; i++) {
      const started = performance.now();
      const response = await app.inject({ method, url, payload: body, headers });
      if (response.statusCode !== 200) throw new Error(`${name}: ${response.statusCode} ${response.body}`);
      if (i > 0) times.push(performance.now() - started); // the first call warms the caches
    }
    results.push({ call: name, p50Ms: median(times), p95Ms: p95(times), target: p95(times) <= 500 ? '≤ 500 ms ✔' : '≤ 500 ms ✘' });
  }
  await app.close();
  await store.close();
}

const cpu = spawnSync('nproc').stdout?.toString().trim();
if (signIn) printTable(`sign-in page JavaScript (target ≤ 300 KB gzipped)`, ['scripts', 'KB gzipped', 'target'], [[signIn.scripts.length, signIn.kb.toFixed(1), signIn.kb <= 300 ? '✔' : '✘']]);
if (overview) printTable(`overview with data after sign-in, demo brand of ${demoCustomers.toLocaleString('en-US')} customers (${overview.length} runs after one warm-up)`, ['median ms', 'max ms', 'target'], [[median(overview).toFixed(0), Math.max(...overview).toFixed(0), median(overview) <= 2000 ? '≤ 2 s ✔' : '≤ 2 s ✘']]);
if (results.length) printTable(`console API on ${customers.toLocaleString('en-US')} customers / ${rows.toLocaleString('en-US')} orders (${repeat} calls each after one warm-up; ${cpu} cores)`, ['call', 'p50 ms', 'p95 ms', 'target'], results.map((r) => [r.call, r.p50Ms.toFixed(1), r.p95Ms.toFixed(1), r.target]));
// A run of some parts writes a file of its own, so the other parts' last figures stay where they are.
const partsRun = [...parts].sort().join('-');
writeResult(partsRun === 'api-js-overview' ? 'console' : `console-${partsRun}`, { rows, customers, repeat, signIn, overview: overview && { demoCustomers, runs: overview.length, medianMs: median(overview), times: overview }, results });
