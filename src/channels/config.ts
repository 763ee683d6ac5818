import { z } from 'zod';
import { recordAudit, localActor } from '../access/index.ts';
import { SiyuError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import { decryptText, encryptText, keyRingFor, registerEncryptedColumn, type EncryptedColumn } from '../privacy/index.ts';
import type { Queryable, Store } from '../store/index.ts';

const Url = z.url().describe('the API base URL (a simulator from `siyu dev providers`, or the provider\'s host)');
const Rate = z.number().int().min(1).max(100_000).describe('requests a second this channel may make to the provider');
const CostFen = z.number().int().min(0).max(1000).describe('the price of one billed SMS part, in fen');

/** Each provider's settings (kept in clear) and secrets (encrypted at rest): a tagged union on `provider`. */
export const ChannelSetup = z.discriminatedUnion('provider', [
  z
    .object({
      provider: z.literal('aliyun_sms'),
      settings: z.object({ endpoint: Url.default('https://dysmsapi.aliyuncs.com'), sign_name: z.string().min(2).max(20), region: z.string().default('cn-hangzhou'), rate_per_second: Rate.default(500), cost_fen_per_part: CostFen.default(4) }).strict(),
      secrets: z.object({ access_key_id: z.string().min(1), access_key_secret: z.string().min(1) }).strict(),
    })
    .strict(),
  z
    .object({
      provider: z.literal('tencent_sms'),
      settings: z.object({ endpoint: Url.default('https://sms.tencentcloudapi.com'), sdk_app_id: z.string().min(1), sign_name: z.string().min(2).max(20), region: z.string().default('ap-guangzhou'), rate_per_second: Rate.default(500), cost_fen_per_part: CostFen.default(4) }).strict(),
      secrets: z.object({ secret_id: z.string().min(1), secret_key: z.string().min(1) }).strict(),
    })
    .strict(),
  z
    .object({
      provider: z.literal('smtp'),
      settings: z
        .object({
          host: z.string().min(1),
          port: z.number().int().min(1).max(65_535).default(587),
          secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when offered'),
          from: z.string().min(3).describe('the From address, "Brand <news@brand.cn>"'),
          unsubscribe_url: z.url().describe('the public base of Siyu\'s one-click unsubscribe route, e.g. https://siyu.brand.cn/v1/unsubscribe'),
          max_connections: z.number().int().min(1).max(50).default(5),
          rate_per_second: Rate.default(20),
        })
        .strict(),
      secrets: z.object({ user: z.string().optional(), pass: z.string().optional(), unsubscribe_key: z.string().min(16).optional() }).strict(),
    })
    .strict(),
  z
    .object({
      provider: z.literal('wecom'),
      settings: z
        .object({
          endpoint: Url.default('https://qyapi.weixin.qq.com'),
          corp_id: z.string().min(1),
          sender: z.string().min(1).optional().describe('the member (userid) whose client confirms mass sends; unset lets each customer\'s owner send'),
          monthly_limit: z.number().int().min(1).max(31).default(4).describe('mass sends a customer can receive a month (the platform\'s rule; CHANNELS.md §3.1)'),
          welcome_text: z.string().max(4000).optional(),
          // Contact sync (docs/channels.md#contact-sync-and-group-chats): the platform's page sizes, as settings in case
          // an account meets other limits than the docs give.
          sync_members_per_request: z.number().int().min(1).max(100).default(100).describe('members (userid_list) per batch/get_by_user call; the docs allow 100'),
          sync_page_size: z.number().int().min(1).max(100).default(100).describe('contacts per batch/get_by_user page (limit); the docs allow 100'),
          sync_groups_page_size: z.number().int().min(1).max(1000).default(1000).describe('groups per groupchat/list page (limit 1–1000)'),
        })
        .strict(),
      secrets: z.object({ secret: z.string().min(1), callback_token: z.string().min(1).optional(), encoding_aes_key: z.string().length(43).optional() }).strict(),
    })
    .strict(),
  z
    .object({
      provider: z.literal('miniprogram'),
      settings: z.object({ endpoint: Url.default('https://api.weixin.qq.com'), app_id: z.string().min(1), state: z.enum(['developer', 'trial', 'formal']).default('formal'), lang: z.string().default('zh_CN') }).strict(),
      secrets: z.object({ app_secret: z.string().min(1) }).strict(),
    })
    .strict(),
]);
export type ChannelSetup = z.infer<typeof ChannelSetup>;
export type ChannelProvider = ChannelSetup['provider'];

/** The channel a journey names (sms, email, wecom…): lower-case letters, digits, - and _. */
const ChannelName = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'a channel name is lower-case letters, digits, - and _ (sms, email, wecom)');

export const AddChannelInput = z.object({ name: ChannelName }).and(ChannelSetup);
export type AddChannelInput = z.infer<typeof AddChannelInput>;

/** A configured channel as listed: never its secrets, only which ones are set. */
export interface ChannelInfo {
  name: string;
  provider: ChannelProvider;
  settings: Record<string, unknown>;
  secretsSet: string[];
  isEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const SECRETS: EncryptedColumn = { table: 'channel_configs', column: 'secrets', keyColumns: ['name'], kind: 'text' };
registerEncryptedColumn(SECRETS);

interface ConfigRow {
  name: string;
  provider: ChannelProvider;
  settings: unknown;
  secrets: string;
  is_enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;

/**
 * Adds a channel, or replaces the one of that name: its settings are checked per provider (every problem named by its
 * field), its secrets encrypted under the data key, and the change audited (secret names only, never values).
 */
export async function upsertChannel(store: Store, input: unknown, actor = localActor(), now = new Date()): Promise<ChannelInfo> {
  const parsed = parseOrThrow(AddChannelInput, input, 'channel');
  const ring = await keyRingFor(store);
  const sealed = encryptText(ring, SECRETS, parsed.name, JSON.stringify(parsed.secrets));
  await store.transaction(async (tx) => {
    await tx.insertRows(
      'channel_configs',
      ['name', 'provider', 'settings', 'secrets', 'is_enabled', 'created_at', 'updated_at'],
      [[parsed.name, parsed.provider, JSON.stringify(parsed.settings), sealed, true, now, now]],
      '(name) DO UPDATE SET provider = excluded.provider, settings = excluded.settings, secrets = excluded.secrets, is_enabled = excluded.is_enabled, updated_at = excluded.updated_at',
    );
    await recordAudit(tx, { actor, action: 'channels.upsert', target: parsed.name, details: { provider: parsed.provider, settings: parsed.settings, secrets_set: Object.keys(parsed.secrets) } });
  });
  return getChannelInfo(store, parsed.name);
}

function info(row: ConfigRow, secretNames: string[]): ChannelInfo {
  return { name: row.name, provider: row.provider, settings: json(row.settings), secretsSet: secretNames, isEnabled: row.is_enabled === true, createdAt: row.created_at, updatedAt: row.updated_at };
}

async function rows(db: Queryable, name?: string): Promise<ConfigRow[]> {
  return db.query<ConfigRow>(`SELECT name, provider, settings, secrets, is_enabled, created_at, updated_at FROM channel_configs${name ? ' WHERE name = $1' : ''} ORDER BY name`, name ? [name] : []);
}

/** Every configured channel, without secrets. */
export async function listChannels(store: Store): Promise<ChannelInfo[]> {
  const all = await rows(store);
  if (all.length === 0) return [];
  const ring = await keyRingFor(store);
  return all.map((r) => info(r, Object.keys(JSON.parse(decryptText(ring, SECRETS, r.name, r.secrets)) as object)));
}

/** One configured channel, without secrets, or not_found. */
export async function getChannelInfo(store: Store, name: string): Promise<ChannelInfo> {
  const found = (await listChannels(store)).find((c) => c.name === name);
  if (!found) throw new SiyuError('not_found', 'channel_not_found', `no channel ${JSON.stringify(name)} (siyu channels list)`);
  return found;
}

/** The channels' full setups, secrets decrypted: for building adapters only, never for showing. */
export async function readChannelSetups(store: Store, options: { includeDisabled?: boolean } = {}): Promise<(ChannelSetup & { name: string })[]> {
  const all = (await rows(store)).filter((r) => options.includeDisabled || r.is_enabled === true);
  if (all.length === 0) return [];
  const ring = await keyRingFor(store);
  return all.map((r) => ({ name: r.name, ...ChannelSetup.parse({ provider: r.provider, settings: json(r.settings), secrets: JSON.parse(decryptText(ring, SECRETS, r.name, r.secrets)) }) }));
}

/** Removes a channel (its templates too); messages already sent keep their log. */
export async function deleteChannel(store: Store, name: string, actor = localActor()): Promise<void> {
  await getChannelInfo(store, name);
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM channel_templates WHERE channel = $1', [name]);
    await tx.execute('DELETE FROM wecom_group_welcome_templates WHERE channel = $1', [name]);
    await tx.execute('DELETE FROM channel_configs WHERE name = $1', [name]);
    await recordAudit(tx, { actor, action: 'channels.delete', target: name, details: {} });
  });
}
