import type { Command } from 'commander';
import { deleteChannel, deleteGroupWelcomeTemplate, describeWecomSync, listChannels, listGroupWelcomeTemplates, upsertGroupWelcomeTemplate, type GroupWelcomeTemplate, listChannelTemplates, listMessages, messageRates, startProviderSimulators, syncWecom, testChannel, upsertChannel, upsertChannelTemplate, type MessageRates } from '../channels/index.ts';
import { SiyuError } from '../core/errors.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';
import { io } from './io.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `key=value` flags as an object; a value that reads as JSON (numbers, booleans) is taken as such; `env:NAME` reads the environment. */
function pairs(values: readonly string[], flag: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of values) {
    const at = pair.indexOf('=');
    if (at < 1) throw new SiyuError('validation', 'invalid_flag', `${flag} takes key=value, not ${JSON.stringify(pair)}`);
    const [key, raw] = [pair.slice(0, at), pair.slice(at + 1)];
    if (raw.startsWith('env:')) {
      const value = process.env[raw.slice(4)];
      if (value === undefined) throw new SiyuError('validation', 'missing_env', `${flag} ${key}: the environment variable ${raw.slice(4)} is not set`);
      out[key] = value;
      continue;
    }
    try {
      const parsed: unknown = JSON.parse(raw);
      out[key] = typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : raw;
    } catch {
      out[key] = raw;
    }
  }
  return out;
}

/** The flags of one attachment, as an object, when any of them is given (so a missing one is named by validation). */
function given(fields: Record<string, string | undefined>): Record<string, string> | undefined {
  const set = Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined);
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}

const describeWelcome = (t: GroupWelcomeTemplate) => `${t.channel}/${t.name} (${t.templateId}): ${t.text}${t.attachment ? `  + ${t.attachment.kind}` : ''}`;

interface WelcomeFlags {
  db?: string;
  text?: string;
  imageUrl?: string;
  imageMediaId?: string;
  linkTitle?: string;
  linkUrl?: string;
  linkPicurl?: string;
  linkDesc?: string;
  miniprogramTitle?: string;
  miniprogramAppid?: string;
  miniprogramPage?: string;
  miniprogramPicMediaId?: string;
}

/** `siyu channels group-welcome add|list|remove`: WeCom group welcome templates (入群欢迎语素材). */
function registerGroupWelcome(channels: Command): void {
  const welcome = channels.command('group-welcome').description("a WeCom channel's group welcome templates (入群欢迎语素材), registered at WeCom");
  withDb(welcome.command('add').argument('<channel>', 'a wecom channel').argument('<name>').description('register a group welcome template at WeCom, or edit the one of that name (same template_id)'))
    .option('--text <text>', 'the welcome text (required; %NICKNAME% is the new member)')
    .option('--image-url <url>', 'an image URL from WeCom uploadimg')
    .option('--image-media-id <id>', 'or a temporary image media id')
    .option('--link-title <title>', 'a link attachment: its title')
    .option('--link-url <url>', 'its URL')
    .option('--link-picurl <url>', 'its cover image URL')
    .option('--link-desc <text>', 'its description')
    .option('--miniprogram-title <title>', 'a mini-program attachment: its title')
    .option('--miniprogram-appid <appid>', 'its AppID')
    .option('--miniprogram-page <path>', 'its page path')
    .option('--miniprogram-pic-media-id <id>', 'its cover image media id')
    .action(
      action(async (channel: string, name: string, o: WelcomeFlags) =>
        withOpenStore(o.db, async (store) => {
          const input = {
            text: o.text,
            image: given({ pic_url: o.imageUrl, media_id: o.imageMediaId }),
            link: given({ title: o.linkTitle, url: o.linkUrl, picurl: o.linkPicurl, desc: o.linkDesc }),
            miniprogram: given({ title: o.miniprogramTitle, appid: o.miniprogramAppid, page: o.miniprogramPage, pic_media_id: o.miniprogramPicMediaId }),
          };
          const t = await upsertGroupWelcomeTemplate(store, channel, name, Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
          io().stdout.write(`group welcome template ${describeWelcome(t)} saved\n`);
        }),
      ),
    );
  withDb(welcome.command('list').argument('[channel]').description('the registered group welcome templates'))
    .option('--json', 'print them as JSON')
    .action(
      action(async (channel: string | undefined, o: { db?: string; json?: boolean }) =>
        withOpenStore(o.db, async (store) => {
          const list = await listGroupWelcomeTemplates(store, channel);
          emit(o.json, { templates: list }, () => (list.length === 0 ? 'no group welcome templates' : list.map(describeWelcome).join('\n')));
        }),
      ),
    );
  withDb(welcome.command('remove').argument('<channel>').argument('<name>').description('remove a group welcome template at WeCom and here')).action(
    action(async (channel: string, name: string, o: { db?: string }) =>
      withOpenStore(o.db, async (store) => {
        const t = await deleteGroupWelcomeTemplate(store, channel, name);
        io().stdout.write(`group welcome template ${t.channel}/${t.name} (${t.templateId}) removed\n`);
      }),
    ),
  );
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** `siyu channels …` (set up providers, templates, test sends), `siyu messages …` (the log and rates) and `siyu dev providers`. */
export function registerChannels(program: Command): void {
  const channels = program.command('channels').description('message channels: provider accounts (credentials stored encrypted), templates, test sends (docs/channels.md)');

  withDb(channels.command('add').argument('<name>', 'what journeys call it: sms, email, wecom, miniprogram…').description('add a channel, or replace the one of that name'))
    .requiredOption('--provider <provider>', 'aliyun_sms | tencent_sms | smtp | wecom | miniprogram')
    .option('--set <key=value>', 'a setting (repeat): endpoint, sign_name, sdk_app_id, host, port, from, corp_id… (docs/channels.md)', collect, [])
    .option('--secret <key=value>', 'a credential (repeat), stored encrypted; key=env:VAR reads it from the environment, keeping it out of shell history', collect, [])
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, opts: { db?: string; provider: string; set: string[]; secret: string[]; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const channel = await upsertChannel(store, { name, provider: opts.provider, settings: pairs(opts.set, '--set'), secrets: pairs(opts.secret, '--secret') });
          emit(opts.json, channel, () => `channel ${channel.name} (${channel.provider}) saved; credentials set: ${channel.secretsSet.join(', ') || '(none)'}; a running server picks it up now`);
        }),
      ),
    );

  withDb(channels.command('list').description('the configured channels (never their credentials) and their templates'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listChannels(store);
          const templates = await listChannelTemplates(store);
          emit(opts.json, { channels: list, templates }, () =>
            list.length === 0
              ? 'no channels yet: siyu channels add NAME --provider … (docs/channels.md); webhooks need none'
              : list
                  .map((c) => [`${c.name.padEnd(14)} ${c.provider.padEnd(12)} ${c.isEnabled ? 'enabled' : 'disabled'}  ${JSON.stringify(c.settings)}  credentials: ${c.secretsSet.join(', ')}`, ...templates.filter((t) => t.channel === c.name).map((t) => `  template ${t.name} (${t.providerCode}, ${t.kind}): ${t.body}`)].join('\n'))
                  .join('\n'),
          );
        }),
      ),
    );

  withDb(channels.command('test').argument('<name>').description('send one test message through a channel now (outside the outbox; audited) and show the provider\'s answer'))
    .requiredOption('--to <address>', 'a phone, email, external_userid or openid')
    .option('--template <name>', 'a registered template (SMS and mini-program send by template)')
    .option('--param <key=value>', 'a template parameter (repeat)', collect, [])
    .option('--subject <text>', 'email subject')
    .option('--body <text>', 'message text (email, WeCom)')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, opts: { db?: string; to: string; template?: string; param: string[]; subject?: string; body?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const params = Object.fromEntries(Object.entries(pairs(opts.param, '--param')).map(([k, v]) => [k, String(v)]));
          const outcome = await testChannel(store, name, { to: opts.to, template: opts.template, params, subject: opts.subject, body: opts.body });
          emit(opts.json, outcome, () => `${outcome.outcome}${'providerId' in outcome && outcome.providerId ? ` (provider id ${outcome.providerId})` : ''}${'reason' in outcome ? `: ${outcome.reason}` : ''}`);
          if (outcome.outcome === 'rejected') io().exitCode = 1;
        }),
      ),
    );

  withDb(channels.command('sync').argument('<name>', 'a wecom channel').description("sync a WeCom channel's contact list into customers and identities (and with --groups its customer group chats) and its corp tags; the wecom-sync job does it hourly"))
    .option('--groups', 'also the customer group chats and their members')
    .option('--json', 'print the report as JSON')
    .action(
      action(async (name: string, opts: { db?: string; groups?: boolean; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const onProgress = opts.json ? undefined : (line: string) => io().stderr.write(`  ${line}\n`);
          const report = await syncWecom(store, name, { groups: opts.groups, onProgress });
          emit(opts.json, report, () => describeWecomSync(report).join('\n'));
        }),
      ),
    );

  withDb(channels.command('remove').argument('<name>').description('remove a channel and its templates (the message log stays)')).action(
    action(async (name: string, opts: { db?: string }) =>
      withOpenStore(opts.db, async (store) => {
        await deleteChannel(store, name);
        io().stdout.write(`channel ${name} removed\n`);
      }),
    ),
  );

  const template = channels.command('template').description("a channel's provider templates");
  withDb(template.command('add').argument('<channel>').argument('<name>').description('register a provider template (marketing SMS must end with 拒收请回复R)'))
    .requiredOption('--code <code>', "the provider's template code: SMS_71390007, a Tencent TemplateId, a mini-program template_id")
    .requiredOption('--kind <kind>', 'marketing | notification | verification')
    .requiredOption('--body <text>', 'the approved text with {param} placeholders')
    .option('--params <names>', 'parameter names in placeholder order, comma-separated', '')
    .action(
      action(async (channel: string, name: string, opts: { db?: string; code: string; kind: string; body: string; params: string }) =>
        withOpenStore(opts.db, async (store) => {
          const t = await upsertChannelTemplate(store, { channel, name, provider_code: opts.code, kind: opts.kind, body: opts.body, params: opts.params ? opts.params.split(',').map((p) => p.trim()) : [] });
          io().stdout.write(`template ${t.channel}/${t.name} (${t.providerCode}) saved\n`);
        }),
      ),
    );

  registerGroupWelcome(channels);

  const messages = program.command('messages').description('the message log: every message, its states, provider ids and cost; delivery rates');
  withDb(messages.command('list').description('messages, newest first'))
    .option('--customer <id>')
    .option('--channel <name>')
    .option('--journey <id>')
    .option('--state <state>', 'queued | deferred | skipped | sending | handed_over | delivered | failed | unknown | read | clicked')
    .option('--limit <n>', 'at most this many', '50')
    .option('--history', 'each message\'s state history')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; customer?: string; channel?: string; journey?: string; state?: string; limit: string; history?: boolean; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const list = await listMessages(store, { customerId: opts.customer, channel: opts.channel, journeyId: opts.journey, state: opts.state, limit: parseCount(opts.limit, '--limit'), withHistory: opts.history });
          emit(opts.json, list, () =>
            list.length === 0
              ? 'no messages'
              : list
                  .map((m) =>
                    [
                      `${m.createdAt.toISOString()}  ${m.messageId}  ${m.customerId}  ${m.channel}/${m.template ?? '-'}  ${m.state}${m.reason ? ` (${m.reason})` : ''}${m.costFen !== null ? `  ¥${(m.costFen / 100).toFixed(2)}` : ''}`,
                      ...(m.history ?? []).map((h) => `    ${h.at.toISOString()} ${h.state}${h.detail ? `: ${h.detail}` : ''}`),
                    ].join('\n'),
                  )
                  .join('\n'),
          );
        }),
      ),
    );

  withDb(messages.command('rates').description('delivery, read and click rates per channel, template or journey'))
    .option('--by <group>', 'channel | template | journey', 'channel')
    .option('--since <date>', 'messages created from this day')
    .option('--journey <id>')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; by: string; since?: string; journey?: string; json?: boolean }) =>
        withOpenStore(opts.db, async (store) => {
          const since = opts.since ? new Date(opts.since) : undefined;
          if (since && Number.isNaN(since.getTime())) throw new SiyuError('validation', 'invalid_flag', `--since must be a date, not ${JSON.stringify(opts.since)}`);
          const rows = await messageRates(store, opts.by as 'channel', { since, journeyId: opts.journey });
          emit(opts.json, rows, () => [`${opts.by.padEnd(20)} ${'sent'.padStart(8)} ${'delivered'.padStart(10)} ${'read'.padStart(8)} ${'clicked'.padStart(8)} ${'failed'.padStart(8)} ${'cost'.padStart(10)}`, ...rows.map((r: MessageRates) => `${r.key.padEnd(20)} ${String(r.sent).padStart(8)} ${pct(r.deliveryRate).padStart(10)} ${pct(r.readRate).padStart(8)} ${pct(r.clickRate).padStart(8)} ${String(r.failed).padStart(8)} ${`¥${(r.costFen / 100).toFixed(2)}`.padStart(10)}`)].join('\n'));
        }),
      ),
    );

  const dev = program.commands.find((c) => c.name() === 'dev') ?? program.command('dev').description('tools for developing against Siyu locally');
  dev
    .command('providers')
    .description('run local simulators of the SMS providers (Aliyun, Tencent Cloud), WeCom, the mini-program APIs and an SMTP server until stopped, for channels to send to')
    .option('--port <n>', 'HTTP port', '8790')
    .option('--smtp-port <n>', 'SMTP port', '2525')
    .option('--seed <n>', 'the seed of every random choice', '20')
    .option('--failure-rate <x>', 'share of requests answered "busy"', '0')
    .option('--garbage-rate <x>', 'share of requests answered with a 502 that is not JSON', '0')
    .option('--delay-ms <n>', 'hold each answer back this long', '0')
    .option('--rate <n>', 'requests a second each provider takes before its rate-limit error')
    .option('--delivery-rate <x>', 'share of messages delivered', '0.97')
    .option('--reply-rate <x>', 'share of recipients who reply R', '0')
    .option('--receipt-delay-ms <n>', 'receipts come this long after the send', '2000')
    .option('--wecom-contacts <n>', 'external contacts the simulated WeCom serves to a contact sync', '0')
    .option('--wecom-groups <n>', 'customer group chats it serves', '0')
    .action(
      action(async (opts: Record<string, string | undefined>) => {
        const num = (key: string) => (opts[key] === undefined ? undefined : Number(opts[key]));
        const sims = await startProviderSimulators({
          port: parseCount(opts.port!, '--port', 0),
          smtpPort: parseCount(opts.smtpPort!, '--smtp-port', 0),
          seed: num('seed'),
          failureRate: num('failureRate'),
          garbageRate: num('garbageRate'),
          delayMs: num('delayMs'),
          ratePerSecond: num('rate'),
          deliveryRate: num('deliveryRate'),
          replyRate: num('replyRate'),
          receiptDelayMs: num('receiptDelayMs'),
          wecomDirectory: { members: 3, contacts: parseCount(opts.wecomContacts!, '--wecom-contacts', 0), groups: parseCount(opts.wecomGroups!, '--wecom-groups', 0) },
        });
        io().stdout.write(
          [
            `simulated providers at ${sims.url} (seed ${opts.seed}); SMTP on 127.0.0.1:${sims.smtpPort}`,
            `  Aliyun SMS:   siyu channels add sms --provider aliyun_sms --set endpoint=${sims.url}/aliyun --set sign_name=思域演示 --secret access_key_id=LTAIsimulated --secret access_key_secret=simulated-aliyun-secret`,
            `  Tencent SMS:  siyu channels add sms --provider tencent_sms --set endpoint=${sims.url}/tencent --set sdk_app_id=1400000000 --set sign_name=思域演示 --secret secret_id=AKIDsimulated --secret secret_key=simulated-tencent-secret`,
            `  WeCom:        siyu channels add wecom --provider wecom --set endpoint=${sims.url}/wecom --set corp_id=wwsimulated --secret secret=simulated-wecom-secret; siyu channels sync wecom --groups`,
            `  email:        siyu channels add email --provider smtp --set host=127.0.0.1 --set port=${sims.smtpPort} --set "from=Brand <news@brand.test>" --set unsubscribe_url=http://127.0.0.1:8787/v1/unsubscribe`,
            'press Ctrl-C to stop',
            '',
          ].join('\n'),
        );
        await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
        await sims.stop();
      }),
    );
}
