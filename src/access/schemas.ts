import { z } from 'zod';
import { PERMISSION_CODES, type Permission } from './permissions.ts';

/** A sign-in name: lower-case letters, digits and `._@-`, 2–64 characters. */
export const Username = z
  .string()
  .trim()
  .min(2, 'at least 2 characters')
  .max(64, 'at most 64 characters')
  .regex(/^[a-z0-9][a-z0-9._@-]*$/, 'lower-case letters, digits, . _ @ or -, starting with a letter or digit');

/** Long passwords over composition rules (NIST SP 800-63B §5.1.1): at least 10 characters, at most 256. */
export const Password = z.string().min(10, 'at least 10 characters').max(256, 'at most 256 characters');

export const RoleName = z
  .string()
  .trim()
  .min(2, 'at least 2 characters')
  .max(40, 'at most 40 characters')
  .regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, _ or -, starting with a letter');

export const PermissionCode = z.enum(PERMISSION_CODES as [Permission, ...Permission[]]);

const names = (what: string) => z.array(z.string().trim().min(1, `a ${what} cannot be empty`).max(128)).min(1, `at least one ${what}`).max(1000);

/**
 * Which customers a principal may see (docs/security.md#data-scopes): all of them; those who bought in some stores;
 * those registered in, or who bought through, some channels; those living in some cities or provinces; or those
 * assigned to the user (customer_owners, as a WeCom 导购 owns their customers).
 */
export const DataScope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('stores'), stores: names('store id') }).strict(),
  z.object({ kind: z.literal('channels'), channels: names('channel') }).strict(),
  z.object({ kind: z.literal('regions'), regions: names('city or province') }).strict(),
  z.object({ kind: z.literal('own') }).strict(),
]);
export type DataScope = z.infer<typeof DataScope>;

export const ALL_CUSTOMERS: DataScope = { kind: 'all' };

/** Access settings, kept in `settings` under `access.*` keys; every one has a default. */
export const AccessSettings = z
  .object({
    sessionHours: z.coerce.number().positive().max(24 * 30).default(12),
    sessionIdleMinutes: z.coerce.number().positive().max(24 * 60).default(60),
    lockoutFailures: z.coerce.number().int().min(1).max(1000).default(5),
    lockoutMinutes: z.coerce.number().positive().max(24 * 60).default(15),
    ipFailures: z.coerce.number().int().min(1).max(100_000).default(30),
    requireAdminTotp: z
      .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
      .default(false),
  })
  .strict();
export type AccessSettings = z.infer<typeof AccessSettings>;

/** The settings' keys in the `settings` table. */
export const ACCESS_SETTING_KEYS: Record<keyof AccessSettings, string> = {
  sessionHours: 'access.session_hours',
  sessionIdleMinutes: 'access.session_idle_minutes',
  lockoutFailures: 'access.lockout_failures',
  lockoutMinutes: 'access.lockout_minutes',
  ipFailures: 'access.ip_failures',
  requireAdminTotp: 'access.require_admin_totp',
};
