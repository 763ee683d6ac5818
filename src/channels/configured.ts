import { randomUUID } from 'node:crypto';
import { localActor, recordAudit } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import type { Store } from '../store/index.ts';
import type { Channel, SendOutcome } from './channel.ts';
import { readChannelSetups, type ChannelSetup } from './config.ts';
import { smtpChannel, unsubscribeSecret } from './email.ts';
import { aliyunSmsChannel } from './sms/aliyun.ts';
import { tencentSmsChannel } from './sms/tencent.ts';
import { listChannelTemplates, type ChannelTemplate } from './template-registry.ts';
import { webhookChannel, webhookSecret } from './webhook.ts';
import { wecomChannel, miniprogramChannel } from './wechat/channels.ts';

/** What adapters share beyond their own setup: the store (token caches, credit ledgers) and the clock. */
export interface AdapterContext {
  store: Store;
  templates: readonly ChannelTemplate[];
  unsubscribeSecret: string;
  timeoutMs?: number;
}

/** Builds the adapter for one configured channel. */
export function channelFromSetup(name: string, setup: ChannelSetup, context: AdapterContext): Channel {
  const templates = context.templates.filter((t) => t.channel === name);
  const options = { timeoutMs: context.timeoutMs };
  switch (setup.provider) {
    case 'aliyun_sms':
      return aliyunSmsChannel(name, setup, templates, options);
    case 'tencent_sms':
      return tencentSmsChannel(name, setup, templates, options);
    case 'smtp':
      return smtpChannel(name, setup, context.unsubscribeSecret, options);
    case 'wecom':
      return wecomChannel(name, setup, context.store, options);
    case 'miniprogram':
      return miniprogramChannel(name, setup, context.store, templates, options);
  }
}

/**
 * The channels a server dispatches to: the webhook channel (signed with the brand's secret; private-network targets
 * allowed only with SIYU_WEBHOOK_ALLOW_PRIVATE=1), and every enabled channel set up with `siyu channels add`, each
 * with its registered templates. Call again after a channel or template changes.
 */
export async function loadChannels(store: Store, options: { timeoutMs?: number } = {}): Promise<Channel[]> {
  const webhook = webhookChannel({ secret: await webhookSecret(store), allowPrivateNetworks: process.env.SIYU_WEBHOOK_ALLOW_PRIVATE === '1' });
  const setups = await readChannelSetups(store);
  if (setups.length === 0) return [webhook];
  const context: AdapterContext = { store, templates: await listChannelTemplates(store), unsubscribeSecret: await unsubscribeSecret(store), timeoutMs: options.timeoutMs };
  return [webhook, ...setups.map(({ name, ...setup }) => channelFromSetup(name, setup as ChannelSetup, context))];
}

/** Closes what adapters hold open (SMTP connection pools). */
export function closeChannels(channels: readonly Channel[]): void {
  for (const channel of channels) (channel as Partial<{ close(): void }>).close?.();
}

export interface TestSendInput {
  to: string;
  template?: string;
  params?: Record<string, string>;
  subject?: string;
  body?: string;
}

/** Sends one test message through a configured channel, outside the outbox (audited), and returns the provider's answer. */
export async function testChannel(store: Store, name: string, input: TestSendInput, actor = localActor()): Promise<SendOutcome> {
  const channels = await loadChannels(store, { timeoutMs: 15_000 });
  const channel = channels.find((c) => c.name === name);
  if (!channel) throw new SiyuError('not_found', 'channel_not_found', `no enabled channel ${JSON.stringify(name)} (siyu channels list)`);
  const messageId = `test:${randomUUID()}`;
  try {
    const [outcome] = await channel.send([{ messageId, customerId: 'test', to: input.to, subject: input.subject ?? 'Siyu test', body: input.body ?? 'Siyu test message', template: input.template, params: input.params, meta: { test: true } }]);
    await recordAudit(store, { actor, action: 'channels.test', target: name, details: { outcome: outcome?.outcome ?? 'none', template: input.template ?? null } });
    return outcome ?? { messageId, outcome: 'unknown', reason: 'the channel gave no answer' };
  } finally {
    closeChannels(channels);
  }
}
