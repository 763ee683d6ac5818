import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../store/index.ts';
import { readDataScope } from './data-scope.ts';
import { grants } from './permissions.ts';
import type { Principal } from './principal.ts';
import { permissionsOfRoles } from './roles.ts';
import { readAccessSettings, readAccessSettingsCached } from './settings.ts';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A new session as the browser gets it: the id for the cookie and the CSRF token for unsafe requests. */
export interface NewSession {
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
}

/** A session found by its cookie: who it is, and what its CSRF token hashes to. */
export interface ActiveSession {
  principal: Principal;
  csrfHash: string;
}

// last_seen_at is written at most this often per session: enough for an idle timeout counted in minutes.
const TOUCH_MS = 60_000;

/** Opens a session for a user who has just proven who they are. Only hashes of the id and token are stored. */
export async function startSession(db: Queryable, userId: string, client: { ip?: string; userAgent?: string } = {}): Promise<NewSession> {
  const settings = await readAccessSettings(db);
  const sessionId = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const now = new Date();
  const expiresAt = new Date(now.getTime() + settings.sessionHours * 3_600_000);
  await db.execute(
    'INSERT INTO sessions (session_hash, user_id, csrf_hash, created_at, last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)',
    [sha256(sessionId), userId, sha256(csrfToken), now, expiresAt, client.ip ?? null, client.userAgent?.slice(0, 300) ?? null],
  );
  return { sessionId, csrfToken, expiresAt };
}

/**
 * The session behind a cookie value, or undefined when it is unknown, signed out, past its lifetime, idle for
 * longer than the idle timeout, or its user is disabled. Permissions are read from the user's roles now, so a role
 * change applies to open sessions at their next request.
 */
export async function authenticateSession(db: Queryable, sessionId: string): Promise<ActiveSession | undefined> {
  const sessionHash = sha256(sessionId);
  const [row] = await db.query<{ user_id: string; csrf_hash: string; last_seen_at: Date; expires_at: Date; revoked_at: Date | null; username: string; data_scope: string; is_disabled: boolean; totp_enabled_at: Date | null }>(
    `SELECT s.user_id, s.csrf_hash, s.last_seen_at, s.expires_at, s.revoked_at, u.username, u.data_scope, u.is_disabled, u.totp_enabled_at
     FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE s.session_hash = $1`,
    [sessionHash],
  );
  if (!row || row.revoked_at || row.is_disabled) return undefined;
  const settings = await readAccessSettingsCached(db);
  const now = Date.now();
  if (row.expires_at.getTime() <= now || now - row.last_seen_at.getTime() > settings.sessionIdleMinutes * 60_000) return undefined;
  if (now - row.last_seen_at.getTime() > TOUCH_MS) await db.execute('UPDATE sessions SET last_seen_at = $2 WHERE session_hash = $1', [sessionHash, new Date(now)]);
  const roles = (await db.query<{ role: string }>('SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role', [row.user_id])).map((r) => r.role);
  const permissions = await permissionsOfRoles(db, roles);
  return {
    principal: {
      kind: 'user',
      id: row.user_id,
      name: row.username,
      roles,
      permissions,
      dataScope: readDataScope(row.data_scope),
      mustEnrolTotp: settings.requireAdminTotp && grants(permissions, 'admin') && row.totp_enabled_at === null,
      sessionHash,
    },
    csrfHash: row.csrf_hash,
  };
}

/** Whether `token` is the session's CSRF token (compared in constant time). */
export function csrfMatches(session: ActiveSession, token: string | undefined): boolean {
  if (!token) return false;
  const given = Buffer.from(sha256(token));
  const expected = Buffer.from(session.csrfHash);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Signs a session out: its cookie is refused from now on, even by a server that has not restarted. */
export async function endSession(db: Queryable, sessionHash: string): Promise<void> {
  await db.execute('UPDATE sessions SET revoked_at = $2 WHERE session_hash = $1 AND revoked_at IS NULL', [sessionHash, new Date()]);
}
