import { io } from './io.ts';
import type { Command } from 'commander';
import {
  assignCustomers,
  createUser,
  formatDataScope,
  generatePassword,
  listUsers,
  localActor,
  parseDataScope,
  readAccessSettings,
  resetPassword,
  resetTotp,
  updateAccessSettings,
  updateUser,
  type User,
} from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Reads everything on standard input (a password piped in), without its final line break. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks for a line on the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  io().stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      io().stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return (finish(), resolve(text));
        if (ch === '\u0003') return (finish(), reject(new SiyuError('validation', 'cancelled', 'cancelled')));
        text = ch === '\u007f' || ch === '\b' ? text.slice(0, -1) : text + ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * A new password: generated (and printed once), piped on standard input, or typed twice at a terminal prompt. Never a
 * flag, which would sit in the shell history and the process list.
 */
async function newPassword(opts: { passwordStdin?: boolean; generatePassword?: boolean }): Promise<{ password: string; generated: boolean }> {
  if (opts.generatePassword) return { password: generatePassword(), generated: true };
  // A CLI whose command runs inside the server that holds the store cannot hand the server its terminal.
  if (io().store) throw new SiyuError('validation', 'password_input_unavailable', 'this command runs inside the server, which cannot read your terminal: use --generate-password, or stop the server and run it locally');
  if (opts.passwordStdin) return { password: await readStdin(), generated: false };
  if (!process.stdin.isTTY) throw new SiyuError('validation', 'password_required', 'no terminal to ask for the password: pipe it with --password-stdin, or use --generate-password');
  const first = await promptHidden('New password (at least 10 characters): ');
  const again = await promptHidden('Again: ');
  if (first !== again) throw new SiyuError('validation', 'password_mismatch', 'the two passwords differ; nothing was changed');
  return { password: first, generated: false };
}

const row = (u: User) => `${u.username.padEnd(20)} ${u.roles.join(',').padEnd(24)} ${formatDataScope(u.dataScope).padEnd(24)} ${(u.hasTotp ? 'totp' : '-').padEnd(5)} ${u.isDisabled ? 'disabled' : 'active'}`;

export function registerUsers(program: Command): void {
  const users = program.command('users').description('console users: passwords (Argon2id), roles, data scopes, second factor; every change is audited');

  withDb(users.command('create').argument('<username>').description('create a user; the password is prompted for, piped with --password-stdin, or generated'))
    .requiredOption('--role <role>', 'a role, repeatable: admin, operator, analyst, service, viewer or a brand role', collect)
    .option('--data-scope <scope>', 'which customers they see: all (default), own, stores:ID,…, channels:NAME,…, regions:CITY_OR_PROVINCE,…')
    .option('--display-name <name>', 'how the console shows them')
    .option('--password-stdin', 'read the password from standard input')
    .option('--generate-password', 'generate a password and print it once')
    .option('--json', 'print JSON')
    .action(
      action(async (username: string, opts: { db?: string; role: string[]; dataScope?: string; displayName?: string; passwordStdin?: boolean; generatePassword?: boolean; json?: boolean }) => {
        const dataScope = opts.dataScope ? parseDataScope(opts.dataScope) : undefined;
        const { password, generated } = await newPassword(opts);
        await withOpenStore(opts.db, async (store) => {
          const user = await createUser(store, { username, password, roles: opts.role, dataScope, displayName: opts.displayName }, localActor());
          emit(opts.json, generated ? { ...user, password } : user, () => `created ${user.username} (${user.roles.join(', ')}; customers: ${formatDataScope(user.dataScope)})${generated ? `\npassword: ${password}\n(shown only now)` : ''}`);
        });
      }),
    );

  withDb(users.command('list').description('users with their roles, data scopes, second factor and status'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listUsers(store);
          emit(opts.json, list, () => (list.length === 0 ? 'no users yet; create the first admin with: siyu users create admin --role admin' : [`${'USERNAME'.padEnd(20)} ${'ROLES'.padEnd(24)} ${'DATA SCOPE'.padEnd(24)} 2FA   STATUS`, ...list.map(row)].join('\n')));
        }),
      ),
    );

  withDb(users.command('update').argument('<username>').description("change a user's roles, data scope or display name"))
    .option('--role <role>', 'the new roles, repeatable (replaces the old ones)', collect)
    .option('--data-scope <scope>', 'all, own, stores:ID,…, channels:NAME,… or regions:CITY_OR_PROVINCE,…')
    .option('--display-name <name>', 'how the console shows them')
    .action(
      action(async (username: string, opts: { db?: string; role?: string[]; dataScope?: string; displayName?: string }) =>
        withOpenStore(opts.db, async (store) => {
          const user = await updateUser(store, username, { roles: opts.role, dataScope: opts.dataScope ? parseDataScope(opts.dataScope) : undefined, displayName: opts.displayName }, localActor());
          io().stdout.write(`${row(user)}\n`);
        }),
      ),
    );

  for (const [name, isDisabled, what] of [['disable', true, 'stop a user signing in and end their sessions'], ['enable', false, 'let a disabled user sign in again']] as const) {
    withDb(users.command(name).argument('<username>').description(what)).action(
      action(async (username: string, opts: { db?: string }) =>
        withOpenStore(opts.db, async (store) => {
          await updateUser(store, username, { isDisabled }, localActor());
          io().stdout.write(`${name}d ${username}\n`);
        }),
      ),
    );
  }

  withDb(users.command('reset-password').argument('<username>').description("set a user's password; ends their sessions and clears a lock-out"))
    .option('--password-stdin', 'read the password from standard input')
    .option('--generate-password', 'generate a password and print it once')
    .action(
      action(async (username: string, opts: { db?: string; passwordStdin?: boolean; generatePassword?: boolean }) => {
        const { password, generated } = await newPassword(opts);
        await withOpenStore(opts.db, async (store) => {
          await resetPassword(store, username, password, localActor());
          io().stdout.write(`password of ${username} reset${generated ? `; new password: ${password} (shown only now)` : ''}\n`);
        });
      }),
    );

  withDb(users.command('totp-reset').argument('<username>').description("remove a user's second factor (a lost phone); they enrol again after signing in")).action(
    action(async (username: string, opts: { db?: string }) =>
      withOpenStore(opts.db, async (store) => {
        await resetTotp(store, username, localActor());
        io().stdout.write(`second factor of ${username} removed\n`);
      }),
    ),
  );

  withDb(users.command('assign').argument('<username>').argument('<customer-ids...>').description('assign customers to a user, for the `own` data scope (a WeCom guide and their customers)')).action(
    action(async (username: string, ids: string[], opts: { db?: string }) =>
      withOpenStore(opts.db, async (store) => {
        const added = await assignCustomers(store, username, ids, localActor());
        io().stdout.write(`assigned ${added} customer${added === 1 ? '' : 's'} to ${username}${added < new Set(ids).size ? ' (the rest were already theirs)' : ''}\n`);
      }),
    ),
  );

  withDb(users.command('settings').description('show or change sign-in settings: session_hours, session_idle_minutes, lockout_failures, lockout_minutes, ip_failures, require_admin_totp'))
    .option('--set <key=value>', 'change a setting, repeatable (audited)', collect)
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; set?: string[]; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const changes = Object.fromEntries(
            (opts.set ?? []).map((pair) => {
              const at = pair.indexOf('=');
              if (at < 1) throw new SiyuError('validation', 'invalid_flag', `--set takes key=value, not ${JSON.stringify(pair)}`);
              return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
            }),
          );
          const settings = Object.keys(changes).length ? await updateAccessSettings(store, changes, localActor()) : await readAccessSettings(store);
          emit(opts.json, settings, () => Object.entries(settings).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).padEnd(22)} ${String(v)}`).join('\n'));
        }),
      ),
    );
}
