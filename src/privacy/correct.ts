import { z } from 'zod';
import { parseBirthday } from '../core/birthday.ts';
import { SiyuError } from '../core/errors.ts';
import type { KeyRing, Queryable } from '../store/index.ts';
import { normaliseIdentifier } from './blind-index.ts';
import { openPii, SEALED_PROFILE_COLUMNS, sealPii } from './fields.ts';
import { storedIdentifier } from './pii.ts';

/** Profile fields stored sealed. */
const SEALED_FIELDS: ReadonlySet<string> = new Set(SEALED_PROFILE_COLUMNS);

/** The profile fields a correction request may change (PIPL art. 46). */
export const CorrectionChanges = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  phone: z.string().min(1).max(40).optional(),
  email: z.string().min(1).max(320).optional(),
  birthday: z.string().refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && parseBirthday(v) !== undefined, 'a date like 1990-05-01').optional(),
  city: z.string().min(1).max(100).optional(),
  gender: z.enum(['f', 'm', 'other']).optional(),
});
export type CorrectionChanges = z.infer<typeof CorrectionChanges>;

/**
 * Applies a correction to a profile inside the caller's transaction. A corrected phone or email also replaces the
 * identity that routed the old one to this profile; one that belongs to another profile is a conflict (the two
 * may be one person: that is a merge, not a correction). Returns the fields changed.
 */
export async function applyCorrection(tx: Queryable, ring: KeyRing, customerId: string, changes: CorrectionChanges, now: Date): Promise<string[]> {
  const parsed = CorrectionChanges.parse(changes);
  const values: Record<string, string> = {};
  for (const [field, value] of Object.entries(parsed)) if (value !== undefined) values[field] = field === 'phone' || field === 'email' ? normaliseIdentifier(field, value, `changes.${field}`) : value;
  for (const type of ['phone', 'email'] as const) {
    const value = values[type];
    if (value === undefined) continue;
    // Identities of these types are stored as blind indexes with the value sealed beside them (docs/privacy.md).
    const stored = storedIdentifier(ring, { type, value });
    const [owner] = await tx.query<{ customer_id: string }>('SELECT customer_id FROM identities WHERE type = $1 AND value = $2', [type, stored.value]);
    if (owner && owner.customer_id !== customerId) throw new SiyuError('conflict', 'identity_taken', `the ${type} given belongs to another profile (${owner.customer_id}); merge the profiles instead of correcting`, { details: [{ path: `changes.${type}`, message: 'belongs to another profile' }] });
    // The old value's identity goes: the profile's other identities of the type (an old number kept on purpose) stay.
    const [before] = await tx.query<{ value: string | null }>(`SELECT ${type} AS value FROM customers WHERE customer_id = $1`, [customerId]);
    const old = before?.value ? storedIdentifier(ring, { type, value: openPii(ring, before.value) }).value : undefined;
    if (old) await tx.execute('DELETE FROM identities WHERE type = $1 AND value = $2 AND customer_id = $3', [type, old, customerId]);
    if (!owner) await tx.insertRows('identities', ['type', 'value', 'secret', 'customer_id', 'source', 'created_at'], [[type, stored.value, stored.secret ?? null, customerId, 'correction', now]]);
  }
  const fields = Object.keys(values);
  if (fields.length > 0) {
    const columns: [string, string | number, string][] = fields.map((f) => [f, SEALED_FIELDS.has(f) ? sealPii(ring, values[f]!) : values[f]!, 'TEXT']);
    // A sealed birthday keeps its plain year and month beside it (core/birthday.ts).
    const birthday = values.birthday === undefined ? undefined : parseBirthday(values.birthday)!;
    if (birthday) columns.push(['birth_year', birthday.year, 'SMALLINT'], ['birth_month', birthday.month, 'SMALLINT']);
    await tx.execute(
      `UPDATE customers SET ${columns.map(([c, , type], i) => `${c} = CAST($${i + 2} AS ${type})`).join(', ')}, updated_at = $${columns.length + 2} WHERE customer_id = $1`,
      [customerId, ...columns.map(([, v]) => v), now],
    );
  }
  return fields;
}
