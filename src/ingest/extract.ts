import { parseBirthday } from '../core/birthday.ts';
import type { ErrorDetail } from '../core/errors.ts';
import { normaliseEmail, normalisePhone, type Identifier } from './identifiers.ts';

type Dict = Record<string, unknown>;

const asDict = (value: unknown): Dict => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Dict) : {});
const asText = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined;

export interface ExtractInput {
  userId?: string | null;
  anonymousId?: string | null;
  traits?: Dict;
  context?: Dict;
}

/**
 * Collects every identifier a message carries, normalised. Traits come from `traits` (identify, group)
 * or `context.traits` (any call). WeChat ids: `unionid`; `openid` with `openid_app` (or `context.app.name`),
 * or a map `openids: { appId: openid }`; WeCom's `external_userid`. Invalid phones and emails are reported at their path.
 */
export function extractIdentifiers(input: ExtractInput, traitsPath = 'traits'): { identifiers: Identifier[]; issues: ErrorDetail[] } {
  const identifiers: Identifier[] = [];
  const issues: ErrorDetail[] = [];
  const add = (type: Identifier['type'], value: string | undefined) => {
    if (value !== undefined && !identifiers.some((i) => i.type === type && i.value === value)) identifiers.push({ type, value });
  };
  add('user_id', asText(input.userId));

  const context = asDict(input.context);
  const sources: [string, Dict][] = [
    [traitsPath, asDict(input.traits)],
    ['context.traits', asDict(context.traits)],
  ];
  for (const [path, traits] of sources) {
    const phone = asText(traits.phone);
    if (phone !== undefined) {
      const normal = normalisePhone(phone);
      if (normal) add('phone', normal);
      else issues.push({ path: `${path}.phone`, message: `not a valid phone number: ${JSON.stringify(phone)}` });
    }
    const email = asText(traits.email);
    if (email !== undefined) {
      const normal = normaliseEmail(email);
      if (normal) add('email', normal);
      else issues.push({ path: `${path}.email`, message: `not a valid email address: ${JSON.stringify(email)}` });
    }
    add('member_no', asText(traits.member_no ?? traits.memberNo));
    add('unionid', asText(traits.unionid ?? traits.unionId));
    const openid = asText(traits.openid ?? traits.openId);
    if (openid) add(`openid:${asText(traits.openid_app) ?? asText(asDict(context.app).name) ?? 'default'}`, openid);
    for (const [app, id] of Object.entries(asDict(traits.openids))) add(`openid:${app}`, asText(id));
    add('external_userid', asText(traits.external_userid ?? traits.externalUserId));
  }
  add('device', asText(asDict(context.device).id));
  add('anonymous_id', asText(input.anonymousId));
  return { identifiers, issues };
}

/** The profile columns an identify call fills, from its traits (Segment reserved trait names). */
export function profileColumns(traits: Dict): Record<string, unknown> {
  const phone = asText(traits.phone);
  const email = asText(traits.email);
  const name = asText(traits.name) ?? ([asText(traits.lastName), asText(traits.firstName)].filter(Boolean).join('') || undefined);
  const gender = asText(traits.gender)?.toLowerCase();
  const text = asText(traits.birthday);
  const birthday = text === undefined ? undefined : parseBirthday(text);
  const address = asDict(traits.address);
  return {
    phone: phone ? normalisePhone(phone) : undefined,
    email: email ? normaliseEmail(email) : undefined,
    name,
    gender: gender === undefined ? undefined : ['f', 'female', '女'].includes(gender) ? 'f' : ['m', 'male', '男'].includes(gender) ? 'm' : 'other',
    // Sealed when stored; its year and month are kept plain beside it (core/birthday.ts).
    birthday: birthday?.iso,
    birth_year: birthday?.year,
    birth_month: birthday?.month,
    city: asText(traits.city) ?? asText(address.city),
    registered_at: asText(traits.createdAt ?? traits.created_at),
    channel: asText(traits.channel),
  };
}
