import { TOKEN_ERRORS, TOKENS } from './token.ts';

/** An answer from a WeCom or WeChat API: errcode 0 is success. */
export type WxAnswer = { errcode?: number; errmsg?: string } & Record<string, unknown>;

/**
 * Calls a WeCom/WeChat API with the app's cached access token: a POST of `body` as JSON, or a GET when `body` is
 * undefined (the APIs the docs list as GET). A token error drops the token and the call is made once more with a
 * fresh one. Throws on a network failure or a body that is not JSON (the caller decides what that means).
 */
export async function callWx(base: string, tokenKey: string, fetchToken: () => Promise<{ token: string; expiresInSeconds: number }>, path: string, body: unknown, timeoutMs = 10_000): Promise<WxAnswer> {
  for (let attempt = 0; ; attempt++) {
    const token = await TOKENS.get(tokenKey, fetchToken);
    const response = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`, {
      ...(body === undefined ? { method: 'GET' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let answer: WxAnswer;
    try {
      answer = JSON.parse(text) as WxAnswer;
    } catch {
      throw new Error(`HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 80)}`);
    }
    if (answer.errcode !== undefined && TOKEN_ERRORS.has(answer.errcode) && attempt === 0) {
      TOKENS.invalidate(tokenKey);
      continue;
    }
    return answer;
  }
}

/** Fetches a WeCom token: GET /cgi-bin/gettoken?corpid&corpsecret. */
export function wecomTokenFetcher(base: string, corpId: string, secret: string, timeoutMs = 10_000) {
  return async () => {
    const response = await fetch(`${base}/cgi-bin/gettoken?corpid=${encodeURIComponent(corpId)}&corpsecret=${encodeURIComponent(secret)}`, { signal: AbortSignal.timeout(timeoutMs) });
    const answer = (await response.json()) as WxAnswer;
    if (answer.errcode || typeof answer.access_token !== 'string') throw new Error(`gettoken: ${answer.errcode}: ${answer.errmsg}`);
    return { token: answer.access_token, expiresInSeconds: Number(answer.expires_in ?? 7200) };
  };
}

/** Fetches a mini-program's stable token: POST /cgi-bin/stable_token (no rotation in normal mode). */
export function stableTokenFetcher(base: string, appId: string, secret: string, timeoutMs = 10_000) {
  return async () => {
    const response = await fetch(`${base}/cgi-bin/stable_token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credential', appid: appId, secret, force_refresh: false }), signal: AbortSignal.timeout(timeoutMs) });
    const answer = (await response.json()) as WxAnswer;
    if (answer.errcode || typeof answer.access_token !== 'string') throw new Error(`stable_token: ${answer.errcode}: ${answer.errmsg}`);
    return { token: answer.access_token, expiresInSeconds: Number(answer.expires_in ?? 7200) };
  };
}
