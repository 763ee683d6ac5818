import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema';

// Users, roles, API keys and the audit log (src/server/routes/access.ts): thin hooks over the generated client.

export type DataScope = NonNullable<paths['/v1/users']['post']['requestBody']['content']['application/json']['dataScope']>;
export type CreateUserBody = paths['/v1/users']['post']['requestBody']['content']['application/json'];
export type UpdateUserBody = paths['/v1/users/{username}']['patch']['requestBody']['content']['application/json'];
export type CreateKeyBody = paths['/v1/keys']['post']['requestBody']['content']['application/json'];
export type User = paths['/v1/users']['get']['responses']['200']['content']['application/json']['users'][number];
export type Role = paths['/v1/roles']['get']['responses']['200']['content']['application/json']['roles'][number];
export type ApiKey = paths['/v1/keys']['get']['responses']['200']['content']['application/json']['keys'][number];
export type AuditEntry = paths['/v1/audit']['get']['responses']['200']['content']['application/json']['entries'][number];
export type AuditVerification = paths['/v1/audit/verify']['get']['responses']['200']['content']['application/json'];

export interface AuditFilter {
  actor?: string;
  action?: string;
  limit?: number;
}

/** A data scope as the API writes it in text: all, own, stores:S1,S2… */
export const scopeText = (scope: DataScope): string => (scope.kind === 'stores' ? `stores:${scope.stores.join(',')}` : scope.kind === 'channels' ? `channels:${scope.channels.join(',')}` : scope.kind === 'regions' ? `regions:${scope.regions.join(',')}` : scope.kind);

/** The text form back to a data scope (the inverse of scopeText); undefined when it is not one. */
export function parseScope(text: string): DataScope | undefined {
  const [kind, list = ''] = text.trim().split(/:(.*)/s) as [string, string?];
  const values = list.split(',').map((v) => v.trim()).filter(Boolean);
  if (kind === 'all' || kind === 'own') return { kind };
  if (!values.length) return undefined;
  if (kind === 'stores') return { kind, stores: values };
  if (kind === 'channels') return { kind, channels: values };
  if (kind === 'regions') return { kind, regions: values };
  return undefined;
}

export const useUsers = (enabled = true) => useQuery({ queryKey: ['users'], queryFn: async () => (await unwrap(api.GET('/v1/users'))).users, enabled });
export const useRoles = (enabled = true) => useQuery({ queryKey: ['roles'], queryFn: () => unwrap(api.GET('/v1/roles')), enabled });
export const useApiKeys = (enabled = true) => useQuery({ queryKey: ['api-keys'], queryFn: async () => (await unwrap(api.GET('/v1/keys'))).keys, enabled });
export const useAudit = (filter: AuditFilter, enabled = true) =>
  useQuery({ queryKey: ['audit', filter], queryFn: async () => (await unwrap(api.GET('/v1/audit', { params: { query: { limit: filter.limit ?? 100, actor: filter.actor || undefined, action: filter.action || undefined } } }))).entries, enabled });
export const useAuditVerify = () => useMutation({ mutationFn: () => unwrap(api.GET('/v1/audit/verify')) });

export function useUserMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['users'] });
  return {
    create: useMutation({ mutationFn: (body: CreateUserBody) => unwrap(api.POST('/v1/users', { body })), onSuccess: done }),
    update: useMutation({ mutationFn: ({ username, ...body }: UpdateUserBody & { username: string }) => unwrap(api.PATCH('/v1/users/{username}', { params: { path: { username } }, body })), onSuccess: done }),
    resetPassword: useMutation({ mutationFn: ({ username, password }: { username: string; password: string }) => unwrap(api.POST('/v1/users/{username}/reset-password', { params: { path: { username } }, body: { password } })), onSuccess: done }),
    resetTotp: useMutation({ mutationFn: (username: string) => unwrap(api.POST('/v1/users/{username}/totp-reset', { params: { path: { username } } })), onSuccess: done }),
  };
}

export function useRoleMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['roles'] });
  return {
    save: useMutation({ mutationFn: ({ name, label, permissions }: { name: string; label?: string; permissions: string[] }) => unwrap(api.PUT('/v1/roles/{name}', { params: { path: { name } }, body: { label, permissions: permissions as never } })), onSuccess: done }),
    remove: useMutation({ mutationFn: (name: string) => unwrap(api.DELETE('/v1/roles/{name}', { params: { path: { name } } })), onSuccess: done }),
  };
}

export function useApiKeyMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['api-keys'] });
  return {
    create: useMutation({ mutationFn: (body: CreateKeyBody) => unwrap(api.POST('/v1/keys', { body })), onSuccess: done }),
    revoke: useMutation({ mutationFn: (id: string) => unwrap(api.DELETE('/v1/keys/{id}', { params: { path: { id } } })), onSuccess: done }),
  };
}
