import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { formatNumber as n } from '../core/text.ts';
import { computeTiers, type TierReport } from '../segment/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';


/** The tiers as text: customers, share, the smallest value in the tier and the tier's share of all value. */
export function formatTiers(r: TierReport): string {
  return [
    `value tiers of ${n(r.customers)} customers by ${r.basis === 'clv' ? 'predicted 12-month CLV' : 'money paid in the window'}, as of ${r.asOf}, in ${r.currency}`,
    ...r.tiers.map((t) => `  ${t.zh} ${t.en.padEnd(6)} ${n(t.customers).padStart(9)} customers (${(t.share * 100).toFixed(1).padStart(4)}%)  from ${n(t.minValue, 2).padStart(10)}  ${(t.valueShare * 100).toFixed(1).padStart(5)}% of the value`),
  ].join('\n');
}

const share = (value: string, flag: string) => {
  const x = Number(value);
  if (!Number.isFinite(x) || x < 0 || x >= 1) throw new SiyuError('validation', 'invalid_flag', `${flag} must be a share between 0 and 1, not ${JSON.stringify(value)}`);
  return x;
};

export function registerTiers(program: Command): void {
  withDb(program.command('tiers').description('value tiers 头部/腰部/尾部 (head/waist/tail) by money paid or by predicted CLV → table tier_scores'))
    .option('--by <basis>', 'monetary (paid in the window) or clv (clv_12m from `siyu clv score`)', 'monetary')
    .option('--head <share>', 'share of customers in the head', '0.2')
    .option('--waist <share>', 'share of customers in the waist', '0.3')
    .option('--as-of <date>', 'monetary: reference day, brand timezone (default: day of the latest order)')
    .option('--window-days <n>', 'monetary: days of orders counted', '365')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; by: string; head: string; waist: string; asOf?: string; windowDays: string; json?: boolean }) => {
        if (opts.by !== 'monetary' && opts.by !== 'clv') throw new SiyuError('validation', 'invalid_flag', `--by must be monetary or clv, not ${JSON.stringify(opts.by)}`);
        const windowDays = parseCount(opts.windowDays, '--window-days');
        await withOpenStore(opts.db, async (store) => {
          const report = await computeTiers(store, { basis: opts.by as 'monetary' | 'clv', headShare: share(opts.head, '--head'), waistShare: share(opts.waist, '--waist'), asOf: opts.asOf, windowDays });
          emit(opts.json, report, () => formatTiers(report));
        });
      }),
    );
}
