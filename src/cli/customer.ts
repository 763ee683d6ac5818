import type { Command } from 'commander';
import { customerProfile } from '../segment/index.ts';
import { action, withDb, withOpenStore } from './context.ts';

export function registerCustomer(program: Command): void {
  const customer = program.command('profile').alias('customer').description('one customer');
  withDb(customer.command('show').description('the 360° profile as JSON: identities, traits, orders, attributes, layers, segments, recent events').argument('<id>'))
    .option('--reveal-pii', 'show phone, email and name unmasked')
    .action(
      action(async (id: string, opts: { db?: string; revealPii?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          process.stdout.write(`${JSON.stringify(await customerProfile(store, id, { reveal: opts.revealPii === true }), null, 2)}\n`);
        });
      }),
    );
}
