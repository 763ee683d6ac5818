import { z } from 'zod';
import { localActor, recordAudit } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import type { Queryable, Store } from '../store/index.ts';
import { SMS_UNSUBSCRIBE_TEXT } from './sms/text.ts';

/** A provider template: the code the provider approved, its text and parameter names, and its kind. */
export const ChannelTemplateInput = z
  .object({
    channel: z.string().min(1),
    name: z.string().regex(/^[\w.-]{1,64}$/, 'a template name is letters, digits, _, . and -'),
    provider_code: z.string().min(1).max(64).describe('SMS_71390007 (Aliyun), a TemplateId (Tencent), a template_id (mini-program)'),
    kind: z.enum(['marketing', 'notification', 'verification']),
    body: z.string().min(1).max(500).describe('the approved text, with {name} (Aliyun) or {1} (Tencent) placeholders'),
    params: z.array(z.string().regex(/^\w{1,32}$/)).max(20).default([]).describe('the parameter names, in placeholder order'),
  })
  .strict();
export type ChannelTemplateInput = z.infer<typeof ChannelTemplateInput>;

export interface ChannelTemplate {
  channel: string;
  name: string;
  providerCode: string;
  kind: 'marketing' | 'notification' | 'verification';
  body: string;
  params: string[];
}

const SMS_PROVIDERS = new Set(['aliyun_sms', 'tencent_sms']);

/**
 * Registers a template for a channel (or replaces it). A marketing SMS template must end with the unsubscribe text
 * 拒收请回复R: carriers require a way to refuse in every commercial SMS (MIIT Order 31), and Tencent refuses such a
 * template with MarketingTemplateWithoutUnsubscribe.
 */
export async function upsertChannelTemplate(store: Store, input: unknown, actor = localActor(), now = new Date()): Promise<ChannelTemplate> {
  const t = parseOrThrow(ChannelTemplateInput, input, 'template');
  const [config] = await store.query<{ provider: string }>('SELECT provider FROM channel_configs WHERE name = $1', [t.channel]);
  if (!config) throw new SiyuError('not_found', 'channel_not_found', `channel: no channel ${JSON.stringify(t.channel)} (siyu channels list)`, { details: [{ path: 'channel', message: 'not configured' }] });
  if (SMS_PROVIDERS.has(config.provider) && t.kind === 'marketing' && !t.body.trimEnd().endsWith(SMS_UNSUBSCRIBE_TEXT)) {
    throw new SiyuError('validation', 'marketing_without_unsubscribe', `body: a marketing SMS template must end with ${SMS_UNSUBSCRIBE_TEXT}`, { details: [{ path: 'body', message: `must end with ${SMS_UNSUBSCRIBE_TEXT}` }] });
  }
  await store.transaction(async (tx) => {
    await tx.insertRows(
      'channel_templates',
      ['channel', 'name', 'provider_code', 'kind', 'body', 'params', 'created_at', 'updated_at'],
      [[t.channel, t.name, t.provider_code, t.kind, t.body, JSON.stringify(t.params), now, now]],
      '(channel, name) DO UPDATE SET provider_code = excluded.provider_code, kind = excluded.kind, body = excluded.body, params = excluded.params, updated_at = excluded.updated_at',
    );
    await recordAudit(tx, { actor, action: 'channels.template', target: `${t.channel}/${t.name}`, details: { provider_code: t.provider_code, kind: t.kind } });
  });
  return { channel: t.channel, name: t.name, providerCode: t.provider_code, kind: t.kind, body: t.body, params: t.params };
}

/** A channel's templates (every channel's when `channel` is not given). */
export async function listChannelTemplates(db: Queryable, channel?: string): Promise<ChannelTemplate[]> {
  const rows = await db.query<{ channel: string; name: string; provider_code: string; kind: ChannelTemplate['kind']; body: string; params: unknown }>(
    `SELECT channel, name, provider_code, kind, body, params FROM channel_templates${channel ? ' WHERE channel = $1' : ''} ORDER BY channel, name`,
    channel ? [channel] : [],
  );
  return rows.map((r) => ({ channel: r.channel, name: r.name, providerCode: r.provider_code, kind: r.kind, body: r.body, params: (typeof r.params === 'string' ? JSON.parse(r.params) : r.params) as string[] }));
}
