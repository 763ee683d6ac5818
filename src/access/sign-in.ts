import { SiyuError } from '../core/errors.ts';
import { keyRingFor, type Queryable, type Store } from '../store/index.ts';
import { recordAudit } from './audit.ts';
import { verifyPassword } from './passwords.ts';
import { endSession, startSession, type NewSession } from './sessions.ts';
import { readAccessSettings } from './settings.ts';
import { acceptTotp, openTotpSecret } from './totp.ts';
import { getUser, type User } from './users.ts';

export interface SignInInput {
  username: string;
  password: string;
  /** The 6-digit code, for users with a second factor. */
  totp?: string;
  /** The client's address, for throttling and the audit log. */
  ip: string;
  userAgent?: string;
}

type Outcome = 'ok' | 'bad_password' | 'unknown_user' | 'disabled' | 'bad_totp' | 'locked' | 'throttled';
// Outcomes that count towards a lock-out: guesses. Refusals while locked do not, so a lock ends when it said it would.
const FAILURES: Outcome[] = ['bad_password', 'unknown_user', 'bad_totp'];
const FAILURE_SQL = FAILURES.map((f) => `'${f}'`).join(', ');

/**
 * When the name is locked out, the time the lock ends: `failures` guesses within `minutes`, none followed by a
 * successful sign-in, lock the name until `minutes` after the oldest of those guesses. Counted by name, known or
 * not, so a lock-out does not reveal whether an account exists.
 */
async function lockedUntil(db: Queryable, username: string, failures: number, minutes: number, now: Date): Promise<Date | undefined> {
  const windowStart = new Date(now.getTime() - minutes * 60_000);
  const rows = await db.query<{ attempted_at: Date }>(
    `SELECT attempted_at FROM login_attempts WHERE username = $1 AND outcome IN (${FAILURE_SQL}) AND attempted_at > $2
       AND attempted_at > coalesce((SELECT max(attempted_at) FROM login_attempts WHERE username = $1 AND outcome = 'ok'), $2)
     ORDER BY attempted_at DESC LIMIT ${failures}`,
    [username, windowStart],
  );
  return rows.length >= failures ? new Date(rows[failures - 1]!.attempted_at.getTime() + minutes * 60_000) : undefined;
}

/** Whether the address has made `limit` or more failed guesses, at any names, within `minutes`. */
async function ipThrottled(db: Queryable, ip: string, limit: number, minutes: number, now: Date): Promise<boolean> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*) AS n FROM login_attempts WHERE ip = $1 AND outcome IN (${FAILURE_SQL}) AND attempted_at > $2`, [ip, new Date(now.getTime() - minutes * 60_000)]);
  return Number(row?.n ?? 0) >= limit;
}

/** Records the attempt and, for anything but success, its audit entry: both commit even though sign-in then fails. */
async function record(store: Store, username: string, input: SignInInput, outcome: Outcome, details: Record<string, unknown> = {}): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.execute('INSERT INTO login_attempts (attempted_at, username, ip, outcome) VALUES ($1, $2, $3, $4)', [new Date(), username, input.ip, outcome]);
    const action = outcome === 'locked' || outcome === 'throttled' ? 'auth.sign_in_refused' : 'auth.sign_in_failed';
    await recordAudit(tx, { actor: 'anonymous', action, target: username, details: { reason: outcome, ip: input.ip, ...details } });
  });
}

const invalid = () => new SiyuError('unauthorized', 'invalid_credentials', 'wrong user name or password');

/**
 * Signs a user in: refuses an address that has guessed too often and a name that is locked out, checks the
 * password (Argon2id) and, when the user has one, the TOTP code, and opens a session. Every failure is recorded for
 * lock-out and in the audit log (auth.sign_in_failed, auth.sign_in_refused); success is audited as auth.sign_in.
 */
export async function signIn(store: Store, input: SignInInput): Promise<{ session: NewSession; user: User }> {
  const username = input.username.trim().toLowerCase();
  const settings = await readAccessSettings(store);
  const now = new Date();
  if (await ipThrottled(store, input.ip, settings.ipFailures, settings.lockoutMinutes, now)) {
    await record(store, username, input, 'throttled');
    throw new SiyuError('rate_limited', 'too_many_attempts', `too many failed sign-ins from this address; try again in ${settings.lockoutMinutes} minutes`);
  }
  const locked = await lockedUntil(store, username, settings.lockoutFailures, settings.lockoutMinutes, now);
  if (locked) {
    await record(store, username, input, 'locked', { until: locked.toISOString() });
    const minutes = Math.max(1, Math.ceil((locked.getTime() - now.getTime()) / 60_000));
    throw new SiyuError('rate_limited', 'account_locked', `this account is locked after ${settings.lockoutFailures} failed sign-ins; try again in ${minutes} minute${minutes > 1 ? 's' : ''}, or ask an admin to reset the password`);
  }
  const [row] = await store.query<{ user_id: string; password_hash: string; is_disabled: boolean; totp_secret: string | null; totp_enabled_at: Date | null; totp_last_step: number | null }>(
    'SELECT user_id, password_hash, is_disabled, totp_secret, totp_enabled_at, totp_last_step FROM users WHERE username = $1',
    [username],
  );
  if (!(await verifyPassword(row?.password_hash, input.password))) {
    await record(store, username, input, row ? 'bad_password' : 'unknown_user');
    throw invalid();
  }
  if (!row) throw invalid(); // unreachable: verifyPassword says no without a hash
  if (row.is_disabled) {
    await record(store, username, input, 'disabled');
    throw new SiyuError('unauthorized', 'account_disabled', 'this account is disabled; ask an admin');
  }
  let step: number | undefined;
  if (row.totp_enabled_at && row.totp_secret) {
    // A missing code is a request for one, not a guess: the password was right.
    if (!input.totp) throw new SiyuError('unauthorized', 'totp_required', 'enter the 6-digit code from your authenticator app', { details: [{ path: 'totp', message: 'required' }] });
    const secret = openTotpSecret(await keyRingFor(store), row.user_id, row.totp_secret);
    step = acceptTotp(secret, input.totp, row.totp_last_step === null ? null : Number(row.totp_last_step));
    if (step === undefined) {
      await record(store, username, input, 'bad_totp');
      throw new SiyuError('unauthorized', 'invalid_totp', 'the authenticator code is wrong or was already used', { details: [{ path: 'totp', message: 'wrong code' }] });
    }
  }
  return store.transaction(async (tx) => {
    const at = new Date();
    if (step !== undefined) await tx.execute('UPDATE users SET totp_last_step = $2 WHERE user_id = $1', [row.user_id, step]);
    await tx.execute("INSERT INTO login_attempts (attempted_at, username, ip, outcome) VALUES ($1, $2, $3, 'ok')", [at, username, input.ip]);
    // The attempts table only serves lock-outs (minutes to hours); the audit log keeps the history.
    await tx.execute('DELETE FROM login_attempts WHERE attempted_at < $1', [new Date(at.getTime() - 86_400_000)]);
    const session = await startSession(tx, row.user_id, { ip: input.ip, userAgent: input.userAgent });
    await recordAudit(tx, { actor: `user:${username}`, action: 'auth.sign_in', target: username, details: { ip: input.ip, secondFactor: step !== undefined } });
    return { session, user: await getUser(tx, username) };
  });
}

/** Signs a session out and audits it as auth.sign_out. */
export async function signOut(store: Store, sessionHash: string, username: string): Promise<void> {
  await store.transaction(async (tx) => {
    await endSession(tx, sessionHash);
    await recordAudit(tx, { actor: `user:${username}`, action: 'auth.sign_out', target: username });
  });
}
