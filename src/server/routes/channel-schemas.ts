import { z } from 'zod';
import { component } from './components.ts';

// Response shapes of the channel and message routes (src/channels: config.ts, template-registry.ts, log.ts,
// preview.ts), which the OpenAPI document, and so the console's generated client, carries.

export const ChannelInfo = component('ChannelInfo', z.object({
  name: z.string(),
  provider: z.enum(['aliyun_sms', 'tencent_sms', 'smtp', 'wecom', 'miniprogram']),
  settings: z.record(z.string(), z.unknown()),
  secretsSet: z.array(z.string()).describe('which credentials are set; their values are never shown'),
  isEnabled: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
}));

export const ChannelTemplate = component('ChannelTemplate', z.object({
  channel: z.string(),
  name: z.string(),
  providerCode: z.string(),
  kind: z.enum(['marketing', 'notification', 'verification']),
  body: z.string(),
  params: z.array(z.string()),
}));

export const SendOutcome = z.object({
  messageId: z.string(),
  outcome: z.enum(['accepted', 'delivered', 'rejected', 'retry', 'unknown']),
  providerId: z.string().optional(),
  costFen: z.number().int().optional(),
  reason: z.string().optional(),
  retryAfterMs: z.number().optional(),
});

const MessageState = z.enum(['queued', 'deferred', 'skipped', 'sending', 'handed_over', 'delivered', 'failed', 'unknown', 'read', 'clicked']);

export const LoggedMessage = component('LoggedMessage', z.object({
  messageId: z.string(),
  customerId: z.string(),
  channel: z.string(),
  purpose: z.string(),
  template: z.string().nullable(),
  journeyId: z.string().nullable(),
  node: z.string().nullable(),
  state: MessageState,
  reason: z.string().nullable(),
  contentHash: z.string().nullable(),
  providerId: z.string().nullable(),
  costFen: z.number().int().nullable(),
  createdAt: z.date(),
  sentAt: z.date().nullable(),
  updatedAt: z.date(),
  history: z.array(z.object({ state: z.string(), at: z.date(), detail: z.string().nullable() })).optional(),
}));

const RateFigures = {
  queued: z.number().int(),
  skipped: z.number().int(),
  sent: z.number().int().describe('handed to a provider'),
  delivered: z.number().int().describe('delivered, read or clicked'),
  failed: z.number().int(),
  unknown: z.number().int(),
  read: z.number().int().describe('read or clicked'),
  clicked: z.number().int(),
  costFen: z.number().int(),
  deliveryRate: z.number().nullable().describe('delivered / sent'),
  readRate: z.number().nullable().describe('read / sent'),
  clickRate: z.number().nullable().describe('clicked / sent'),
};

export const MessageRates = z.object({ key: z.string(), ...RateFigures });
export const DailyMessageRates = z.object({ day: z.string().describe('YYYY-MM-DD in the brand timezone'), channel: z.string(), ...RateFigures });

export const TemplatePreview = z.object({
  channel: z.string(),
  template: z.string(),
  customerId: z.string(),
  params: z.record(z.string(), z.string()),
  text: z.string(),
  smsParts: z.number().int().nullable(),
  missingParams: z.array(z.string()),
  hasAddress: z.boolean(),
});

export const SubscriptionReport = z.object({
  recorded: z.number().int().describe("known customers' accepts (one send credit each) and bans (credits cleared) applied"),
  unmatched: z.array(z.string()).describe('openids of no known customer'),
});

/** WeCom's callbacks answer text: the decrypted echostr of a URL check, else "success". */
export const PlainText = { content: { 'text/plain': { schema: z.string() } } };

export const Unsubscribed = z.object({
  unsubscribed: z.literal(true),
  purpose: z.literal('email_marketing'),
  changed: z.boolean().describe('false when the link was used before or the customer has no email address'),
});
