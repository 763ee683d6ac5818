import { io, resolvePath } from './io.ts';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SiyuError } from '../core/errors.ts';
import { formatNumber as n } from '../core/text.ts';
import { customerTags, defineTag, refreshTags, setTags, tagHistory, uploadTags } from '../segment/index.ts';
import { action, emit, withDb, withOpenStore } from './context.ts';

export function registerTag(program: Command): void {
  const tag = program.command('tag').description('tags: rule tags from segment definitions, manual tags by hand, upload or API, with history (docs/segmentation.md)');
  withDb(tag.command('define').description('define a rule tag (--rule JSON or --file), a real-time one (--realtime with one event condition) or a manual one (--manual)').argument('<name>'))
    .option('--rule <json>', 'the segment definition that decides who carries it')
    .option('--realtime', 'apply as events arrive (the rule must be one event condition); `siyu serve` does this')
    .option('--file <path>', 'or a file holding the definition')
    .option('--manual', 'a tag people set')
    .option('--description <text>', 'what it means')
    .action(
      action(async (name: string, opts: { db?: string; rule?: string; file?: string; manual?: boolean; realtime?: boolean; description?: string }) => {
        const text = opts.rule ?? (opts.file ? readFileSync(resolvePath(opts.file), 'utf8') : undefined);
        if (!opts.manual === (text === undefined)) throw new SiyuError('validation', 'missing_flag', 'give --rule JSON (or --file) for a rule tag, or --manual');
        let definition: unknown;
        try {
          definition = text === undefined ? undefined : JSON.parse(text);
        } catch (error) {
          throw new SiyuError('validation', 'invalid_json', `the rule is not JSON: ${(error as Error).message}`);
        }
        await withOpenStore(opts.db, async (store) => {
          await defineTag(store, { name, kind: opts.manual ? 'manual' : opts.realtime ? 'realtime' : 'rule', definition, description: opts.description });
          io().stdout.write(`tag ${name} defined${opts.manual ? '' : `; \`siyu tag refresh ${name}\` applies it`}\n`);
        });
      }),
    );
  withDb(tag.command('refresh').description('apply rule tags: customers who match get the tag, those who stopped lose it').argument('[name]'))
    .option('--as-of <date>', 'day to evaluate on (default: the latest order day)')
    .action(
      action(async (name: string | undefined, opts: { db?: string; asOf?: string }) => {
        await withOpenStore(opts.db, async (store) => {
          const reports = await refreshTags(store, { name, asOf: opts.asOf });
          io().stdout.write(`${reports.length ? reports.map((r) => `${r.tag}: ${n(r.members)} customers (+${n(r.added)}, −${n(r.removed)})`).join('\n') : 'no rule tags'}\n`);
        });
      }),
    );
  withDb(tag.command('add').description('set a manual tag on customers, by id or from a CSV with a customer_id column').argument('<tag>').argument('[ids...]'))
    .option('--file <csv>', 'CSV with a customer_id column')
    .option('--by <name>', 'who is tagging, for the history', process.env.USER ?? 'cli')
    .action(
      action(async (name: string, ids: string[], opts: { db?: string; file?: string; by: string }) => {
        await withOpenStore(opts.db, async (store) => {
          const r = opts.file ? await uploadTags(store, name, resolvePath(opts.file), `${opts.by} (upload ${opts.file})`) : await setTags(store, name, ids, opts.by);
          io().stdout.write(`${name}: ${n(r.changed)} customers tagged\n`);
        });
      }),
    );
  withDb(tag.command('remove').description('remove a manual tag from customers').argument('<tag>').argument('<ids...>'))
    .option('--by <name>', 'who is untagging, for the history', process.env.USER ?? 'cli')
    .action(
      action(async (name: string, ids: string[], opts: { db?: string; by: string }) => {
        await withOpenStore(opts.db, async (store) => {
          const r = await setTags(store, name, ids, opts.by, 'remove');
          io().stdout.write(`${name}: removed from ${n(r.changed)} customers\n`);
        });
      }),
    );
  withDb(tag.command('show').description("a customer's tags and their history").argument('<id>'))
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { db?: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const r = { tags: await customerTags(store, id), history: await tagHistory(store, id) };
          emit(opts.json, r, () => [...r.tags.map((t) => `${t.tag}  (${t.source}, by ${t.setBy}, ${t.setAt.toISOString()})`), ...r.history.map((h) => `  ${h.at.toISOString()} ${h.action} ${h.tag} by ${h.by}`)].join('\n') || 'no tags');
        });
      }),
    );
}
