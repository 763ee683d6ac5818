import { io } from './io.ts';
import type { Command } from 'commander';
import { localActor, recordAudit } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { customerProfile } from '../segment/index.ts';
import { action, withDb, withOpenStore } from './context.ts';

export function registerCustomer(program: Command): void {
  const customer = program.command('profile').alias('customer').description('one customer');
  withDb(customer.command('show').description('the 360° profile as JSON: identities, traits, orders, attributes, layers, segments, recent events').argument('<id>'))
    .option('--reveal-pii', 'show phone, email, name and birthday unmasked (needs --reason; audited)')
    .option('--reason <text>', 'why personal data is revealed: kept in the audit log with your OS user')
    .action(
      action(async (id: string, opts: { db?: string; revealPii?: boolean; reason?: string }) => {
        const reveal = opts.revealPii === true;
        const reason = opts.reason?.trim();
        if (reveal && (!reason || reason.length < 4)) throw new SiyuError('validation', 'reveal_reason_required', '--reveal-pii needs --reason "…" (at least 4 characters): every reveal is audited');
        await withOpenStore(opts.db, async (store) => {
          const profile = await customerProfile(store, id, { reveal });
          // The OS user who runs the CLI owns the store, so no permission is checked; the reveal is still recorded.
          if (reveal) await recordAudit(store, { actor: localActor(), action: 'customer.reveal_pii', target: profile.customerId, details: { reason, via: 'siyu profile show' } });
          io().stdout.write(`${JSON.stringify(profile, null, 2)}\n`);
        });
      }),
    );
}
