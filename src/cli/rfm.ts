import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { formatNumber as n, padDisplay as pad } from '../core/text.ts';
import { computeRfm, type RfmReport, type RfmThreshold } from '../segment/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';


/** The 8-class table and the R×F grid, as text. */
export function formatRfm(r: RfmReport, scheme: 'cn8' | 'quintile' | 'both' = 'both'): string {
  const lines = [
    `RFM of ${n(r.customers)} customers as of ${r.asOf}; frequency and money over the last ${r.windowDays} days, in ${r.currency}`,
    `  ${r.threshold}: recency ${n(r.thresholds.recencyDays, 1)} days, ${n(r.thresholds.frequency, 2)} orders, ${r.currency} ${n(r.thresholds.monetary, 2)}`,
  ];
  if (scheme !== 'quintile') {
    lines.push('', `  ${pad('class', 34)} customers   share  recency  orders  ${'money'.padStart(10)}`);
    for (const c of r.classes) {
      lines.push(`  ${pad(`${c.zh} ${c.en}`, 34)} ${n(c.customers).padStart(9)}  ${(c.share * 100).toFixed(1).padStart(5)}%  ${n(c.meanRecencyDays).padStart(7)}  ${n(c.meanFrequency, 1).padStart(6)}  ${n(c.meanMonetary).padStart(10)}`);
    }
  }
  if (scheme !== 'cn8') {
    lines.push('', '  customers by R score (rows, 5 = most recent) and F score (columns, 5 = most orders):', `       ${[1, 2, 3, 4, 5].map((f) => `F${f}`.padStart(8)).join('')}`);
    for (const rScore of [5, 4, 3, 2, 1]) lines.push(`    R${rScore} ${[1, 2, 3, 4, 5].map((f) => n(r.grid.find((g) => g.r === rScore && g.f === f)?.customers ?? 0).padStart(8)).join('')}`);
  }
  return lines.join('\n');
}

export function registerRfm(program: Command): void {
  withDb(program.command('rfm').description('layer customers by recency, frequency and money: quintile scores and the Chinese 8-class model → table rfm_scores'))
    .option('--scheme <scheme>', 'what to print: cn8 (8 classes), quintile (R×F grid) or both; both are always stored', 'both')
    .option('--threshold <t>', 'mean|median: what high and low R, F, M are measured against', 'mean')
    .option('--as-of <date>', 'reference day, brand timezone (default: day of the latest order)')
    .option('--window-days <n>', 'days of orders that frequency and money count', '365')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; scheme: string; threshold: string; asOf?: string; windowDays: string; json?: boolean }) => {
        if (!['cn8', 'quintile', 'both'].includes(opts.scheme)) throw new SiyuError('validation', 'invalid_scheme', `--scheme must be cn8, quintile or both, not ${JSON.stringify(opts.scheme)}`);
        const windowDays = parseCount(opts.windowDays, '--window-days');
        await withOpenStore(opts.db, async (store) => {
          const report = await computeRfm(store, { asOf: opts.asOf, windowDays, threshold: opts.threshold as RfmThreshold });
          emit(opts.json, report, () => formatRfm(report, opts.scheme as 'cn8' | 'quintile' | 'both'));
        });
      }),
    );
}
