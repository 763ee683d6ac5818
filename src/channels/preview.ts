import { SiyuError } from '../core/errors.ts';
import { customerSummaries } from '../segment/index.ts';
import type { Store } from '../store/index.ts';
import { getChannelInfo } from './config.ts';
import { fillTemplate, smsParts } from './sms/text.ts';
import { listChannelTemplates } from './template-registry.ts';
import { renderTemplate } from './templates.ts';

/** A registered template as one customer would receive it. */
export interface TemplatePreview {
  channel: string;
  template: string;
  customerId: string;
  /** Each parameter's value for this customer (its Liquid rendered with the customer's profile). */
  params: Record<string, string>;
  /** The text the customer reads: the template with its placeholders filled, the SMS signature in front. */
  text: string;
  /** Billed SMS parts (70 characters in one, else parts of 67), for SMS channels; null elsewhere. */
  smsParts: number | null;
  /** Parameters the template needs that were not given. */
  missingParams: string[];
  /** Whether the customer has an address on this channel (the address itself is not shown). */
  hasAddress: boolean;
}

const ADDRESS_FIELD: Record<string, 'phone' | 'email' | 'openid' | 'external_userid'> = { aliyun_sms: 'phone', tencent_sms: 'phone', smtp: 'email', miniprogram: 'openid', wecom: 'external_userid' };

/**
 * Renders a registered template for one real customer without sending anything: each parameter value is Liquid
 * (`{{ customer.name }}`) rendered with the customer's profile, as the dispatcher renders a journey's message, then
 * filled into the provider text. An unknown channel, template or customer is not_found.
 */
export async function previewTemplate(store: Store, channel: string, template: string, customerId: string, params: Readonly<Record<string, string>> = {}): Promise<TemplatePreview> {
  const info = await getChannelInfo(store, channel);
  const found = (await listChannelTemplates(store, channel)).find((t) => t.name === template);
  if (!found) throw new SiyuError('not_found', 'template_not_found', `no template ${JSON.stringify(template)} on channel ${channel} (siyu channels template add)`);
  const summary = (await customerSummaries(store, [customerId])).get(customerId);
  if (!summary) throw new SiyuError('not_found', 'customer_not_found', `customer_id: no customer ${JSON.stringify(customerId)}`, { details: [{ path: 'customer_id', message: 'no such customer' }] });
  const variables = { customer: summary, recommendations: [], context: {}, journey: { id: null } };
  const rendered: Record<string, string> = {};
  for (const [key, source] of Object.entries(params)) {
    try {
      rendered[key] = renderTemplate(source, variables);
    } catch (error) {
      throw new SiyuError('validation', 'invalid_template', `params.${key}: ${(error as Error).message}`, { details: [{ path: `params.${key}`, message: (error as Error).message }] });
    }
  }
  const isSms = info.provider === 'aliyun_sms' || info.provider === 'tencent_sms';
  const filled = fillTemplate(found.body, rendered, found.params);
  const text = isSms ? `【${String(info.settings.sign_name ?? '')}】${filled}` : filled;
  const field = ADDRESS_FIELD[info.provider]!;
  const hasAddress = field === 'phone' || field === 'email' ? Boolean(summary[field]) : Object.keys(summary.identities).some((t) => (field === 'openid' ? t.startsWith('openid:') : t === field));
  return { channel, template, customerId, params: rendered, text, smsParts: isSms ? smsParts(text) : null, missingParams: found.params.filter((p) => rendered[p] === undefined), hasAddress };
}
