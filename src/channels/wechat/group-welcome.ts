import { z } from 'zod';
import { localActor, recordAudit } from '../../access/index.ts';
import { SiyuError } from '../../core/errors.ts';
import { parseOrThrow } from '../../core/validation.ts';
import type { Queryable, Store } from '../../store/index.ts';
import type { WxAnswer } from './api.ts';
import { wecomClient } from './channels.ts';
import { wecomSetup } from './sync.ts';

const url = z.string().url().max(2048);

/** A group welcome template (入群欢迎语素材, doc 92366): the text, and at most one attachment. */
export const GroupWelcomeInput = z
  .object({
    text: z
      .string({ error: 'the welcome text is required (a string)' })
      .min(1, 'the welcome text is required')
      .refine((t) => Buffer.byteLength(t) <= 4000, 'at most 4,000 bytes (WeCom counts UTF-8 bytes: about 1,333 Chinese characters)')
      .describe('the welcome text; WeCom fills %NICKNAME% with the new member’s name'),
    image: z.object({ pic_url: url.optional().describe('an image URL from WeCom’s uploadimg'), media_id: z.string().min(1).optional().describe('a temporary media id (media/upload, valid 3 days)') }).strict().refine((i) => (i.pic_url === undefined) !== (i.media_id === undefined), 'give pic_url or media_id, one of them').optional(),
    link: z.object({ title: z.string().min(1).max(128), url, picurl: url.optional(), desc: z.string().max(512).optional() }).strict().optional(),
    miniprogram: z.object({ title: z.string().min(1).max(64), appid: z.string().min(1), page: z.string().min(1).describe('the page path, ending in .html'), pic_media_id: z.string().min(1).describe('the cover image’s media id') }).strict().optional(),
  })
  .strict()
  .refine((t) => [t.image, t.link, t.miniprogram].filter(Boolean).length <= 1, { message: 'at most one attachment: image, link or miniprogram', path: ['image'] });
export type GroupWelcomeInput = z.infer<typeof GroupWelcomeInput>;

/** A registered group welcome template, with the template_id WeCom gave it. */
export const GroupWelcomeTemplate = z.object({
  channel: z.string(),
  name: z.string(),
  templateId: z.string(),
  text: z.string(),
  attachment: z.object({ kind: z.enum(['image', 'link', 'miniprogram']) }).catchall(z.string()).nullable().describe('the attachment as registered: its kind and fields'),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type GroupWelcomeTemplate = z.infer<typeof GroupWelcomeTemplate>;

const NAME = /^[\w.-]{1,64}$/;
const PATH = '/cgi-bin/externalcontact/group_welcome_template';

/** The attachment as stored: its kind and fields. */
function attachmentOf(t: GroupWelcomeInput): GroupWelcomeTemplate['attachment'] {
  if (t.image) return { kind: 'image', ...t.image };
  if (t.link) return { kind: 'link', ...t.link };
  if (t.miniprogram) return { kind: 'miniprogram', ...t.miniprogram };
  return null;
}

/** Calls one group_welcome_template API: WeCom refusing the content is a validation error, anything else unavailable. */
async function ask(api: ReturnType<typeof wecomClient>, action: 'add' | 'edit' | 'del', body: Record<string, unknown>, where: string, tolerate: readonly number[] = []): Promise<WxAnswer> {
  let answer: WxAnswer;
  try {
    answer = await api.call(`${PATH}/${action}`, body);
  } catch (error) {
    throw new SiyuError('unavailable', 'wecom_unreachable', `WeCom group_welcome_template/${action}: ${(error as Error).message}`, { cause: error });
  }
  if (!answer.errcode || tolerate.includes(answer.errcode)) return answer;
  const message = `${where}: WeCom group_welcome_template/${action} refused: ${answer.errcode}: ${answer.errmsg ?? ''}`;
  // 40058: a bad parameter (the content, or a template_id WeCom no longer knows).
  throw answer.errcode === 40058 ? new SiyuError('validation', 'wecom_refused', message, { details: [{ path: where, message: `${answer.errcode}: ${answer.errmsg ?? ''}` }] }) : new SiyuError('unavailable', 'wecom_error', message);
}

interface Row {
  channel: string;
  name: string;
  template_id: string;
  text: string;
  attachment: unknown;
  created_at: Date;
  updated_at: Date;
}

const toTemplate = (r: Row): GroupWelcomeTemplate => ({
  channel: r.channel,
  name: r.name,
  templateId: r.template_id,
  text: r.text,
  attachment: (typeof r.attachment === 'string' ? JSON.parse(r.attachment) : r.attachment) as GroupWelcomeTemplate['attachment'],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A WeCom channel's group welcome templates (every channel's when `channel` is not given), by name. */
export async function listGroupWelcomeTemplates(db: Queryable, channel?: string): Promise<GroupWelcomeTemplate[]> {
  const rows = await db.query<Row>(`SELECT channel, name, template_id, text, attachment, created_at, updated_at FROM wecom_group_welcome_templates${channel ? ' WHERE channel = $1' : ''} ORDER BY channel, name`, channel ? [channel] : []);
  return rows.map(toTemplate);
}

/**
 * Registers a group welcome template on a WeCom channel under `name` (group_welcome_template/add, keeping the
 * template_id WeCom returns), or, when the name is registered, changes it in place (edit, same template_id). WeCom is
 * called first and the row written after, so a refusal leaves nothing behind; audited.
 */
export async function upsertGroupWelcomeTemplate(store: Store, channel: string, name: string, input: unknown, actor = localActor(), now = new Date()): Promise<GroupWelcomeTemplate> {
  if (!NAME.test(name)) throw new SiyuError('validation', 'invalid_name', `name: a template name is 1-64 letters, digits, _, . and -, not ${JSON.stringify(name)}`, { details: [{ path: 'name', message: 'not a template name' }] });
  const t = parseOrThrow(GroupWelcomeInput, input, `group welcome template ${channel}/${name}`);
  const api = wecomClient(await wecomSetup(store, channel, 'has group welcome templates'));
  const [existing] = await store.query<Row>('SELECT channel, name, template_id, text, attachment, created_at, updated_at FROM wecom_group_welcome_templates WHERE channel = $1 AND name = $2', [channel, name]);
  const body = { text: { content: t.text }, ...(t.image ? { image: t.image } : {}), ...(t.link ? { link: t.link } : {}), ...(t.miniprogram ? { miniprogram: t.miniprogram } : {}) };
  let templateId: string;
  if (existing) {
    await ask(api, 'edit', { template_id: existing.template_id, ...body }, `${channel}/${name}`);
    templateId = existing.template_id;
  } else {
    const answer = await ask(api, 'add', body, `${channel}/${name}`);
    if (typeof answer.template_id !== 'string') throw new SiyuError('unavailable', 'wecom_error', `${channel}/${name}: WeCom group_welcome_template/add answered without a template_id`);
    templateId = answer.template_id;
  }
  const row: Row = { channel, name, template_id: templateId, text: t.text, attachment: attachmentOf(t), created_at: existing?.created_at ?? now, updated_at: now };
  await store.transaction(async (tx) => {
    await tx.insertRows('wecom_group_welcome_templates', ['channel', 'name', 'template_id', 'text', 'attachment', 'created_at', 'updated_at'], [[row.channel, row.name, row.template_id, row.text, row.attachment === null ? null : JSON.stringify(row.attachment), row.created_at, row.updated_at]], '(channel, name) DO UPDATE SET template_id = excluded.template_id, text = excluded.text, attachment = excluded.attachment, updated_at = excluded.updated_at');
    await recordAudit(tx, { actor, action: existing ? 'channels.group_welcome.edit' : 'channels.group_welcome.add', target: `${channel}/${name}`, details: { template_id: templateId } });
  });
  return toTemplate(row);
}

/** Removes a registered group welcome template at WeCom (del; one WeCom no longer knows counts as removed) and here; audited. */
export async function deleteGroupWelcomeTemplate(store: Store, channel: string, name: string, actor = localActor()): Promise<GroupWelcomeTemplate> {
  const api = wecomClient(await wecomSetup(store, channel, 'has group welcome templates'));
  const [row] = await store.query<Row>('SELECT channel, name, template_id, text, attachment, created_at, updated_at FROM wecom_group_welcome_templates WHERE channel = $1 AND name = $2', [channel, name]);
  if (!row) throw new SiyuError('not_found', 'template_not_found', `no group welcome template ${JSON.stringify(name)} on channel ${channel} (siyu channels group-welcome list ${channel})`, { details: [{ path: 'name', message: 'not registered' }] });
  await ask(api, 'del', { template_id: row.template_id }, `${channel}/${name}`, [40058]);
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM wecom_group_welcome_templates WHERE channel = $1 AND name = $2', [channel, name]);
    await recordAudit(tx, { actor, action: 'channels.group_welcome.delete', target: `${channel}/${name}`, details: { template_id: row.template_id } });
  });
  return toTemplate(row);
}
