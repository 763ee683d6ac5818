import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createUser, listAudit, resetPassword, openTotpSecret, sealPlainTotpSecrets, totpCode, updateAccessSettings } from '../../src/access/index.ts';
import { forgetKeyRing, keyRingFor, rotateDataKey } from '../../src/privacy/index.ts';
import { buildServer } from '../../src/server/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { PASSWORD, signInOverHttp } from './helpers.ts';

for (const backend of BACKENDS) {
  describe(`sessions and sign-in on ${backend}`, () => {
    test('sign-in sets an HttpOnly SameSite cookie; unsafe requests need the CSRF token; a cookie replayed after sign-out gets 401', () =>
      withStore(backend, async (store) => {
        await createUser(store, { username: 'wang', password: PASSWORD, roles: ['operator'] }, 'test');
        const app = await buildServer({ store });
        try {
          const { res, cookie, csrf, setCookie } = await signInOverHttp(app, 'Wang ');
          assert.deepEqual([setCookie.httpOnly, setCookie.sameSite, setCookie.path, setCookie.secure ?? false], [true, 'Lax', '/', false], 'not Secure over plain HTTP');
          assert.deepEqual(res.json().user.roles, ['operator']);
          assert.equal(res.cookies.find((c) => c.name === 'siyu_csrf')?.value, csrf, 'the CSRF token also in a readable cookie, for the console after a reload');
          assert.ok(res.headers['x-frame-options'] && res.headers['content-security-policy'], 'helmet headers');

          const me = await app.inject({ url: '/v1/auth/me', headers: { cookie } });
          assert.deepEqual([me.statusCode, me.json().name, me.json().kind], [200, 'wang', 'user']);
          const tag = { method: 'POST' as const, url: '/v1/segments/preview', payload: { definition: { field: 'city', op: '=', value: '上海' } } };
          const noToken = await app.inject({ ...tag, headers: { cookie } });
          assert.deepEqual([noToken.statusCode, noToken.json().code], [403, 'csrf_token_invalid']);
          const wrongToken = await app.inject({ ...tag, headers: { cookie, 'x-csrf-token': 'guess' } });
          assert.equal(wrongToken.json().code, 'csrf_token_invalid');
          assert.equal((await app.inject({ ...tag, headers: { cookie, 'x-csrf-token': csrf } })).statusCode, 200);

          const out = await app.inject({ method: 'POST', url: '/v1/auth/sign-out', headers: { cookie, 'x-csrf-token': csrf } });
          assert.equal(out.statusCode, 200);
          const replay = await app.inject({ url: '/v1/auth/me', headers: { cookie } });
          assert.deepEqual([replay.statusCode, replay.json().code], [401, 'session_ended']);
          assert.deepEqual((await listAudit(store, { action: 'auth.' })).map((e) => e.action), ['auth.sign_out', 'auth.sign_in']);
        } finally {
          await app.close();
        }
      }));

    test('behind a TLS proxy the cookie is Secure; idle and expired sessions and disabled users are refused', () =>
      withStore(backend, async (store) => {
        await createUser(store, { username: 'li', password: PASSWORD, roles: ['viewer'] }, 'test');
        const app = await buildServer({ store, trustProxy: true });
        try {
          const signIn = await app.inject({ method: 'POST', url: '/v1/auth/sign-in', headers: { 'x-forwarded-proto': 'https' }, payload: { username: 'li', password: PASSWORD } });
          assert.equal(signIn.cookies.find((c) => c.name === 'siyu_session')?.secure, true);
          const { cookie } = await signInOverHttp(app, 'li');
          assert.equal((await app.inject({ url: '/v1/auth/me', headers: { cookie } })).statusCode, 200);
          await store.execute(`UPDATE sessions SET last_seen_at = last_seen_at - INTERVAL '61 minutes'`);
          assert.equal((await app.inject({ url: '/v1/auth/me', headers: { cookie } })).json().code, 'session_ended', 'idle longer than session_idle_minutes (60)');
          const again = await signInOverHttp(app, 'li');
          await store.execute(`UPDATE sessions SET expires_at = now() - INTERVAL '1 second'`);
          assert.equal((await app.inject({ url: '/v1/auth/me', headers: { cookie: again.cookie } })).statusCode, 401, 'past its lifetime');
          const third = await signInOverHttp(app, 'li');
          await store.execute('UPDATE users SET is_disabled = TRUE');
          assert.equal((await app.inject({ url: '/v1/auth/me', headers: { cookie: third.cookie } })).statusCode, 401, 'user disabled');
          const refused = await app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { username: 'li', password: PASSWORD } });
          assert.deepEqual([refused.statusCode, refused.json().code], [401, 'account_disabled']);
        } finally {
          await app.close();
        }
      }));

    test('brute force: after N failed sign-ins the account is locked, even for the right password, and each failure is audited', () =>
      withStore(backend, async (store) => {
        await createUser(store, { username: 'zhao', password: PASSWORD, roles: ['analyst'] }, 'test');
        await updateAccessSettings(store, { lockout_failures: '3', lockout_minutes: '10' }, 'test');
        const app = await buildServer({ store });
        try {
          const attempt = (username: string, password: string) => app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { username, password } });
          for (let i = 0; i < 3; i++) {
            const wrong = await attempt('zhao', `wrong-password-${i}`);
            assert.deepEqual([wrong.statusCode, wrong.json().code], [401, 'invalid_credentials']);
          }
          const locked = await attempt('zhao', PASSWORD);
          assert.deepEqual([locked.statusCode, locked.json().code], [429, 'account_locked']);
          assert.match(locked.json().message, /try again in 10 minutes/);
          // Unknown names lock out the same way, so a lock does not reveal whether an account exists.
          for (let i = 0; i < 3; i++) await attempt('nobody', 'whatever-it-is');
          assert.equal((await attempt('nobody', 'whatever-it-is')).json().code, 'account_locked');

          const failures = await listAudit(store, { action: 'auth.sign_in_failed' });
          assert.deepEqual(failures.map((f) => [f.target, f.details.reason]).slice(-3), [['zhao', 'bad_password'], ['zhao', 'bad_password'], ['zhao', 'bad_password']]);
          assert.equal((await listAudit(store, { action: 'auth.sign_in_refused', actor: 'anonymous' })).length, 2);

          // The lock ends lockout_minutes after the failures: move them back in time.
          await store.execute(`UPDATE login_attempts SET attempted_at = attempted_at - INTERVAL '11 minutes' WHERE username = 'zhao'`);
          assert.equal((await attempt('zhao', PASSWORD)).statusCode, 200);
          for (let i = 0; i < 3; i++) await attempt('zhao', 'wrong-again-x');
          assert.equal((await attempt('zhao', PASSWORD)).statusCode, 429);
          await resetPassword(store, 'zhao', 'a brand new password', 'test');
          assert.equal((await attempt('zhao', 'a brand new password')).statusCode, 200, 'a password reset clears the lock');
        } finally {
          await app.close();
        }
      }));

    test('one address guessing at many names is throttled; the sign-in route is rate-limited too', () =>
      withStore(backend, async (store) => {
        await updateAccessSettings(store, { ip_failures: '4' }, 'test');
        const app = await buildServer({ store, rateLimits: { signInPerMinute: 6 } });
        try {
          const attempt = (username: string) => app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { username, password: 'not-the-password' } });
          for (const name of ['a1', 'a2', 'a3', 'a4']) assert.equal((await attempt(name)).statusCode, 401);
          const throttled = await attempt('a5');
          assert.deepEqual([throttled.statusCode, throttled.json().code], [429, 'too_many_attempts']);
          assert.equal((await attempt('a6')).json().code, 'too_many_attempts');
          const limited = await attempt('a7');
          assert.deepEqual([limited.statusCode, limited.json().code], [429, 'rate_limited'], 'the 7th request in a minute from one address');
          assert.ok(limited.headers['retry-after']);
        } finally {
          await app.close();
        }
      }));

    test('TOTP: enrolment shows an otpauth URI; then sign-in needs a current code, and a code cannot be used twice', () =>
      withStore(backend, async (store) => {
        await createUser(store, { username: 'admin', password: PASSWORD, roles: ['admin'] }, 'test');
        const app = await buildServer({ store });
        try {
          const { cookie, csrf } = await signInOverHttp(app, 'admin');
          const headers = { cookie, 'x-csrf-token': csrf };
          const enrol = await app.inject({ method: 'POST', url: '/v1/auth/totp', headers });
          assert.equal(enrol.statusCode, 200);
          const { secret, uri } = enrol.json();
          assert.match(uri, new RegExp(`^otpauth://totp/Siyu:admin\\?.*secret=${secret}`));
          const wrong = await app.inject({ method: 'POST', url: '/v1/auth/totp/confirm', headers, payload: { code: totpCode(secret, Date.now() - 300_000) } });
          assert.deepEqual([wrong.statusCode, wrong.json().code], [400, 'invalid_totp']);
          const code = totpCode(secret);
          assert.equal((await app.inject({ method: 'POST', url: '/v1/auth/totp/confirm', headers, payload: { code } })).statusCode, 200);
          const [stored] = await store.query<{ totp_secret: string }>("SELECT totp_secret FROM users WHERE username = 'admin'");
          assert.match(stored!.totp_secret, /^e1:/, 'the secret is stored sealed');
          assert.ok(!stored!.totp_secret.includes(secret), 'not as the plain base32');

          const signIn = (extra: object) => app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { username: 'admin', password: PASSWORD, ...extra } });
          assert.equal((await signIn({})).json().code, 'totp_required');
          assert.equal((await signIn({ totp: '000000' === code ? '111111' : '000000' })).json().code, 'invalid_totp');
          assert.equal((await signIn({ totp: code })).json().code, 'invalid_totp', 'the code used to confirm cannot sign in again');
          // The next step's code (within the allowed drift) is accepted once.
          const next = totpCode(secret, Date.now() + 30_000);
          assert.equal((await signIn({ totp: next })).statusCode, 200);
          assert.equal((await signIn({ totp: next })).json().code, 'invalid_totp', 'replayed');
          assert.deepEqual((await listAudit(store, { action: 'auth.sign_in' }))[0]!.details, { ip: '127.0.0.1', secondFactor: true });
        } finally {
          await app.close();
        }
      }));

    test('a TOTP secret stored in plain by an earlier version is sealed once, and sign-in with it still works', () =>
      withStore(backend, async (store) => {
        const user = await createUser(store, { username: 'old', password: PASSWORD, roles: ['admin'] }, 'test');
        const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
        await store.execute('UPDATE users SET totp_secret = $2, totp_enabled_at = $3 WHERE user_id = $1', [user.userId, secret, new Date()]);
        const app = await buildServer({ store });
        try {
          const signIn = (totp: string) => app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { username: 'old', password: PASSWORD, totp } });
          assert.equal((await signIn(totpCode(secret, Date.now() - 30_000))).statusCode, 200, 'a plain secret still opens before conversion');
          assert.equal(await sealPlainTotpSecrets(store), 1);
          assert.equal(await sealPlainTotpSecrets(store), 0, 'a second run finds nothing');
          const [row] = await store.query<{ totp_secret: string }>('SELECT totp_secret FROM users WHERE user_id = $1', [user.userId]);
          const ring = await keyRingFor(store);
          assert.ok(row!.totp_secret.startsWith('e1:') && !row!.totp_secret.includes(secret));
          assert.equal((await signIn(totpCode(secret))).statusCode, 200, 'the sealed secret signs in');
          // Bound to its user: the same token copied to another user does not open.
          assert.throws(() => openTotpSecret(ring, 'u_other', row!.totp_secret), { code: 'decrypt_failed' });
          assert.equal(openTotpSecret(ring, user.userId, row!.totp_secret), secret);
          // Key rotation re-encrypts it with the rest, and it still signs in.
          const rotation = await rotateDataKey(store, { graceMs: 0 });
          assert.equal(rotation.columns.find((c) => c.table === 'users' && c.column === 'totp_secret')?.rowsChanged, 1);
          forgetKeyRing(store);
          assert.equal((await signIn(totpCode(secret, Date.now() + 30_000))).statusCode, 200, 'after rotation');
        } finally {
          await app.close();
        }
      }));

    test('when admins must have a second factor, an admin without one may only enrol until they do', () =>
      withStore(backend, async (store) => {
        await createUser(store, { username: 'root', password: PASSWORD, roles: ['admin'] }, 'test');
        await createUser(store, { username: 'ana', password: PASSWORD, roles: ['analyst'] }, 'test');
        await updateAccessSettings(store, { require_admin_totp: 'true' }, 'test');
        const app = await buildServer({ store });
        try {
          const { res, cookie, csrf } = await signInOverHttp(app, 'root');
          assert.equal(res.json().user.mustEnrolTotp, true);
          const blocked = await app.inject({ url: '/v1/users', headers: { cookie } });
          assert.deepEqual([blocked.statusCode, blocked.json().code], [403, 'totp_enrolment_required']);
          const { secret } = (await app.inject({ method: 'POST', url: '/v1/auth/totp', headers: { cookie, 'x-csrf-token': csrf } })).json();
          await app.inject({ method: 'POST', url: '/v1/auth/totp/confirm', headers: { cookie, 'x-csrf-token': csrf }, payload: { code: totpCode(secret) } });
          assert.equal((await app.inject({ url: '/v1/users', headers: { cookie } })).statusCode, 200, 'enrolled: the same session goes on');
          const analyst = await signInOverHttp(app, 'ana');
          assert.equal(analyst.res.json().user.mustEnrolTotp, false, 'only admins are required to');
        } finally {
          await app.close();
        }
      }));
  });
}
