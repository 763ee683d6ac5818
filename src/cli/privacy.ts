import { io, resolvePath } from './io.ts';
import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { applyRetention, createRequest, fulfilRequest, getRequest, listQuarantine, listRequests, listRetentionPolicies, rejectRequest, REQUEST_STATUSES, REQUEST_TYPES, setRetentionPolicy, type PrivacyRequest, type RequestStatus, type RequestType } from '../privacy/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';

const row = (r: PrivacyRequest) => `${r.requestId.padEnd(22)} ${r.type.padEnd(10)} ${r.status.padEnd(9)} due ${r.dueOn}  ${r.subjectId.padEnd(24)} ${r.handler ?? ''}`;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new SiyuError('validation', 'invalid_flag', `${flag} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return value as T;
}

function parseChanges(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, string>;
  } catch (error) {
    throw new SiyuError('validation', 'invalid_flag', `--changes must be JSON like '{"email":"a@b.cn"}': ${(error as Error).message}`);
  }
}

export function registerPrivacy(program: Command): void {
  const privacy = program.command('privacy').description('data-subject requests, retention and quarantined messages (PIPL; docs/privacy.md)');
  const request = privacy.command('request').description('the data-subject request queue (PIPL art. 44–47)');

  withDb(request.command('create').description('file a request: access (a copy of everything held), correction, deletion, or withdrawal of consent'))
    .requiredOption('--type <type>', REQUEST_TYPES.join('|'))
    .requiredOption('--customer <id>', 'the customer it is about (any of their ids)')
    .option('--changes <json>', 'correction: the fields to change, e.g. \'{"email":"new@example.com","city":"杭州"}\'')
    .option('--purposes <list>', 'withdrawal: comma-separated purposes (default: every purpose)')
    .option('--note <text>', 'how the request came in and how the requester was verified')
    .option('--due-days <n>', 'working days until due (default: setting privacy.due_working_days, else 15)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; type: string; customer: string; changes?: string; purposes?: string; note?: string; dueDays?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const created = await createRequest(store, {
            type: oneOf(opts.type, REQUEST_TYPES, '--type')!,
            customerId: opts.customer,
            changes: parseChanges(opts.changes),
            purposes: opts.purposes?.split(',').map((p) => p.trim()).filter(Boolean),
            note: opts.note,
            dueWorkingDays: opts.dueDays === undefined ? undefined : parseCount(opts.dueDays, '--due-days'),
          });
          emit(opts.json, created, () => `filed ${created.requestId}: ${created.type} for ${created.subjectId}, due ${created.dueOn}`);
        }),
      ),
    );

  withDb(request.command('list').description('requests, oldest due first'))
    .option('--status <status>', REQUEST_STATUSES.join('|'))
    .option('--type <type>', REQUEST_TYPES.join('|'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; status?: string; type?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listRequests(store, { status: oneOf<RequestStatus>(opts.status, REQUEST_STATUSES, '--status'), type: oneOf<RequestType>(opts.type, REQUEST_TYPES, '--type') });
          emit(opts.json, list, () => (list.length === 0 ? 'no requests' : list.map(row).join('\n')));
        }),
      ),
    );

  withDb(request.command('show').argument('<request-id>').description('one request, with what was asked and what was done'))
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const r = await getRequest(store, id);
          emit(opts.json, r, () => [row(r), ...(r.note ? [`  note     ${r.note}`] : []), ...(r.details ? [`  asked    ${JSON.stringify(r.details)}`] : []), ...(r.result ? [`  result   ${JSON.stringify(r.result)}`] : [])].join('\n'));
        }),
      ),
    );

  withDb(request.command('fulfil').argument('<request-id>').description('carry out an open request and record who handled it'))
    .requiredOption('--handler <name>', 'who handled it')
    .option('--out <dir>', 'access: where the bundle goes (<dir>/<request id>/)', 'privacy-bundles')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { db?: string; handler: string; out: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const done = await fulfilRequest(store, id, { handler: opts.handler, outDir: resolvePath(opts.out) });
          emit(opts.json, done, () => `${done.requestId} ${done.type}: fulfilled by ${done.handler}\n  ${JSON.stringify(done.result)}`);
        }),
      ),
    );

  withDb(request.command('reject').argument('<request-id>').description('close an open request without carrying it out'))
    .requiredOption('--handler <name>', 'who decided')
    .requiredOption('--reason <text>', 'why (told to the requester)')
    .action(
      action(async (id: string, opts: { db?: string; handler: string; reason: string }) =>
        withOpenStore(opts.db, async (store) => {
          const r = await rejectRequest(store, id, { handler: opts.handler, reason: opts.reason });
          io().stdout.write(`${r.requestId}: rejected by ${r.handler}\n`);
        }),
      ),
    );

  const retention = privacy.command('retention').description('how long each table keeps its rows');
  withDb(retention.command('list').description('the retention policies')).option('--json', 'print JSON').action(
    action(async (opts: { db?: string; json?: boolean }) =>
      withOpenStore(opts.db, async (store) => {
        const list = await listRetentionPolicies(store);
        emit(opts.json, list, () => list.map((p) => `${p.table.padEnd(22)} ${String(p.keepDays).padStart(5)} days by ${p.timeColumn}${p.isEnabled ? '' : ' (disabled)'}`).join('\n'));
      }),
    ),
  );
  withDb(retention.command('set').argument('<table>').description('set how long a table keeps rows'))
    .requiredOption('--days <n>', 'days to keep')
    .option('--column <name>', 'the timestamp column rows are aged by (default: the current policy\'s)')
    .option('--disable', 'keep everything')
    .action(
      action(async (table: string, opts: { db?: string; days: string; column?: string; disable?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const current = (await listRetentionPolicies(store)).find((p) => p.table === table);
          const timeColumn = opts.column ?? current?.timeColumn;
          if (!timeColumn) throw new SiyuError('validation', 'invalid_flag', `${table} has no policy yet: give --column`);
          const p = await setRetentionPolicy(store, { table, timeColumn, keepDays: parseCount(opts.days, '--days'), isEnabled: !opts.disable });
          io().stdout.write(`${p.table}: ${p.keepDays} days by ${p.timeColumn}${p.isEnabled ? '' : ' (disabled)'}\n`);
        }),
      ),
    );
  withDb(retention.command('apply').description('delete what the policies no longer keep (the scheduler runs this daily)'))
    .option('--as-of <day>', 'apply as of this day instead of now')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; asOf?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const now = opts.asOf ? new Date(`${parseDay(opts.asOf, '--as-of')}T00:00:00Z`) : new Date();
          const results = await applyRetention(store, now);
          emit(opts.json, results, () => results.map((r) => `${r.table.padEnd(22)} ${r.skipped ? `skipped (${r.skipped})` : `${r.deleted} rows older than ${r.cutoff!.toISOString()} deleted`}`).join('\n'));
        }),
      ),
    );

  withDb(privacy.command('quarantine').description('messages held back because they name an erased person')).option('--json', 'print JSON').action(
    action(async (opts: { db?: string; json?: boolean }) =>
      withOpenStore(opts.db, async (store) => {
        const list = await listQuarantine(store);
        emit(opts.json, list, () => (list.length === 0 ? 'nothing held' : list.map((q) => `${q.messageId}  from ${q.source}, received ${q.receivedAt.toISOString()}`).join('\n')));
      }),
    ),
  );
}
