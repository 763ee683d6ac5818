import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema';

export type Me = paths['/v1/auth/me']['get']['responses']['200']['content']['application/json'];

/** Whether the signed-in user holds a permission (`admin` holds every one). */
export const can = (me: Pick<Me, 'permissions'> | undefined, permission: string): boolean => Boolean(me && (me.permissions.includes(permission) || me.permissions.includes('admin')));

/** Who is signed in: name, roles, permissions, data scope. A 401 sends the operator to sign in (auth.ts). */
export const useMe = () => useQuery({ queryKey: ['me'], queryFn: () => unwrap(api.GET('/v1/auth/me')), staleTime: 5 * 60_000, retry: false });

/** Ends the session on the server and forgets everything this tab loaded. */
export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/v1/auth/sign-out')),
    onSettled: () => client.clear(),
  });
}

/** TOTP enrolment: a new secret and its otpauth:// URI, then confirming with a code. */
export function useTotpEnrolment() {
  const client = useQueryClient();
  return {
    begin: useMutation({ mutationFn: () => unwrap(api.POST('/v1/auth/totp')) }),
    confirm: useMutation({ mutationFn: (code: string) => unwrap(api.POST('/v1/auth/totp/confirm', { body: { code } })), onSuccess: () => client.invalidateQueries({ queryKey: ['me'] }) }),
  };
}
