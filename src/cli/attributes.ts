import { io } from './io.ts';
import type { Command } from 'commander';
import { formatNumber as n, padDisplay } from '../core/text.ts';
import { attributeDefinitions, computeAttributes, defineAttribute, dropAttribute, type AttributeDefinition } from '../segment/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

export function registerAttributes(program: Command): void {
  const attributes = program.command('attributes').description('computed customer attributes: recency, order counts and spend by window, AOV, gaps, category affinity, channels, coupons, refunds, activity… (docs/segmentation.md)');
  withDb(attributes.command('compute').description('compute every attribute for every customer → customer_attributes'))
    .option('--as-of <date>', 'day to compute as of (default: the latest order day)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; asOf?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const r = await computeAttributes(store, { asOf: opts.asOf });
          emit(opts.json, r, () => `computed ${n(r.attributes)} attributes for ${n(r.customers)} customers as of ${r.asOf} → customer_attributes`);
        });
      }),
    );
  withDb(attributes.command('list').description('every attribute: name, labels, type and definition'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const all = await attributeDefinitions(store);
          emit(opts.json, all, () => all.map((a) => `${a.name.padEnd(28)} ${padDisplay(a.zh, 20)} ${a.type.padEnd(6)} ${a.description}`).join('\n'));
        });
      }),
    );
  withDb(attributes.command('define').description("add or replace one of the brand's own attributes").argument('<name>', 'snake_case name'))
    .requiredOption('--sql <expression>', 'one SQL expression over o (orders), i (order lines), e (events), u (the customer) and $1 (the as-of day); see docs/segmentation.md')
    .option('--type <type>', 'number, text or date', 'number')
    .option('--zh <label>', 'Chinese label')
    .option('--en <label>', 'English label')
    .option('--description <text>', 'what it means')
    .action(
      action(async (name: string, opts: { db?: string; sql: string; type: string; zh?: string; en?: string; description?: string }) => {
        await withOpenStore(opts.db, async (store) => {
          const definition = { name, sql: opts.sql, type: opts.type as AttributeDefinition['type'], zh: opts.zh ?? name, en: opts.en ?? name, description: opts.description ?? '' };
          await defineAttribute(store, definition);
          io().stdout.write(`attribute ${name} defined; run \`siyu attributes compute\` to fill it\n`);
        });
      }),
    );
  withDb(attributes.command('drop').description("remove one of the brand's own attributes").argument('<name>')).action(
    action(async (name: string, opts: { db?: string }) => {
      await withOpenStore(opts.db, async (store) => {
        io().stdout.write((await dropAttribute(store, name)) ? `attribute ${name} dropped\n` : `no attribute ${name} to drop\n`);
      });
    }),
  );
}
