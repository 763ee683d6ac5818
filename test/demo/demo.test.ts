import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { computeOverview } from '../../src/analytics/index.ts';
import { generateDemo } from '../../src/demo/index.ts';
import { importFile, type ImportKind } from '../../src/import/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const generate = (seed: number) => generateDemo({ customers: 400, seed, end: new Date('2026-10-31T23:59:59Z'), days: 730, outDir: mkdtempSync(join(tmpdir(), 'siyu-demo-')) });

describe('demo generator', () => {
  test('the same seed writes the same brand, and another seed a different one', () => {
    const [a, b, c] = [generate(7), generate(7), generate(8)];
    assert.equal(readFileSync(a.orders, 'utf8'), readFileSync(b.orders, 'utf8'));
    assert.notEqual(readFileSync(a.orders, 'utf8'), readFileSync(c.orders, 'utf8'));
    assert.ok(a.counts.products >= 100 && a.counts.products <= 300);
    const truth = JSON.parse(readFileSync(join(a.dir, 'truth.json'), 'utf8'));
    assert.deepEqual(truth.bgnbd, { r: 0.75, alpha: 6, a: 0.6, b: 3 });
  });
});

for (const backend of BACKENDS) {
  describe(`demo brand on ${backend}`, () => {
    test('imports with no rejects and the overview matches totals computed from the files', () =>
      withStore(backend, async (store) => {
        const files = generate(11);
        const steps: [ImportKind, string][] = [['customers', files.customers], ['products', files.products], ['orders', files.orders], ['order-items', files.orderItems], ['events', files.events]];
        for (const [kind, file] of steps) {
          const report = await importFile(store, kind, file, { rejectsPath: join(files.dir, `${kind}.rej`) });
          assert.equal(report.rejected, 0, `${kind} had rejects`);
        }
        // Independent totals from orders.csv: GMV = paid − refunded over non-cancelled orders.
        const lines = readFileSync(files.orders, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
        let gmvFen = 0;
        let orders = 0;
        for (const cells of lines) {
          const status = cells[8];
          if (status === 'cancelled') continue;
          orders++;
          if (status !== 'refunded') gmvFen += Math.round(Number(cells[3]) * 100);
        }
        const overview = await computeOverview(store);
        assert.equal(overview.customers, 400);
        assert.equal(overview.orders, orders);
        assert.equal(overview.gmvFen, gmvFen);
        assert.equal(overview.events, files.counts.events);
        assert.equal(overview.byChannel.reduce((s, c) => s + c.gmvFen, 0), gmvFen);
        assert.equal(overview.byMonth.reduce((s, m) => s + m.orders, 0), orders);
      }));
  });
}
