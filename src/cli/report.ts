import type { Command } from 'commander';
import type { z } from 'zod';
import {
  BreakdownQuery,
  breakdownRequest,
  CohortQuery,
  cohortsRequest,
  definitionsMarkdown,
  definitionsRequest,
  DIMENSIONS,
  formatBreakdown,
  formatCohorts,
  formatDefinitions,
  formatFunnel,
  formatKpis,
  formatRetention,
  FunnelBody,
  funnelRequest,
  KpiQuery,
  kpisRequest,
  RetentionQuery,
  retentionRequest,
} from '../analytics/index.ts';
import { SiyuError } from '../core/errors.ts';
import { zodDetails } from '../core/validation.ts';
import { io } from './io.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';
import { registerLoyaltyReport } from './loyalty.ts';

/** Parses flags with the HTTP request's schema, so both validate alike; a problem names the flag (`--window-days`). */
function flags<S extends z.ZodType>(schema: S, values: Record<string, unknown>): z.output<S> {
  const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  const result = schema.safeParse(defined);
  if (result.success) return result.data;
  const details = zodDetails(result.error).map((d) => ({ ...d, path: `--${(d.path ?? '').split(/[.[]/)[0]!.replaceAll('_', '-')}${(d.path ?? '').replace(/^[^.[]*/, '')}` }));
  throw new SiyuError('validation', 'invalid_flag', `invalid flags: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
}

const period = (c: Command) => c.option('--from <day>', 'first local day of the period (brand timezone)').option('--to <day>', 'the day after the period (excluded)');

export function registerReport(program: Command): void {
  const report = program.command('report').description('commerce analytics: KPIs, breakdowns, retention, LTV cohorts and funnels (the console\'s numbers; --json as the HTTP API answers)');

  withDb(period(report.command('kpis').description('GMV, orders, buyers, AOV and spend per buyer, repeat rate, new buyers, active ratio against a comparison period')))
    .option('--compare <kind>', 'previous | year', 'previous')
    .option('--repurchase-days <n>', 'N of the new-buyer N-day repurchase rate', '30')
    .option('--by <dimension>', `break the period down instead: ${DIMENSIONS.join(' | ')}`)
    .option('--json', 'print JSON')
    .action(
      action(async (o: { db?: string; from?: string; to?: string; compare: string; repurchaseDays: string; by?: string; json?: boolean }) =>
        withOpenStore(o.db, async (store) => {
          if (o.by) {
            const body = await breakdownRequest(store, flags(BreakdownQuery, { by: o.by, from: o.from, to: o.to }));
            return emit(o.json, body, () => formatBreakdown(body));
          }
          const body = await kpisRequest(store, flags(KpiQuery, { from: o.from, to: o.to, compare: o.compare, repurchase_days: o.repurchaseDays }));
          emit(o.json, body, () => formatKpis(body));
        }),
      ),
    );

  withDb(report.command('retention').description('retention of first-purchase cohorts by week or month, and D1/D7/D30'))
    .option('--by <grain>', 'week | month', 'month')
    .option('--events', 'count any event of the customer\'s own as returning, not only purchases')
    .option('--cohorts <n>', 'cohorts shown', '12')
    .option('--to <day>', 'a day in the last cohort shown (default: the latest day with data)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { db?: string; by: string; events?: boolean; cohorts: string; to?: string; json?: boolean }) =>
        withOpenStore(o.db, async (store) => {
          const body = await retentionRequest(store, flags(RetentionQuery, { grain: o.by, basis: o.events ? 'events' : 'purchases', cohorts: o.cohorts, to: o.to }));
          emit(o.json, body, () => formatRetention(body));
        }),
      ),
    );

  withDb(report.command('cohorts').description('LTV cohorts: cumulative net paid per customer by acquisition month, with the CLV forecast for months not yet over'))
    .option('--cohorts <n>', 'acquisition months shown', '12')
    .option('--months <n>', 'months since acquisition shown', '12')
    .option('--to <day>', 'a day in the last acquisition month shown (default: the latest order day)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { db?: string; cohorts: string; months: string; to?: string; json?: boolean }) =>
        withOpenStore(o.db, async (store) => {
          const body = await cohortsRequest(store, flags(CohortQuery, { cohorts: o.cohorts, months: o.months, to: o.to }));
          emit(o.json, body, () => formatCohorts(body));
        }),
      ),
    );

  withDb(period(report.command('funnel').description('a funnel over event steps within a conversion window, and the cart abandonment rate')))
    .requiredOption('--steps <list>', 'comma-separated event names in order, e.g. "Product Viewed,Product Added,Order Completed"')
    .option('--window-days <n>', 'each step within this many days of the first', '14')
    .option('--by <dimension>', 'channel')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { db?: string; steps: string; windowDays: string; by?: string; from?: string; to?: string; json?: boolean }) =>
        withOpenStore(o.db, async (store) => {
          const steps = o.steps.split(',').map((event) => ({ event: event.trim() }));
          const windowDays = Number(o.windowDays);
          const body = await funnelRequest(store, flags(FunnelBody, { steps, window_days: Number.isFinite(windowDays) ? windowDays : o.windowDays, by: o.by, from: o.from, to: o.to }));
          emit(o.json, body, () => formatFunnel(body));
        }),
      ),
    );

  report
    .command('definitions')
    .description('what every analytics metric means, in English and Chinese')
    .option('--markdown', 'the table docs/analytics.md holds')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { markdown?: boolean; json?: boolean }) => {
        if (o.markdown) {
          io().stdout.write(`${definitionsMarkdown()}\n`);
          return;
        }
        const body = definitionsRequest();
        emit(o.json, body, () => formatDefinitions(body.metrics));
      }),
    );
  registerLoyaltyReport(report);
}
