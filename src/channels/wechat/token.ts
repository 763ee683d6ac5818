import { createHash } from 'node:crypto';

interface Cached {
  token: string;
  expiresAt: number;
}

/**
 * Access tokens, cached per app (corp or app id and a hash of its secret) until a minute before they expire (WeCom
 * gives 7,200 s) and shared by every channel of the process; `invalidate` drops one after an expired/invalid-token
 * error (WeCom 40014, 42001), so the next call fetches a new one.
 */
export class TokenCache {
  private readonly tokens = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<string>>();
  fetches = 0;

  key(app: string, secret: string): string {
    return `${app}:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
  }

  async get(key: string, fetchToken: () => Promise<{ token: string; expiresInSeconds: number }>, now = Date.now()): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > now) return cached.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetchToken()
        .then(({ token, expiresInSeconds }) => {
          this.fetches++;
          this.tokens.set(key, { token, expiresAt: now + Math.max(0, expiresInSeconds - 60) * 1000 });
          return token;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  invalidate(key: string): void {
    this.tokens.delete(key);
  }
}

/** The process's one token cache. */
export const TOKENS = new TokenCache();

/** WeCom and WeChat errors that mean the token is expired or invalid. */
export const TOKEN_ERRORS = new Set([40001, 40014, 42001, 42007]);
