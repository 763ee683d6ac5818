import { io } from './io.ts';
import type { Command } from 'commander';
import { deleteRole, listRoles, localActor, PERMISSIONS, saveRole, type Permission } from '../access/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerRoles(program: Command): void {
  const roles = program.command('roles').description('roles: named sets of permissions; five are built in, brands add their own; every change is audited');

  withDb(roles.command('list').description('built-in and brand roles with their permissions'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listRoles(store);
          emit(opts.json, list, () => list.map((r) => `${r.name.padEnd(12)} ${r.isBuiltIn ? 'built-in' : 'brand   '}  ${r.label}\n${' '.repeat(24)}${r.permissions.join(' ')}`).join('\n'));
        }),
      ),
    );

  roles
    .command('permissions')
    .description('every permission code and what it allows (API key scopes are the same codes)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        emit(opts.json, PERMISSIONS, () => Object.entries(PERMISSIONS).map(([code, what]) => `${code.padEnd(22)} ${what}`).join('\n'));
      }),
    );

  withDb(roles.command('save').argument('<name>', 'lower-case letters, digits, _ or -').description('create or replace a brand role'))
    .requiredOption('--permission <code>', 'a permission, repeatable (see: siyu roles permissions)', collect)
    .option('--label <text>', 'how the console names it, e.g. "门店店长 store manager"')
    .action(
      action(async (name: string, opts: { db?: string; permission: string[]; label?: string }) =>
        withOpenStore(opts.db, async (store) => {
          const role = await saveRole(store, { name, label: opts.label, permissions: opts.permission as Permission[] }, localActor());
          io().stdout.write(`saved role ${role.name}: ${role.permissions.join(' ')}\n`);
        }),
      ),
    );

  withDb(roles.command('delete').argument('<name>').description('delete a brand role that no user holds')).action(
    action(async (name: string, opts: { db?: string }) =>
      withOpenStore(opts.db, async (store) => {
        await deleteRole(store, name, localActor());
        io().stdout.write(`deleted role ${name}\n`);
      }),
    ),
  );
}
