import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DuckDBStore, openStore } from '../../src/store/index.ts';
import { BACKENDS, freshLocation } from '../helpers/backends.ts';
import { siyuArgs } from '../helpers/processes.ts';

// Issue #16, "Bad files at scale": a 10M-row orders file in which every row is invalid once ran for 78 s and died
// out of JavaScript heap, because the rejects were gathered in memory. Now the rejects stream from DuckDB to the
// rejects file, and --max-rejects (by default 1% of the records) stops the import before anything is loaded.
const ROWS = Number(process.env.SIYU_BAD_FILE_ROWS ?? 10_000_000);
const MAX_RSS_BYTES = 2 * 1024 ** 3;
const PRELOAD = fileURLToPath(new URL('../helpers/max-rss.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'siyu-bad-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Orders whose status is never in the vocabulary, written by DuckDB (a few seconds for 10M rows). */
async function badOrdersFile(rows: number): Promise<string> {
  const path = join(dir, 'bad-orders.csv');
  if (existsSync(path)) return path;
  const db = await DuckDBStore.open(':memory:');
  await db.execute(
    `COPY (SELECT 'SO' || i AS order_id, 'M' || (i % 1000000) AS customer_id, TIMESTAMP '2025-01-01' + to_seconds(i % 31536000) AS placed_at,
             (i % 40000) / 100.0 + 9.9 AS total, CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'shipped' END AS status
           FROM range(1, ${rows + 1}) r(i)) TO '${path}' (FORMAT csv, HEADER true)`,
  );
  await db.close();
  return path;
}

/** Runs `siyu ARGS` in a child process and returns its exit code, stderr and peak resident memory. */
function runMeasured(args: readonly string[]): Promise<{ code: number | null; stderr: string; maxRssBytes: number }> {
  const rssFile = join(dir, `rss-${process.hrtime.bigint()}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, ...siyuArgs(args)], { cwd: dir, env: { ...process.env, SIYU_MAX_RSS_FILE: rssFile }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr, maxRssBytes: Number(readFileSync(rssFile, 'utf8')) }));
  });
}

for (const backend of BACKENDS) {
  describe(`a file of nothing but bad rows on ${backend}`, () => {
    test(`${ROWS.toLocaleString('en-US')} bad orders stop with exit code 2, the reasons counted, a rejects file, nothing imported, in under 2 GB`, { timeout: 600_000 }, async () => {
      const file = await badOrdersFile(ROWS);
      const { location, cleanup } = backend === 'duckdb' ? { location: join(dir, 'store.duckdb'), cleanup: async () => undefined } : freshLocation(backend);
      try {
        const rejects = join(dir, `rejects-${backend}.csv`);
        const started = Date.now();
        const result = await runMeasured(['import', 'orders', file, '--db', location, '--rejects', rejects, '--no-progress']);
        const seconds = (Date.now() - started) / 1000;
        process.stdout.write(`# ${backend}: ${ROWS} bad rows: exit ${result.code} in ${seconds.toFixed(1)} s, peak RSS ${(result.maxRssBytes / 1024 ** 2).toFixed(0)} MiB\n`);
        assert.equal(result.code, 2, result.stderr);
        const limit = Math.max(10_000, Math.ceil(ROWS / 100));
        assert.match(result.stderr, new RegExp(`stopped: ${ROWS.toLocaleString('en-US')} of ${ROWS.toLocaleString('en-US')} records .* over the limit of ${limit.toLocaleString('en-US')} \\(--max-rejects\\); nothing was imported`));
        // The most frequent reasons, with their counts: a third of the rows say "paid", the rest "shipped".
        assert.match(result.stderr, new RegExp(`${ROWS.toLocaleString('en-US')}  status: not one of completed, partially_refunded, refunded, cancelled \\(e\\.g\\. "(paid|shipped)"\\)`));
        const lines = readFileSync(rejects, 'utf8').trimEnd().split('\n');
        assert.equal(lines[0], 'line,reason,record');
        assert.equal(lines.length, limit + 1);
        assert.match(lines[1]!, /^2,"status: not one of completed, partially_refunded, refunded, cancelled: ""shipped""",/);
        assert.ok(result.maxRssBytes <= MAX_RSS_BYTES, `peak RSS ${result.maxRssBytes} bytes`);
        const store = await openStore(location);
        try {
          const [row] = await store.query<{ n: number }>('SELECT count(*) AS n FROM orders');
          assert.equal(row?.n, 0);
        } finally {
          await store.close();
        }
      } finally {
        await cleanup();
      }
    });
  });
}
