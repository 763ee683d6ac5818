import { Secret, TOTP } from 'otpauth';
import { SiyuError } from '../core/errors.ts';
import { isToken, keyRingFor, type KeyRing, type Store } from '../store/index.ts';
import { recordAudit } from './audit.ts';
import { getUser } from './users.ts';

// RFC 6238 as authenticator apps expect it: HMAC-SHA1, 6 digits, 30-second steps.
const PERIOD_SECONDS = 30;
const totpFor = (secret: string, label: string) => new TOTP({ issuer: 'Siyu', label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) });

// The shared secret is as good as a password's second half, so it is sealed with the store's key ring like personal
// data (docs/security.md), bound to its user's row: a secret copied to another user does not open.
const placeOf = (userId: string) => ({ table: 'users', column: 'totp_secret', row: userId });

/** The base32 secret of a stored `users.totp_secret`: a sealed token opened, a plain one (before sealing) as it is. */
export function openTotpSecret(ring: KeyRing, userId: string, stored: string): string {
  return isToken(stored) ? ring.decrypt(stored, placeOf(userId)) : stored;
}

/**
 * Seals secrets an earlier version stored in plain, once, when Siyu opens the store (cheap when there are none: one
 * probe). Compare-and-set on the old value, so an enrolment made meanwhile is left alone. Returns how many.
 */
export async function sealPlainTotpSecrets(store: Store): Promise<number> {
  const rows = await store.query<{ user_id: string; totp_secret: string }>("SELECT user_id, totp_secret FROM users WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE 'e1:%'");
  if (rows.length === 0) return 0;
  const ring = await keyRingFor(store);
  for (const r of rows) {
    await store.execute('UPDATE users SET totp_secret = $3 WHERE user_id = $1 AND totp_secret = $2', [r.user_id, r.totp_secret, ring.encrypt(r.totp_secret, placeOf(r.user_id))]);
  }
  return rows.length;
}

/**
 * The 30-second step a code belongs to, when it is right for the secret now (one step either side, for clock
 * drift) and newer than `lastStep`, the last step accepted; else undefined. Refusing a step already used stops a
 * code seen over someone's shoulder from being replayed within its half-minute.
 */
export function acceptTotp(secret: string, code: string, lastStep: number | null, now = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totpFor(secret, 'check').validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  const step = Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
  return lastStep !== null && step <= lastStep ? undefined : step;
}

/** The current code for a secret: for tests and for checking an authenticator's clock. */
export function totpCode(secret: string, now = Date.now()): string {
  return totpFor(secret, 'check').generate({ timestamp: now });
}

/**
 * Starts TOTP enrolment: a new secret, kept pending until `confirmTotp` proves the authenticator has it. Returns the
 * otpauth:// URI to show as a QR code, and the secret for manual entry. Refused while a factor is enabled.
 */
export async function beginTotpEnrolment(store: Store, username: string): Promise<{ secret: string; uri: string }> {
  const user = await getUser(store, username);
  if (user.hasTotp) throw new SiyuError('conflict', 'totp_enabled', `${user.username} already has a second factor; an admin can reset it with: siyu users totp-reset ${user.username}`);
  const secret = new Secret({ size: 20 }).base32;
  const ring = await keyRingFor(store);
  await store.execute('UPDATE users SET totp_secret = $2, totp_last_step = NULL, updated_at = $3 WHERE user_id = $1', [user.userId, ring.encrypt(secret, placeOf(user.userId)), new Date()]);
  return { secret, uri: totpFor(secret, user.username).toString() };
}

/** Enables the pending factor when `code` is right for it. Audited as user.totp_enable. */
export async function confirmTotp(store: Store, username: string, code: string, actor: string): Promise<void> {
  await store.transaction(async (tx) => {
    const user = await getUser(tx, username);
    const [row] = await tx.query<{ totp_secret: string | null; totp_enabled_at: Date | null }>('SELECT totp_secret, totp_enabled_at FROM users WHERE user_id = $1', [user.userId]);
    if (!row?.totp_secret || row.totp_enabled_at) throw new SiyuError('conflict', 'no_pending_totp', 'there is no TOTP enrolment to confirm; start one first (POST /v1/auth/totp)');
    const step = acceptTotp(openTotpSecret(await keyRingFor(store, tx), user.userId, row.totp_secret), code, null);
    if (step === undefined) throw new SiyuError('validation', 'invalid_totp', 'the code does not match; check the authenticator app’s clock and try the current code', { details: [{ path: 'code', message: 'wrong code' }] });
    await tx.execute('UPDATE users SET totp_enabled_at = $2, totp_last_step = $3, updated_at = $2 WHERE user_id = $1', [user.userId, new Date(), step]);
    await recordAudit(tx, { actor, action: 'user.totp_enable', target: user.username });
  });
}

/** Removes a user's second factor (a lost phone). Audited as user.totp_reset. */
export async function resetTotp(store: Store, username: string, actor: string): Promise<void> {
  await store.transaction(async (tx) => {
    const user = await getUser(tx, username);
    await tx.execute('UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $2 WHERE user_id = $1', [user.userId, new Date()]);
    await recordAudit(tx, { actor, action: 'user.totp_reset', target: user.username });
  });
}
