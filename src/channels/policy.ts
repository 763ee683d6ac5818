import { z } from 'zod';
import { parseOrThrow } from '../core/validation.ts';
import { localActor, recordAudit } from '../access/index.ts';
import type { Queryable, Store } from '../store/index.ts';

const Cap = z.object({ day: z.number().int().min(0).optional(), week: z.number().int().min(0).optional(), month: z.number().int().min(0).optional() }).strict();
const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time is HH:MM');

/**
 * The global contact policy: one place, applied at send time to every marketing message of every journey and
 * broadcast (transactional messages are exempt from caps and quiet hours, never from consent).
 */
export const ContactPolicy = z
  .object({
    caps: z.record(z.string(), Cap).describe('per channel and customer: at most this many marketing messages in a rolling day, week (7 days) and month (30 days)'),
    quiet_hours: z.object({ start: LocalTime, end: LocalTime }).strict().nullable().describe('marketing waits until the end of this window, in the customer\'s timezone'),
    global_control_share: z.number().min(0).max(0.5).describe('customers held out of all marketing, by a stable hash, to measure the whole program'),
    message_ttl_hours: z.number().int().min(1).max(24 * 30).describe('a marketing message not sent within this long (deferred by caps or quiet hours) is skipped'),
  })
  .strict();
export type ContactPolicy = z.infer<typeof ContactPolicy>;

/**
 * The defaults: marketing SMS at most 1 a day and 4 a week, WeCom mass sends 4 a month (the platform's own limit),
 * email 1 a day and 3 a week, one mini-program message a day; quiet from 21:00 to 08:00 (providers allow promotion
 * SMS 08:00-21:00); 5% global control; 72 hours to send (../shared/reference/CHANNELS.md §4).
 */
export const DEFAULT_CONTACT_POLICY: ContactPolicy = {
  caps: { sms: { day: 1, week: 4 }, wecom: { month: 4 }, email: { day: 1, week: 3 }, miniprogram: { day: 1 } },
  quiet_hours: { start: '21:00', end: '08:00' },
  global_control_share: 0.05,
  message_ttl_hours: 72,
};

const KEY = 'contact_policy';

/** The brand's contact policy (the defaults until it is changed). */
export async function getContactPolicy(db: Queryable): Promise<ContactPolicy> {
  const [row] = await db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [KEY]);
  return row ? ContactPolicy.parse(JSON.parse(row.value)) : DEFAULT_CONTACT_POLICY;
}

/** Changes the contact policy: the given fields replace the current ones (caps per channel as a whole). */
export async function updateContactPolicy(store: Store, patch: unknown, actor = localActor()): Promise<ContactPolicy> {
  const changes = parseOrThrow(ContactPolicy.partial(), patch, 'contact policy');
  const current = await getContactPolicy(store);
  const next = ContactPolicy.parse({ ...current, ...changes, caps: changes.caps ? { ...current.caps, ...changes.caps } : current.caps });
  await store.transaction(async (tx) => {
    await tx.execute('INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at', [KEY, JSON.stringify(next)]);
    await recordAudit(tx, { actor, action: 'settings.contact_policy', details: changes });
  });
  return next;
}

/** Minutes after local midnight of HH:MM. */
export const minutesOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** Whether a local time (minutes after midnight) falls in the quiet window, which may wrap past midnight. */
export function isQuiet(quiet: ContactPolicy['quiet_hours'], minutes: number): boolean {
  if (!quiet) return false;
  const [start, end] = [minutesOf(quiet.start), minutesOf(quiet.end)];
  return start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}
