import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { getContactPolicy, updateContactPolicy } from '../channels/index.ts';
import { SiyuError } from '../core/errors.ts';
import { formatNumber as n } from '../core/text.ts';
import { enterJourney, getJourney, journeyReport, listJourneys, parseJourneyDefinition, publishJourney, saveJourneyDraft, setJourneyStatus, simulateJourney, type JourneyReport, type Simulation } from '../journey/index.ts';
import { readBrandSettings } from '../store/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';
import { io, resolvePath } from './io.ts';

/** A JSON file named on the command line; a syntax error names the file. */
function readJson(file: string): unknown {
  const path = resolvePath(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SiyuError('not_found', 'file_not_found', `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SiyuError('validation', 'invalid_json', `${file}: not JSON: ${(error as Error).message}`, { details: [{ file, message: (error as Error).message }] });
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatReport(r: JourneyReport): string {
  const lines = [`${r.journeyId} (${r.name}), ${r.status}: ${n(r.entered)} entered, ${n(r.active)} active, ${n(r.completed)} completed, ${n(r.exited)} exited, ${n(r.heldOut)} held out`];
  if (r.goal) lines.push(`goal: ${r.goal.event} within ${r.goal.withinDays} days; arms count those who entered by ${r.windowsClosedBy.toISOString().slice(0, 10)} (${n(r.windowsOpen)} more still have their window open)`);
  for (const a of r.arms) {
    const uplift = a.uplift ? `  uplift ${a.uplift.difference >= 0 ? '+' : ''}${pct(a.uplift.difference)} [${pct(a.uplift.interval.low)}, ${pct(a.uplift.interval.high)}] p=${a.uplift.pValue.toFixed(3)}` : '';
    const revenue = a.revenueUplift ? `  revenue/customer ${a.revenueUplift.difference >= 0 ? '+' : ''}¥${(a.revenueUplift.difference / 100).toFixed(2)} [¥${(a.revenueUplift.interval.low / 100).toFixed(2)}, ¥${(a.revenueUplift.interval.high / 100).toFixed(2)}]` : '';
    lines.push(`  ${a.arm.padEnd(14)} ${n(a.customers).padStart(8)} customers  converted ${pct(a.conversionRate).padStart(6)}  ¥${(a.revenuePerCustomerFen / 100).toFixed(2)}/customer${uplift}${revenue}`);
  }
  if (r.sampleSizeNeeded) lines.push(`  to detect this difference at 80% power: ${n(r.sampleSizeNeeded)} customers per group`);
  lines.push('steps:');
  for (const s of r.steps) {
    const outcomes = Object.entries(s.outcomes).map(([k, v]) => `${k} ${n(v)}`).join(', ');
    const messages = Object.entries(s.messages).map(([k, v]) => `${k} ${n(v)}`).join(', ');
    lines.push(`  ${s.node.padEnd(16)} ${s.kind.padEnd(15)} ${outcomes || '—'}${s.active ? `; waiting ${n(s.active)}` : ''}${messages ? `; messages: ${messages}` : ''}`);
  }
  return lines.join('\n');
}

function formatSimulation(s: Simulation): string {
  const lines = [`${s.customerId} through ${s.journeyId} v${s.version}${s.heldOut ? ' (held out)' : ''}:`];
  for (const step of s.steps) {
    lines.push(`  ${step.at.toISOString().replace('T', ' ').slice(0, 16)}  ${step.node.padEnd(16)} ${step.kind.padEnd(15)} ${step.outcome}`);
    if (step.message) lines.push(`      ${step.message.channel}: ${step.message.subject ? `${step.message.subject} — ` : ''}${step.message.body}`);
  }
  lines.push(`  → ${s.end}${s.convertedAt ? `; converted ${s.convertedAt.toISOString()}` : ''}`);
  return lines.join('\n');
}

export function registerJourney(program: Command): void {
  const journey = program.command('journey').description('customer journeys: entries, waits, splits, messages, holdouts and uplift (docs/journeys.md)');

  withDb(journey.command('create').description('create a journey, or replace its draft, from a JSON file: { id, name, description?, definition }').requiredOption('--file <path>', 'the journey as JSON'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; file: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const saved = await saveJourneyDraft(store, readJson(opts.file));
          emit(opts.json, saved, () => `journey ${saved.id} saved as a draft; \`siyu journey publish ${saved.id}\` publishes it`);
        }),
      ),
    );

  withDb(journey.command('validate').description('check a journey file without saving it; every problem is named by its step and field').requiredOption('--file <path>'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; file: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const input = readJson(opts.file) as { definition?: unknown };
          const definition = parseJourneyDefinition(input?.definition ?? input, (await readBrandSettings(store)).timezone);
          emit(opts.json, definition, () => `valid: ${Object.keys(definition.nodes).length} steps, entered by ${definition.entry.kind}`);
        }),
      ),
    );

  withDb(journey.command('publish').description('publish the draft as a new version (templates and conditions checked against the store)').argument('<id>')).action(
    action(async (id: string, opts: { db?: string }) =>
      withOpenStore(opts.db, async (store) => {
        const published = await publishJourney(store, id);
        io().stdout.write(`journey ${id} version ${published.publishedVersion} published (${published.status})\n`);
      }),
    ),
  );

  for (const [verb, status, help] of [
    ['pause', 'paused', 'no new entrants; running instances hold where they are'],
    ['resume', 'active', 'entrants again; held instances go on'],
    ['archive', 'archived', 'no entrants, and running instances exit'],
  ] as const) {
    withDb(journey.command(verb).description(`${verb} a journey: ${help}`).argument('<id>')).action(
      action(async (id: string, opts: { db?: string }) =>
        withOpenStore(opts.db, async (store) => {
          const changed = await setJourneyStatus(store, id, status);
          io().stdout.write(`journey ${id} is ${changed.status}\n`);
        }),
      ),
    );
  }

  withDb(journey.command('list').description('every journey with its status and version'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listJourneys(store);
          emit(opts.json, list, () => (list.length ? list.map((j) => `${j.id.padEnd(20)} ${j.status.padEnd(9)} v${j.publishedVersion ?? '-'}${j.draft ? ' (draft changes)' : ''}  ${j.name}`).join('\n') : 'no journeys yet: siyu journey create --file journey.json'));
        }),
      ),
    );

  withDb(journey.command('show').description('a journey: its published definition and draft').argument('<id>')).action(
    action(async (id: string, opts: { db?: string }) =>
      withOpenStore(opts.db, async (store) => {
        io().stdout.write(`${JSON.stringify(await getJourney(store, id), null, 2)}\n`);
      }),
    ),
  );

  withDb(journey.command('stats').description('the journey report: entries, steps, messages, conversion and uplift against the holdout with 95% intervals').argument('<id>'))
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const report = await journeyReport(store, id);
          emit(opts.json, report, () => formatReport(report));
        }),
      ),
    );

  withDb(journey.command('simulate').description('a dry run: the path one customer would take and the messages they would get; nothing is written or sent').argument('<id>'))
    .requiredOption('--customer <id>', 'the customer')
    .option('--from <date>', 'when they enter (default: now)')
    .option('--days <n>', 'how many days to follow', '30')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { db?: string; customer: string; from?: string; days: string; json?: boolean }) => {
        const from = opts.from ? new Date(opts.from) : new Date();
        if (Number.isNaN(from.getTime())) throw new SiyuError('validation', 'invalid_flag', `--from must be a date or time, like 2026-12-01 or 2026-12-01T09:00:00+08:00, not ${JSON.stringify(opts.from)}`);
        const days = parseCount(opts.days, '--days');
        await withOpenStore(opts.db, async (store) => {
          const simulation = await simulateJourney(store, id, { customerId: opts.customer, from, days });
          emit(opts.json, simulation, () => formatSimulation(simulation));
        });
      }),
    );

  withDb(journey.command('enter').description('enter customers into an api-entry journey; each key enters once').argument('<id>').argument('<customer-ids...>'))
    .option('--key <prefix>', 'idempotency key prefix: a repeat with the same key enters nobody twice', 'cli')
    .action(
      action(async (id: string, customers: string[], opts: { db?: string; key: string }) =>
        withOpenStore(opts.db, async (store) => {
          const { entered } = await enterJourney(store, id, customers.map((c) => ({ customerId: c, key: `${opts.key}:${c}` })));
          io().stdout.write(`${n(entered)} of ${n(customers.length)} entered ${id}\n`);
        }),
      ),
    );

  const policy = program.command('contact-policy').description('the global contact policy: frequency caps, quiet hours, the global control group (docs/journeys.md)');
  withDb(policy.command('show').description('the policy in force'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const current = await getContactPolicy(store);
          emit(opts.json, current, () => JSON.stringify(current, null, 2));
        }),
      ),
    );
  withDb(policy.command('set').description('change it from a JSON file of the fields to change, e.g. {"quiet_hours": {"start": "22:00", "end": "08:00"}}').requiredOption('--file <path>')).action(
    action(async (opts: { db?: string; file: string }) =>
      withOpenStore(opts.db, async (store) => {
        io().stdout.write(`${JSON.stringify(await updateContactPolicy(store, readJson(opts.file)), null, 2)}\n`);
      }),
    ),
  );
}
