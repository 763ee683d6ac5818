import type { Command } from 'commander';
import { computeOverview, formatOverview } from '../analytics/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

export function registerStats(program: Command): void {
  withDb(program.command('stats').description('customers, orders, GMV by channel and month'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const overview = await computeOverview(store);
          emit(opts.json, overview, () => formatOverview(overview));
        }),
      ),
    );
}
