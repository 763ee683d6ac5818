import type { TierSettings } from '../../api/loyalty-types.ts';
import type { FieldName } from '../../components/field-errors.ts';

// The tier editor's model is the API's own shape (PUT /v1/loyalty/settings/tiers), so an error's path names the field.
// The server takes any list of tiers and sorts it by threshold; the editor asks for more: the rows in ascending order
// of threshold, the first at 0 (every member is in some tier: growth below every threshold lands in the lowest), and
// names used once (members are stored by tier name).

export type Tier = TierSettings['tiers'][number];

const TIER_FIELDS = ['name', 'threshold', 'pointsMultiplier', 'benefits'];
const TOP_FIELDS = ['growthPerYuan', 'windowDays', 'keepShare', 'graceDays'];

/** Whether an API error path names one of the editor's fields (`tiers[1].threshold`, `keepShare`). */
export const isTierField = (name: FieldName): boolean =>
  (name.length === 1 && TOP_FIELDS.includes(String(name[0]))) || (name.length === 3 && name[0] === 'tiers' && typeof name[1] === 'number' && TIER_FIELDS.includes(String(name[2])));

export type TierProblem = 'firstNotZero' | 'notAscending' | 'duplicateName';

/** What is wrong with row `index` of the tiers as a ladder (beyond each field's own checks), if anything. */
export function tierProblem(tiers: readonly Partial<Tier>[], index: number, field: 'name' | 'threshold'): TierProblem | undefined {
  const tier = tiers[index];
  if (!tier) return undefined;
  if (field === 'name') {
    const name = tier.name?.trim();
    return name && tiers.some((other, i) => i !== index && other?.name?.trim() === name) ? 'duplicateName' : undefined;
  }
  if (typeof tier.threshold !== 'number') return undefined;
  if (index === 0) return tier.threshold === 0 ? undefined : 'firstNotZero';
  const previous = tiers[index - 1]?.threshold;
  return typeof previous === 'number' && tier.threshold <= previous ? 'notAscending' : undefined;
}

/** The body to save: names trimmed, benefits without blanks. */
export function toTierSettings(form: TierSettings): TierSettings {
  return {
    ...form,
    tiers: form.tiers.map((t) => ({ name: t.name.trim(), threshold: t.threshold, pointsMultiplier: t.pointsMultiplier, benefits: (t.benefits ?? []).map((b) => b.trim()).filter(Boolean) })),
  };
}

/** The tiers that still have members but that the edited rules no longer name: those members are placed again by the new rules. */
export function droppedTiers(form: Pick<TierSettings, 'tiers'>, distribution: readonly { tier: string; members: number }[]): { tier: string; members: number }[] {
  const names = new Set(form.tiers.map((t) => t?.name?.trim()));
  return distribution.filter((d) => d.members > 0 && !names.has(d.tier));
}
