import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema';

// Journeys and the contact policy (docs/journeys.md): thin hooks over the generated client.

export type Journey = paths['/v1/journeys/{id}']['get']['responses']['200']['content']['application/json'];
export type JourneyStatus = Journey['status'];
export type JourneyReport = paths['/v1/journeys/{id}/report']['get']['responses']['200']['content']['application/json'];
export type ArmReport = JourneyReport['arms'][number];
export type ContactPolicy = paths['/v1/contact-policy']['get']['responses']['200']['content']['application/json'];

export const useJourneys = () => useQuery({ queryKey: ['journeys'], queryFn: async () => (await unwrap(api.GET('/v1/journeys'))).journeys });

export const useJourney = (id: string | undefined) =>
  useQuery({ queryKey: ['journey', id], queryFn: () => unwrap(api.GET('/v1/journeys/{id}', { params: { path: { id: id! } } })), enabled: Boolean(id) });

export const useJourneyReport = (id: string | undefined) =>
  useQuery({ queryKey: ['journey-report', id], queryFn: () => unwrap(api.GET('/v1/journeys/{id}/report', { params: { path: { id: id! } } })), enabled: Boolean(id), refetchInterval: 30_000 });

/** Every journey's report, for the list's live counts (one request per journey; brands run tens, not thousands). */
export const useJourneyReports = (ids: readonly string[]) =>
  useQueries({ queries: ids.map((id) => ({ queryKey: ['journey-report', id], queryFn: () => unwrap(api.GET('/v1/journeys/{id}/report', { params: { path: { id } } })), refetchInterval: 30_000 })) });

export const useCustomerJourneys = (customerId: string | undefined, enabled = true) =>
  useQuery({
    queryKey: ['customer-journeys', customerId],
    queryFn: async () => (await unwrap(api.GET('/v1/customers/{id}/journeys', { params: { path: { id: customerId! } } }))).journeys,
    enabled: Boolean(customerId) && enabled,
  });

/** Save the draft, publish, pause, resume, archive; each refreshes the journey, its report and the list. */
export function useJourneyMutations(id: string) {
  const client = useQueryClient();
  const done = () => Promise.all([client.invalidateQueries({ queryKey: ['journeys'] }), client.invalidateQueries({ queryKey: ['journey', id] }), client.invalidateQueries({ queryKey: ['journey-report', id] })]);
  const path = { params: { path: { id } } };
  return {
    save: useMutation({
      mutationFn: (input: { id: string; name: string; description?: string; definition: unknown }) =>
        unwrap(api.PUT('/v1/journeys/{id}', { params: { path: { id: input.id } }, body: { name: input.name, ...(input.description ? { description: input.description } : {}), definition: input.definition } })),
      onSuccess: done,
    }),
    publish: useMutation({ mutationFn: () => unwrap(api.POST('/v1/journeys/{id}/publish', path)), onSuccess: done }),
    pause: useMutation({ mutationFn: () => unwrap(api.POST('/v1/journeys/{id}/pause', path)), onSuccess: done }),
    resume: useMutation({ mutationFn: () => unwrap(api.POST('/v1/journeys/{id}/resume', path)), onSuccess: done }),
    archive: useMutation({ mutationFn: () => unwrap(api.POST('/v1/journeys/{id}/archive', path)), onSuccess: done }),
  };
}

/** Checks a definition without saving it: the parsed definition, or an ApiError naming each step and field. */
export const validateJourney = (definition: unknown) => unwrap(api.POST('/v1/journeys/validate', { body: { definition } }));

export const useSimulation = (id: string) =>
  useMutation({ mutationFn: (input: { customerId: string; from: string; days: number }) => unwrap(api.POST('/v1/journeys/{id}/simulate', { params: { path: { id } }, body: { customer_id: input.customerId, from: input.from, days: input.days } })) });

export const useContactPolicy = () => useQuery({ queryKey: ['contact-policy'], queryFn: () => unwrap(api.GET('/v1/contact-policy')) });

export function useContactPolicyMutation() {
  const client = useQueryClient();
  return useMutation({ mutationFn: (patch: Partial<ContactPolicy>) => unwrap(api.PATCH('/v1/contact-policy', { body: patch })), onSuccess: (policy) => client.setQueryData(['contact-policy'], policy) });
}
