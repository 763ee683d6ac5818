import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema';

export type CustomerFilters = Omit<NonNullable<paths['/v1/customers']['get']['parameters']['query']>, 'after' | 'limit' | 'with_total'>;
export type CustomerPage = paths['/v1/customers']['get']['responses']['200']['content']['application/json'];
export type CustomerProfile = paths['/v1/customers/{id}']['get']['responses']['200']['content']['application/json'];

/** One page of the customer list; the total is counted with the first page only. */
export const useCustomerPage = (filters: CustomerFilters, after: string | undefined, limit = 20) =>
  useQuery({
    queryKey: ['customers', filters, after, limit],
    queryFn: () => unwrap(api.GET('/v1/customers', { params: { query: { ...filters, after, limit, with_total: after ? 'false' : 'true' } } })),
    placeholderData: keepPreviousData,
  });

export const useCustomerFilterValues = () => useQuery({ queryKey: ['customer-filters'], queryFn: () => unwrap(api.GET('/v1/customers/filters')), staleTime: 60_000 });

export const useCustomer = (id: string | undefined) =>
  useQuery({ queryKey: ['customer', id], queryFn: () => unwrap(api.GET('/v1/customers/{id}', { params: { path: { id: id! } } })), enabled: Boolean(id) });

export const useRecommendations = (id: string | undefined) =>
  useQuery({ queryKey: ['recommendations', id], queryFn: () => unwrap(api.GET('/v1/recommendations/{customerId}', { params: { path: { customerId: id! }, query: { n: 10, context: 'console' } } })), enabled: Boolean(id) });

/** Adds or removes a manual tag, then refreshes the profile. */
export function useTagMutation(id: string) {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['customer', id] });
  return {
    add: useMutation({ mutationFn: (tag: string) => unwrap(api.POST('/v1/customers/{id}/tags', { params: { path: { id } }, body: { tag } })), onSuccess: done }),
    remove: useMutation({ mutationFn: (tag: string) => unwrap(api.DELETE('/v1/customers/{id}/tags/{tag}', { params: { path: { id, tag } } })), onSuccess: done }),
  };
}

/** The profile with personal data unmasked: needs customers:read_pii and a reason, which the server audits. */
export const useRevealCustomer = (id: string) =>
  useMutation({
    mutationFn: (reason: string) => unwrap(api.GET('/v1/customers/{id}', { params: { path: { id }, query: { reveal: 'true' } }, headers: { 'x-reveal-reason': encodeURIComponent(reason) } })),
  });
