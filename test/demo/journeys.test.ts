import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateDemo, runJourneyDemo } from '../../src/demo/index.ts';
import { importFile, type ImportKind } from '../../src/import/index.ts';
import { computeLifecycle } from '../../src/segment/index.ts';
import { withStore } from '../helpers/backends.ts';

// The story of issue #19 on a small brand: three journeys run 60 simulated days through the real engine, contact policy,
// dispatcher and webhook channel, with customers who respond with known effects. The engine's own scenarios run on both
// backends in test/journey; this end-to-end run is long, so it runs on the embedded store.
describe('the demo journeys', () => {
  test('over 60 simulated days, each arm’s reported uplift has a 95% interval containing the true effect', () =>
    withStore('duckdb', async (store) => {
      const files = generateDemo({ customers: 3000, seed: 5, end: new Date('2026-10-31T23:59:59Z'), days: 730, outDir: mkdtempSync(join(tmpdir(), 'siyu-demo-journeys-')) });
      const steps: [ImportKind, string][] = [['customers', files.customers], ['products', files.products], ['orders', files.orders], ['order-items', files.orderItems]];
      for (const [kind, file] of steps) await importFile(store, kind, file, { rejectsPath: join(files.dir, `${kind}.rej`) });
      await computeLifecycle(store);
      const result = await runJourneyDemo(store, { days: 60, seed: 5 });
      const checked: string[] = [];
      for (const report of result.reports) {
        assert.ok(report.entered > 300, `${report.journeyId}: ${report.entered} entered`);
        const holdout = report.arms.find((a) => a.arm === 'holdout');
        assert.ok(holdout && holdout.customers > 20, `${report.journeyId} has a holdout`);
        for (const [arm, truth] of Object.entries(result.truth[report.journeyId as keyof typeof result.truth])) {
          const measured = report.arms.find((a) => a.arm === arm)?.uplift;
          assert.ok(measured, `${report.journeyId} ${arm} is reported`);
          assert.ok(
            measured.interval.low <= truth.armEffect && truth.armEffect <= measured.interval.high,
            `${report.journeyId} ${arm}: true ${truth.armEffect.toFixed(3)} outside [${measured.interval.low.toFixed(3)}, ${measured.interval.high.toFixed(3)}]`,
          );
          checked.push(`${report.journeyId} ${arm}`);
        }
        const sent = report.steps.reduce((sum, s) => sum + (s.messages.delivered ?? 0), 0);
        assert.ok(sent > 0, `${report.journeyId} delivered messages`);
      }
      assert.deepEqual(checked.sort(), ['cart treated', 'welcome treated', 'win-back variant A', 'win-back variant B']);
      assert.equal(result.messages, result.reports.reduce((sum, r) => sum + r.steps.reduce((s, step) => s + (step.messages.delivered ?? 0), 0), 0), 'the receiver got every delivered message, once');
    }));
});
