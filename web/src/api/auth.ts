import type { Middleware } from 'openapi-fetch';

// Sign-in for the console (docs/security.md, "Sessions and CSRF"). The server sets an HttpOnly session cookie and a
// readable `siyu_csrf` cookie at sign-in; every request that changes something sends that token back in the
// X-CSRF-Token header. Reading it from the cookie (not from memory) keeps it across reloads and tabs. A 401 sends
// the operator to sign in again, back to where they were afterwards. Only this file knows these details.

const CSRF_COOKIE = 'siyu_csrf';
const CSRF_HEADER = 'x-csrf-token';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Requests whose 401 means "wrong credentials", not "session over". */
const NO_REDIRECT = ['/v1/auth/sign-in'];

/** The session's CSRF token, from its readable cookie. */
export function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Where the sign-in page sends the operator back to: the page they were on. */
export const signInPath = (next = window.location.pathname + window.location.search) => (next === '/' || next.startsWith('/sign-in') ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`);

export const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = csrfToken();
    if (token && !SAFE.has(request.method)) request.headers.set(CSRF_HEADER, token);
    return request;
  },
  onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    if (response.status === 401 && !NO_REDIRECT.includes(path) && !window.location.pathname.startsWith('/sign-in')) window.location.assign(signInPath());
    return response;
  },
};
