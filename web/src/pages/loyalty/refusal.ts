import type { TFunction } from 'i18next';
import type { CouponRefusal } from '../../api/loyalty-types.ts';
import type { Formatter } from '../../components/format.ts';

// Why a coupon does not apply, in the operator's language: the API gives each refusal a reason code and its figures
// (docs/loyalty.md, "Stacking"), and the sentence is loyalty.refusal.<code> with the figures formatted: amounts (…Fen)
// as money, instants in the brand timezone, counts grouped.

const INSTANTS = new Set(['expiresAt', 'validFrom', 'validTo']);

/** One figure of a refusal as text. */
function figure(key: string, value: unknown, t: TFunction, format: Formatter): string {
  if (value === null || value === undefined) return t('loyalty.refusal.none');
  if (typeof value === 'number') return key.endsWith('Fen') ? format.money(value) : format.count(value);
  if (INSTANTS.has(key)) return format.dateTime(String(value));
  if (key === 'status') return t(`loyalty.refusal.status.${String(value)}`);
  return String(value);
}

/** A refusal's sentence in the current language. */
export function describeRefusal(refusal: Pick<CouponRefusal, 'reasonCode' | 'params'>, t: TFunction, format: Formatter): string {
  const values = Object.fromEntries(Object.entries(refusal.params).map(([key, value]) => [key, figure(key, value, t, format)]));
  return t(`loyalty.refusal.${refusal.reasonCode}`, values);
}
