import { io } from './io.ts';
import type { Command } from 'commander';
import { formatNumber as n } from '../core/text.ts';
import { computeLayers, updateLayers } from '../segment/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

export function registerLayers(program: Command): void {
  const layers = program.command('layers').description('compute every customer layer at once (nightly), or update the customers whose data changed since (docs/segmentation.md)');
  withDb(
    layers
      .command('compute')
      .description('the nightly job: attributes, RFM, value tiers, lifecycle stages and saved segments, for the customers who can have changed since the last run (everyone with --full)'),
  )
    .option('--as-of <date>', 'day to compute on (default: the latest order day)')
    .option('--full', 'recompute every customer from all orders and events, not only those who can have changed')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; asOf?: string; full?: boolean; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const started = performance.now();
          const report = await computeLayers(store, { asOf: opts.asOf, full: opts.full, onStep: opts.json ? undefined : (step, seconds) => io().stderr.write(`  ${step.padEnd(28)} ${seconds.toFixed(2)} s\n`) });
          const seconds = (performance.now() - started) / 1000;
          emit(opts.json, { ...report, seconds }, () =>
            [
              `computed ${report.steps.length} layers and segments as of ${report.asOf} (${report.mode === 'incremental' ? `incremental: ${n(report.steps[0]?.customers ?? 0)} customers could have changed` : 'every customer'}) in ${seconds.toFixed(1)} s`,
              ...(report.skippedSegments.length ? [`skipped ${report.skippedSegments.join(', ')}: refreshed as of a later day`] : []),
            ].join('\n'),
          );
        });
      }),
    );
  withDb(layers.command('update').description('bring every layer and segment up to date for the customers with new orders or events since the last run'))
    .option('--as-of <date>', 'day to judge them on (default: the latest order day)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; asOf?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const started = performance.now();
          const r = await updateLayers(store, { asOf: opts.asOf, onStep: opts.json ? undefined : (step, seconds) => io().stderr.write(`  ${step.padEnd(20)} ${seconds.toFixed(2)} s\n`) });
          const seconds = (performance.now() - started) / 1000;
          emit(opts.json, { ...r, seconds }, () =>
            [
              `${n(r.customers)} customers changed since ${r.since.toISOString()}; updated as of ${r.asOf} in ${seconds.toFixed(2)} s:`,
              `  attributes ${n(r.updated.attributes)}, RFM ${n(r.updated.rfm)}, tiers ${n(r.updated.tiers)}, lifecycle ${n(r.updated.lifecycle)}`,
              ...r.segments.map((s) => `  segment ${s.segment}: ${n(s.members)} members, ${n(s.entered)} entered, ${n(s.exited)} exited`),
            ].join('\n'),
          );
        });
      }),
    );
}
