import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startProviderSimulators } from '../../src/channels/index.ts';
import { generateDemo, runJourneyDemo, seedDemoConsents } from '../../src/demo/index.ts';
import { importFile, type ImportKind } from '../../src/import/index.ts';
import { computeLifecycle } from '../../src/segment/index.ts';
import { withStore } from '../helpers/backends.ts';

// The story of issue #19 on a small brand: three journeys run 60 simulated days through the real engine, contact policy,
// dispatcher, the webhook channel and SMS through the provider simulator, with customers who respond with known effects. The engine's own scenarios run on both
// backends in test/journey; this end-to-end run is long, so it runs on the embedded store.
describe('the demo journeys', () => {
  test('over 60 simulated days, each arm’s reported uplift has a 95% interval containing the true effect', () =>
    withStore('duckdb', async (store) => {
      const files = generateDemo({ customers: 3000, seed: 5, end: new Date('2026-10-31T23:59:59Z'), days: 730, outDir: mkdtempSync(join(tmpdir(), 'siyu-demo-journeys-')) });
      const steps: [ImportKind, string][] = [['customers', files.customers], ['products', files.products], ['orders', files.orders], ['order-items', files.orderItems]];
      for (const [kind, file] of steps) await importFile(store, kind, file, { rejectsPath: join(files.dir, `${kind}.rej`) });
      await computeLifecycle(store);
      // Consents as the demo records them: the win-back SMS is marketing, sent only where sms_marketing is granted.
      await seedDemoConsents(store, 5, new Date('2026-10-31T23:59:59Z'));
      const simulators = await startProviderSimulators({ seed: 5, withMail: false, receiptDelayMs: 0 });
      const result = await runJourneyDemo(store, { days: 60, seed: 5, simulators }).finally(() => simulators.stop());
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
      // The win-back went out as SMS through the Tencent Cloud adapter to the simulator, once each, and was delivered
      // by its receipts; customers without SMS consent were skipped with the reason.
      const sms = await store.query<{ state: string; n: number }>(`SELECT state, count(*) AS n FROM outbound_messages WHERE journey_id = 'win-back' GROUP BY state`);
      const byState = Object.fromEntries(sms.map((r) => [r.state, Number(r.n)]));
      assert.ok(byState.delivered! > 100 && byState.delivered === result.byChannel.sms, JSON.stringify({ byState, byChannel: result.byChannel }));
      assert.equal(new Set(simulators.sms.sent.map((m) => m.id)).size, simulators.sms.sent.length, 'each SMS reached the provider once');
      assert.ok(simulators.sms.sent.every((m) => m.provider === 'tencent' && (m.template === 'SMS_DEMO_WINBACK_A' || m.template === 'SMS_DEMO_WINBACK_B')));
      assert.ok(simulators.sms.sent.length >= byState.delivered!, `${simulators.sms.sent.length} sent to the provider`);
      const [skipped] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM outbound_messages WHERE journey_id = 'win-back' AND state = 'skipped' AND reason LIKE '%consent%'`);
      assert.ok(Number(skipped!.n) > 0, 'some dormant customers have no SMS consent');
    }));
});
