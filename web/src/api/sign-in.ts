import { api, ApiError, unwrap } from './client.ts';
import type { Me } from './me.ts';
import type { paths } from './schema';

// What the sign-in page calls, apart from me.ts: that file brings TanStack Query's mutations, which the page people
// wait on first does not need (its JavaScript budget is 300 KB gzipped; bench/console.ts).

export type SignInBody = paths['/v1/auth/sign-in']['post']['requestBody']['content']['application/json'];

/** Signs in; the server sets the session and CSRF cookies. A TOTP-enrolled user gets `totp_required` first. */
export async function signIn(body: SignInBody): Promise<Me> {
  return (await unwrap(api.POST('/v1/auth/sign-in', { body }))).user;
}

/** Whether an error asks for the second factor (enrolled user, no or wrong code). */
export const needsTotp = (error: unknown) => error instanceof ApiError && (error.code === 'totp_required' || error.code === 'invalid_totp');
