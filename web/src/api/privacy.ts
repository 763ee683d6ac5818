import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema';

// Consents and data-subject requests (docs/privacy.md): thin hooks over the generated client.

export type PrivacyRequest = paths['/v1/privacy/requests/{id}']['get']['responses']['200']['content']['application/json'];
export type RequestType = PrivacyRequest['type'];
export type RequestStatus = PrivacyRequest['status'];

export type CreateRequestBody = paths['/v1/privacy/requests']['post']['requestBody']['content']['application/json'];

export const useConsents = (customerId: string | undefined) =>
  useQuery({ queryKey: ['consents', customerId], queryFn: () => unwrap(api.GET('/v1/customers/{id}/consents', { params: { path: { id: customerId! } } })), enabled: Boolean(customerId) });

export const usePrivacyRequests = (filter: { status?: RequestStatus; type?: RequestType }) =>
  useQuery({ queryKey: ['privacy-requests', filter], queryFn: async () => (await unwrap(api.GET('/v1/privacy/requests', { params: { query: filter } }))).requests });

export function usePrivacyMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['privacy-requests'] });
  return {
    create: useMutation({ mutationFn: (body: CreateRequestBody) => unwrap(api.POST('/v1/privacy/requests', { body })), onSuccess: done }),
    fulfil: useMutation({ mutationFn: ({ id, handler }: { id: string; handler: string }) => unwrap(api.POST('/v1/privacy/requests/{id}/fulfil', { params: { path: { id } }, body: { handler } })), onSuccess: done }),
    reject: useMutation({ mutationFn: ({ id, handler, reason }: { id: string; handler: string; reason: string }) => unwrap(api.POST('/v1/privacy/requests/{id}/reject', { params: { path: { id } }, body: { handler, reason } })), onSuccess: done }),
  };
}
