import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { formatNumber as n, padDisplay } from '../core/text.ts';
import { computeLifecycle, STAGES, type LifecycleReport } from '../segment/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';

export function formatLifecycle(r: LifecycleReport): string {
  const name = (code: string | null) => (code === null ? '(new to Siyu)' : STAGES.find((s) => s.code === code)!.zh);
  return [
    `lifecycle stages of ${n(r.customers)} customers as of ${r.asOf}`,
    ...r.stages.map((s) => `  ${padDisplay(s.zh, 4)} ${s.en.padEnd(11)} ${n(s.customers).padStart(9)} (${(s.share * 100).toFixed(1).padStart(4)}%)`),
    `  ${n(r.changes)} changed stage (each in lifecycle_history and a Stage Changed event)${r.transitions.length ? ':' : ''}`,
    ...r.transitions
      .sort((a, b) => b.customers - a.customers)
      .slice(0, 8)
      .map((t) => `    ${name(t.from)} → ${name(t.to)}  ${n(t.customers)}`),
  ].join('\n');
}

const positive = (value: string, flag: string) => {
  const x = Number(value);
  if (!(Number.isFinite(x) && x > 0)) throw new SiyuError('validation', 'invalid_flag', `${flag} must be a positive number, not ${JSON.stringify(value)}`);
  return x;
};

export function registerLifecycle(program: Command): void {
  withDb(program.command('lifecycle').description('lifecycle stages 潜客/新客/活跃/复购/沉睡/流失/回流 with thresholds from each customer\'s own rhythm → lifecycle_stages, lifecycle_history, Stage Changed events'))
    .option('--as-of <date>', 'day the stages are judged on (default: the day of the latest order)')
    .option('--new-days <n>', 'a first purchase within this many days is new', '30')
    .option('--dormant-multiplier <k>', 'dormant after k × the customer\'s median gap', '3')
    .option('--churned-multiplier <k>', 'churned after k × the customer\'s median gap', '6')
    .option('--bound-factor <f>', 'own thresholds stay within [1/f, f] × those of their main category', '2')
    .option('--dormant-days <n>', 'dormant threshold for customers with one purchase day', '90')
    .option('--churned-days <n>', 'churned threshold for customers with one purchase day', '180')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; asOf?: string; newDays: string; dormantMultiplier: string; churnedMultiplier: string; boundFactor: string; dormantDays: string; churnedDays: string; json?: boolean }) => {
        const options = {
          asOf: opts.asOf,
          newDays: parseCount(opts.newDays, '--new-days'),
          dormantMultiplier: positive(opts.dormantMultiplier, '--dormant-multiplier'),
          churnedMultiplier: positive(opts.churnedMultiplier, '--churned-multiplier'),
          boundFactor: positive(opts.boundFactor, '--bound-factor'),
          dormantDays: parseCount(opts.dormantDays, '--dormant-days'),
          churnedDays: parseCount(opts.churnedDays, '--churned-days'),
        };
        await withOpenStore(opts.db, async (store) => {
          const report = await computeLifecycle(store, options);
          emit(opts.json, report, () => formatLifecycle(report));
        });
      }),
    );
}
