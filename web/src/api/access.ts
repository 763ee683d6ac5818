import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrapAs } from './client.ts';
import type { paths } from './schema';

// Users, roles, API keys and the audit log (src/server/routes/access.ts). These routes declare request schemas but
// no response schemas yet, so the answers' shapes are written out here as src/access returns them.

export type DataScope = NonNullable<paths['/v1/users']['post']['requestBody']['content']['application/json']['dataScope']>;
export type CreateUserBody = paths['/v1/users']['post']['requestBody']['content']['application/json'];
export type UpdateUserBody = paths['/v1/users/{username}']['patch']['requestBody']['content']['application/json'];
export type CreateKeyBody = paths['/v1/keys']['post']['requestBody']['content']['application/json'];

export interface User {
  userId: string;
  username: string;
  displayName: string | null;
  roles: string[];
  dataScope: DataScope;
  isDisabled: boolean;
  hasTotp: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Role {
  name: string;
  label: string;
  permissions: string[];
  isBuiltIn: boolean;
}

export interface ApiKey {
  keyId: string;
  name: string;
  scopes: string[];
  dataScope: DataScope;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  rows: number;
  head: { seq: number; hash: string };
  broken?: { seq: number; problem: string };
}

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

export const useUsers = (enabled = true) => useQuery({ queryKey: ['users'], queryFn: async () => (await unwrapAs<{ users: User[] }>(api.GET('/v1/users'))).users, enabled });
export const useRoles = (enabled = true) => useQuery({ queryKey: ['roles'], queryFn: () => unwrapAs<{ roles: Role[]; permissions: { code: string; description: string }[] }>(api.GET('/v1/roles')), enabled });
export const useApiKeys = (enabled = true) => useQuery({ queryKey: ['api-keys'], queryFn: async () => (await unwrapAs<{ keys: ApiKey[] }>(api.GET('/v1/keys'))).keys, enabled });
export const useAudit = (filter: AuditFilter, enabled = true) =>
  useQuery({ queryKey: ['audit', filter], queryFn: async () => (await unwrapAs<{ entries: AuditEntry[] }>(api.GET('/v1/audit', { params: { query: { limit: filter.limit ?? 100, actor: filter.actor || undefined, action: filter.action || undefined } } }))).entries, enabled });
export const useAuditVerify = () => useMutation({ mutationFn: () => unwrapAs<AuditVerification>(api.GET('/v1/audit/verify')) });

export function useUserMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['users'] });
  return {
    create: useMutation({ mutationFn: (body: CreateUserBody) => unwrapAs<User>(api.POST('/v1/users', { body })), onSuccess: done }),
    update: useMutation({ mutationFn: ({ username, ...body }: UpdateUserBody & { username: string }) => unwrapAs<User>(api.PATCH('/v1/users/{username}', { params: { path: { username } }, body })), onSuccess: done }),
    resetPassword: useMutation({ mutationFn: ({ username, password }: { username: string; password: string }) => unwrapAs<{ reset: true }>(api.POST('/v1/users/{username}/reset-password', { params: { path: { username } }, body: { password } })), onSuccess: done }),
    resetTotp: useMutation({ mutationFn: (username: string) => unwrapAs<{ reset: true }>(api.POST('/v1/users/{username}/totp-reset', { params: { path: { username } } })), onSuccess: done }),
  };
}

export function useRoleMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['roles'] });
  return {
    save: useMutation({ mutationFn: ({ name, label, permissions }: { name: string; label?: string; permissions: string[] }) => unwrapAs<Role>(api.PUT('/v1/roles/{name}', { params: { path: { name } }, body: { label, permissions: permissions as never } })), onSuccess: done }),
    remove: useMutation({ mutationFn: (name: string) => unwrapAs<{ deleted: string }>(api.DELETE('/v1/roles/{name}', { params: { path: { name } } })), onSuccess: done }),
  };
}

export function useApiKeyMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['api-keys'] });
  return {
    create: useMutation({ mutationFn: (body: CreateKeyBody) => unwrapAs<ApiKey & { key: string }>(api.POST('/v1/keys', { body })), onSuccess: done }),
    revoke: useMutation({ mutationFn: (id: string) => unwrapAs<{ revoked: string }>(api.DELETE('/v1/keys/{id}', { params: { path: { id } } })), onSuccess: done }),
  };
}
