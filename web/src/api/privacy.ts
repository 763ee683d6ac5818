import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrapAs } from './client.ts';
import type { paths } from './schema';

// Consents and data-subject requests (docs/privacy.md); shapes as src/privacy returns them.

export interface PurposeConsent {
  purpose: string;
  name: string;
  basis: string;
  status: string | null;
  isAllowed: boolean;
  source: string | null;
  effectiveAt: string | null;
  textVersion: string | null;
}

export interface ConsentEntry {
  entryId: string;
  purpose: string;
  status: string;
  source: string;
  effectiveAt: string;
  recordedAt: string;
  textVersion: string | null;
  recordedBy: string | null;
}

export type RequestType = 'access' | 'correction' | 'deletion' | 'withdrawal';
export type RequestStatus = 'open' | 'fulfilled' | 'rejected';

export interface PrivacyRequest {
  requestId: string;
  subjectId: string;
  type: RequestType;
  status: RequestStatus;
  note: string | null;
  requestedAt: string;
  dueOn: string;
  handler: string | null;
  handledAt: string | null;
  result: unknown;
}

export type CreateRequestBody = paths['/v1/privacy/requests']['post']['requestBody']['content']['application/json'];

export const useConsents = (customerId: string | undefined) =>
  useQuery({ queryKey: ['consents', customerId], queryFn: () => unwrapAs<{ customerId: string; purposes: PurposeConsent[]; history: ConsentEntry[] }>(api.GET('/v1/customers/{id}/consents', { params: { path: { id: customerId! } } })), enabled: Boolean(customerId) });

export const usePrivacyRequests = (filter: { status?: RequestStatus; type?: RequestType }) =>
  useQuery({ queryKey: ['privacy-requests', filter], queryFn: async () => (await unwrapAs<{ requests: PrivacyRequest[] }>(api.GET('/v1/privacy/requests', { params: { query: filter } }))).requests });

export function usePrivacyMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['privacy-requests'] });
  return {
    create: useMutation({ mutationFn: (body: CreateRequestBody) => unwrapAs<PrivacyRequest>(api.POST('/v1/privacy/requests', { body })), onSuccess: done }),
    fulfil: useMutation({ mutationFn: ({ id, handler }: { id: string; handler: string }) => unwrapAs<PrivacyRequest>(api.POST('/v1/privacy/requests/{id}/fulfil', { params: { path: { id } }, body: { handler } })), onSuccess: done }),
    reject: useMutation({ mutationFn: ({ id, handler, reason }: { id: string; handler: string; reason: string }) => unwrapAs<PrivacyRequest>(api.POST('/v1/privacy/requests/{id}/reject', { params: { path: { id } }, body: { handler, reason } })), onSuccess: done }),
  };
}
