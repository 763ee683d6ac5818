import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importFile } from '../../src/import/index.ts';
import { computeRfm, RFM_CLASSES } from '../../src/segment/index.ts';
import { migrate, openStore } from '../../src/store/index.ts';
import { BACKENDS, freshLocation } from '../helpers/backends.ts';
import { parseCsv } from '../helpers/csv.ts';

const FILE = fileURLToPath(new URL('../../../shared/datasets/online-retail/online_retail.csv', import.meta.url));
const MAPPING = fileURLToPath(new URL('../../mappings/online-retail.json', import.meta.url));
const DAY = 86_400_000;

/** A UK wall-clock time in 2010-2011 as a UTC instant: BST (+1) from 2011-03-27 01:00 UTC to 2011-10-30 01:00 UTC. */
function londonToUtc(local: string): number {
  const wall = Date.parse(`${local.replace(' ', 'T')}Z`);
  const bst = wall - 3_600_000 >= Date.UTC(2011, 2, 27, 1) && wall - 3_600_000 < Date.UTC(2011, 9, 30, 1);
  return bst ? wall - 3_600_000 : wall;
}

/** The calendar day of a UTC instant in Asia/Shanghai (UTC+8 all year), as days since the epoch. */
const shanghaiDay = (utc: number) => Math.floor((utc + 8 * 3_600_000) / DAY);

/**
 * RFM 8-class counts computed from the CSV alone, following the rules the mapping and importer document
 * (docs/import.md, mappings/online-retail.json) and the RFM definitions (docs/segmentation.md): a line needs a
 * customer, a positive whole |quantity| and a non-negative price, an invoice with any bad line is dropped whole,
 * C-invoices are cancellations, money is Σ |quantity| × price in pence, days are Shanghai days.
 */
function independentCounts(windowDays: number): Record<string, number> {
  const invoices = new Map<string, { customer: string; day: number; pence: number; bad: boolean; cancelled: boolean }>();
  const records = parseCsv(readFileSync(FILE, 'utf8'));
  for (let i = 1; i < records.length; i++) {
    const [invoice, , , quantity, date, price, customerRaw] = records[i] as [string, string, string, string, string, string, string];
    const customer = customerRaw.trim().replace(/\.0$/, '');
    const qty = Math.abs(Number.parseInt(quantity, 10));
    const unit = Number(price);
    const entry = invoices.get(invoice) ?? { customer, day: shanghaiDay(londonToUtc(date)), pence: 0, bad: false, cancelled: invoice.startsWith('C') };
    if (customer === '' || !(qty > 0) || !(unit >= 0)) entry.bad = true;
    else entry.pence += qty * Math.round(unit * 100);
    invoices.set(invoice, entry);
  }
  const kept = [...invoices.values()].filter((v) => !v.bad);
  const asOf = Math.max(...kept.map((v) => v.day));
  const customers = new Map<string, { last: number; frequency: number; pence: number }>();
  for (const v of kept) {
    if (v.cancelled || v.day > asOf) continue;
    const c = customers.get(v.customer) ?? { last: -Infinity, frequency: 0, pence: 0 };
    c.last = Math.max(c.last, v.day);
    if (v.day > asOf - windowDays) {
      c.frequency += 1;
      c.pence += v.pence;
    }
    customers.set(v.customer, c);
  }
  const all = [...customers.values()].map((c) => ({ r: asOf - c.last, f: c.frequency, m: c.pence }));
  const mean = (pick: (x: { r: number; f: number; m: number }) => number) => all.reduce((s, x) => s + pick(x), 0) / all.length;
  const [r, f, m] = [mean((x) => x.r), mean((x) => x.f), mean((x) => x.m)];
  const counts = Object.fromEntries(RFM_CLASSES.map((c) => [c.code, 0]));
  for (const x of all) {
    const match = RFM_CLASSES.find((c) => c.r === x.r < r && c.f === x.f > f && c.m === x.m > m)!;
    counts[match.code]!++;
  }
  return counts;
}

let expected: Record<string, number> | undefined;

for (const backend of BACKENDS) {
  describe(`RFM on the UCI Online Retail file on ${backend}`, () => {
    test('the 8-class counts match an independent computation from the CSV, through the library and the CLI', async () => {
      expected ??= independentCounts(365);
      const fresh = freshLocation(backend);
      const db = backend === 'duckdb' ? join(mkdtempSync(join(tmpdir(), 'siyu-retail-')), 'retail.duckdb') : fresh.location;
      const store = await openStore(db);
      try {
        await migrate(store);
        // About a quarter of the lines have no CustomerID: more rejects than the default limit, expected here.
        const imported = await importFile(store, 'orders', FILE, { mapping: MAPPING, maxRejects: 200_000, rejectsPath: join(tmpdir(), `retail-${backend}.rejects.csv`) });
        assert.equal(imported.rows, 541_909);
        const report = await computeRfm(store, { windowDays: 365, threshold: 'mean' });
        assert.deepEqual(Object.fromEntries(report.classes.map((c) => [c.code, c.customers])), expected);
        assert.equal(report.currency, 'GBP');
        assert.ok(report.customers > 4000, `${report.customers} customers`);
        await store.close(); // a DuckDB file is opened by one process at a time, and the CLI is another
        const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'rfm', '--db', db, '--json'], { encoding: 'utf8' });
        assert.equal(cli.status, 0, cli.stderr);
        const printed = JSON.parse(cli.stdout) as { classes: { code: string; customers: number }[] };
        assert.deepEqual(Object.fromEntries(printed.classes.map((c) => [c.code, c.customers])), expected);
      } finally {
        await store.close();
        await fresh.cleanup();
      }
    });
  });
}
