import { SiyuError } from '../core/errors.ts';
import type { Queryable } from '../store/index.ts';

/** The built-in purposes (migration 026); brands add their own with definePurpose. */
export const BUILTIN_PURPOSES = ['sms_marketing', 'wecom_message', 'email_marketing', 'miniprogram_subscribe', 'personalised_recommendation', 'sensitive_data', 'third_party_sharing'] as const;

/** What a decision says. `denied`: refused when first asked; `withdrawn`: granted once, then taken back. */
export const CONSENT_STATUSES = ['granted', 'withdrawn', 'denied'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** `opt_in`: allowed only once granted. `opt_out`: allowed until refused (PIPL art. 24 personalised recommendations). */
export type ConsentBasis = 'opt_in' | 'opt_out';

export interface Purpose {
  purpose: string;
  name: string;
  nameZh: string | null;
  basis: ConsentBasis;
  piplArticle: string | null;
  /** The Segment consent categoryId that means this purpose, if it is not the purpose's own id. */
  segmentCategory: string | null;
  isBuiltin: boolean;
}

const PURPOSE_ID = /^[a-z][a-z0-9_]{0,63}$/;

/** Throws unless `purpose` is a well-formed purpose id (it is inlined into SQL predicates, so this is also a guard). */
export function assertPurposeId(purpose: string, path = 'purpose'): void {
  if (!PURPOSE_ID.test(purpose)) throw new SiyuError('validation', 'invalid_purpose', `${path}: a purpose is lower-case letters, digits and _, starting with a letter, not ${JSON.stringify(purpose)}`, { details: [{ path, message: 'not a purpose id' }] });
}

interface PurposeRow {
  purpose: string;
  name: string;
  name_zh: string | null;
  basis: ConsentBasis;
  pipl_article: string | null;
  segment_category: string | null;
  is_builtin: boolean;
}

const fromRow = (r: PurposeRow): Purpose => ({ purpose: r.purpose, name: r.name, nameZh: r.name_zh, basis: r.basis, piplArticle: r.pipl_article, segmentCategory: r.segment_category, isBuiltin: r.is_builtin });

/** Every purpose, built-in first. */
export async function listPurposes(db: Queryable): Promise<Purpose[]> {
  const rows = await db.query<PurposeRow>('SELECT purpose, name, name_zh, basis, pipl_article, segment_category, is_builtin FROM consent_purposes ORDER BY is_builtin DESC, purpose');
  return rows.map(fromRow);
}

/** The purposes named, or a not_found error listing those that do not exist. */
export async function getPurposes(db: Queryable, purposes: readonly string[]): Promise<Map<string, Purpose>> {
  const all = new Map((await listPurposes(db)).map((p) => [p.purpose, p]));
  const missing = [...new Set(purposes)].filter((p) => !all.has(p));
  if (missing.length > 0) {
    throw new SiyuError('not_found', 'unknown_purpose', `unknown consent purpose ${missing.map((p) => JSON.stringify(p)).join(', ')}; known: ${[...all.keys()].join(', ')} (brands add their own with \`siyu consent purpose define\`)`, {
      details: missing.map((p) => ({ path: 'purpose', message: `unknown purpose ${p}` })),
    });
  }
  return all;
}

export interface DefinePurposeInput {
  purpose: string;
  name: string;
  nameZh?: string;
  basis?: ConsentBasis;
  segmentCategory?: string;
}

/** Adds or updates a brand-defined purpose; built-in purposes may only change their Segment category. */
export async function definePurpose(db: Queryable, input: DefinePurposeInput): Promise<Purpose> {
  assertPurposeId(input.purpose);
  const [existing] = await db.query<PurposeRow>('SELECT purpose, name, name_zh, basis, pipl_article, segment_category, is_builtin FROM consent_purposes WHERE purpose = $1', [input.purpose]);
  if (existing?.is_builtin) {
    await db.execute('UPDATE consent_purposes SET segment_category = $2 WHERE purpose = $1', [input.purpose, input.segmentCategory ?? existing.segment_category]);
  } else {
    await db.insertRows(
      'consent_purposes',
      ['purpose', 'name', 'name_zh', 'basis', 'pipl_article', 'segment_category', 'is_builtin', 'created_at'],
      [[input.purpose, input.name, input.nameZh ?? null, input.basis ?? 'opt_in', null, input.segmentCategory ?? null, false, new Date()]],
      '(purpose) DO UPDATE SET name = excluded.name, name_zh = excluded.name_zh, basis = excluded.basis, segment_category = excluded.segment_category',
    );
  }
  return (await getPurposes(db, [input.purpose])).get(input.purpose)!;
}
