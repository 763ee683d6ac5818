type Answer = { errcode: number; errmsg: string } | Record<string, unknown>;
const fail = (errcode: number, errmsg: string): Answer => ({ errcode, errmsg });

/** A stored group welcome template: the text and the attachments as the request gave them. */
export interface SimulatedWelcomeTemplate {
  text?: { content: string };
  image?: { media_id?: string; pic_url?: string };
  link?: { title: string; picurl?: string; desc?: string; url: string };
  miniprogram?: { title: string; pic_media_id: string; appid: string; page: string };
}

const ATTACHMENTS = ['image', 'link', 'miniprogram', 'file', 'video'] as const;
/** The platform's limit: at most 100 group welcome templates a corp (doc 92366). */
const LIMIT = 100;
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** Why a template body is refused (40058, WeCom's code for a bad parameter), or undefined. */
function refusal(body: Record<string, unknown>): string | undefined {
  const text = body.text as { content?: unknown } | undefined;
  if (text !== undefined && typeof text.content !== 'string') return 'text.content must be a string';
  if (text && Buffer.byteLength(String(text.content)) > 4000) return 'text.content exceeds 4000 bytes';
  const given = ATTACHMENTS.filter((k) => body[k] !== undefined);
  if (!text?.content && given.length === 0) return 'text and attachments cannot both be empty';
  const image = body.image as Record<string, unknown> | undefined;
  if (image && !isText(image.media_id) && !isText(image.pic_url)) return 'image needs media_id or pic_url';
  const link = body.link as Record<string, unknown> | undefined;
  if (link && (!isText(link.title) || !isText(link.url))) return 'link needs title and url';
  const mp = body.miniprogram as Record<string, unknown> | undefined;
  if (mp && !(['title', 'pic_media_id', 'appid', 'page'] as const).every((k) => isText(mp[k]))) return 'miniprogram needs title, pic_media_id, appid and page';
  return undefined;
}

/** What the platform keeps: when several attachments come, only the first of image, link, miniprogram, file, video. */
function kept(body: Record<string, unknown>): SimulatedWelcomeTemplate {
  const first = ATTACHMENTS.find((k) => body[k] !== undefined);
  return { ...(body.text ? { text: body.text as { content: string } } : {}), ...(first ? { [first]: body[first] } : {}) };
}

/**
 * The simulated group welcome templates (入群欢迎语素材, doc 92366): add returns a template_id; edit replaces one;
 * get answers it; del removes it. A bad body and an unknown template_id are refused with 40058 (the code WeCom uses
 * for a bad parameter; the one for an unknown template is assumed), more than 100 templates with 41066 (assumed).
 */
export class WecomWelcomeTemplates {
  readonly templates = new Map<string, SimulatedWelcomeTemplate>();
  private next = 1;

  answer(path: string, body: Record<string, unknown>): Answer | undefined {
    const id = String(body.template_id ?? '');
    switch (path) {
      case '/wecom/cgi-bin/externalcontact/group_welcome_template/add': {
        const why = refusal(body);
        if (why) return fail(40058, `invalid parameter: ${why}`);
        if (this.templates.size >= LIMIT) return fail(41066, 'group welcome template count exceeds 100');
        const templateId = `msg${(this.next++).toString().padStart(6, '0')}`;
        this.templates.set(templateId, kept(body));
        return { template_id: templateId };
      }
      case '/wecom/cgi-bin/externalcontact/group_welcome_template/edit': {
        if (!this.templates.has(id)) return fail(40058, 'invalid template_id');
        const why = refusal(body);
        if (why) return fail(40058, `invalid parameter: ${why}`);
        this.templates.set(id, kept(body));
        return {};
      }
      case '/wecom/cgi-bin/externalcontact/group_welcome_template/get': {
        const t = this.templates.get(id);
        return t ? { ...t } : fail(40058, 'invalid template_id');
      }
      case '/wecom/cgi-bin/externalcontact/group_welcome_template/del':
        return this.templates.delete(id) ? {} : fail(40058, 'invalid template_id');
      default:
        return undefined;
    }
  }
}
