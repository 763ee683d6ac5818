import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrapAs } from './client.ts';

// The journey routes (docs/journeys.md) declare no response schemas yet, so their shapes are written out here, as
// src/journey/definitions.ts, report.ts and simulate.ts return them (dates arrive as ISO text).

export type JourneyStatus = 'draft' | 'active' | 'paused' | 'archived';

export interface Journey {
  id: string;
  name: string;
  description: string | null;
  status: JourneyStatus;
  draft: unknown;
  publishedVersion: number | null;
  definition: JourneyDefinition | null;
  createdAt: string;
  updatedAt: string;
}

/** The parts of a definition the console reads; the editor works on the JSON as a whole. */
export interface JourneyDefinition {
  entry: { kind: 'segment' | 'event' | 'broadcast' | 'api'; segment?: string; event?: string; at?: string; cron?: string };
  holdout?: number;
  goal?: { event: string; within_days: number };
  start: string;
  nodes: Record<string, { kind: string; [field: string]: unknown }>;
  [field: string]: unknown;
}

export interface Interval {
  low: number;
  high: number;
}

export interface ArmReport {
  arm: string;
  customers: number;
  converted: number;
  conversionRate: number;
  revenueFen: number;
  revenuePerCustomerFen: number;
  uplift: { treated: number; control: number; difference: number; relative: number | null; interval: Interval; pValue: number } | null;
  revenueUplift: { treated: number; control: number; difference: number; interval: Interval; pValue: number; degreesOfFreedom: number } | null;
}

export interface StepReport {
  node: string;
  kind: string;
  outcomes: Record<string, number>;
  active: number;
  messages: Record<string, number>;
}

export interface JourneyReport {
  journeyId: string;
  name: string;
  status: string;
  entered: number;
  active: number;
  completed: number;
  exited: number;
  heldOut: number;
  goal: { event: string; withinDays: number } | null;
  windowsClosedBy: string;
  windowsOpen: number;
  arms: ArmReport[];
  steps: StepReport[];
  sampleSizeNeeded: number | null;
}

export interface Simulation {
  journeyId: string;
  version: number;
  customerId: string;
  heldOut: boolean;
  steps: { at: string; node: string; kind: string; outcome: string; message?: { channel: string; subject?: string; body: string; params?: Record<string, string> } }[];
  end: string;
  convertedAt: string | null;
}

export interface CustomerJourney {
  journeyId: string;
  instanceId: string;
  version: number;
  status: string;
  node: string | null;
  variant: string | null;
  isHoldout: boolean;
  enteredAt: string;
  finishedAt: string | null;
  exitReason: string | null;
  convertedAt: string | null;
  steps: { node: string; kind: string; outcome: string; at: string; messageId: string | null }[];
}

export interface ContactPolicy {
  caps: Record<string, { day?: number; week?: number; month?: number }>;
  quiet_hours: { start: string; end: string } | null;
  global_control_share: number;
  message_ttl_hours: number;
}

export const useJourneys = () => useQuery({ queryKey: ['journeys'], queryFn: async () => (await unwrapAs<{ journeys: Journey[] }>(api.GET('/v1/journeys'))).journeys });

export const useJourney = (id: string | undefined) =>
  useQuery({ queryKey: ['journey', id], queryFn: () => unwrapAs<Journey>(api.GET('/v1/journeys/{id}', { params: { path: { id: id! } } })), enabled: Boolean(id) });

export const useJourneyReport = (id: string | undefined) =>
  useQuery({ queryKey: ['journey-report', id], queryFn: () => unwrapAs<JourneyReport>(api.GET('/v1/journeys/{id}/report', { params: { path: { id: id! } } })), enabled: Boolean(id), refetchInterval: 30_000 });

/** Every journey's report, for the list's live counts (one request per journey; brands run tens, not thousands). */
export const useJourneyReports = (ids: readonly string[]) =>
  useQueries({ queries: ids.map((id) => ({ queryKey: ['journey-report', id], queryFn: () => unwrapAs<JourneyReport>(api.GET('/v1/journeys/{id}/report', { params: { path: { id } } })), refetchInterval: 30_000 })) });

export const useCustomerJourneys = (customerId: string | undefined, enabled = true) =>
  useQuery({
    queryKey: ['customer-journeys', customerId],
    queryFn: async () => (await unwrapAs<{ journeys: CustomerJourney[] }>(api.GET('/v1/customers/{id}/journeys', { params: { path: { id: customerId! } } }))).journeys,
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
        unwrapAs<Journey>(api.PUT('/v1/journeys/{id}', { params: { path: { id: input.id } }, body: { name: input.name, ...(input.description ? { description: input.description } : {}), definition: input.definition } })),
      onSuccess: done,
    }),
    publish: useMutation({ mutationFn: () => unwrapAs<Journey>(api.POST('/v1/journeys/{id}/publish', path)), onSuccess: done }),
    pause: useMutation({ mutationFn: () => unwrapAs<Journey>(api.POST('/v1/journeys/{id}/pause', path)), onSuccess: done }),
    resume: useMutation({ mutationFn: () => unwrapAs<Journey>(api.POST('/v1/journeys/{id}/resume', path)), onSuccess: done }),
    archive: useMutation({ mutationFn: () => unwrapAs<Journey>(api.POST('/v1/journeys/{id}/archive', path)), onSuccess: done }),
  };
}

/** Checks a definition without saving it: the parsed definition, or an ApiError naming each step and field. */
export const validateJourney = (definition: unknown) => unwrapAs<{ definition: JourneyDefinition }>(api.POST('/v1/journeys/validate', { body: { definition } }));

export const useSimulation = (id: string) =>
  useMutation({ mutationFn: (input: { customerId: string; from: string; days: number }) => unwrapAs<Simulation>(api.POST('/v1/journeys/{id}/simulate', { params: { path: { id } }, body: { customer_id: input.customerId, from: input.from, days: input.days } })) });

export const useContactPolicy = () => useQuery({ queryKey: ['contact-policy'], queryFn: () => unwrapAs<ContactPolicy>(api.GET('/v1/contact-policy')) });

export function useContactPolicyMutation() {
  const client = useQueryClient();
  return useMutation({ mutationFn: (patch: Partial<ContactPolicy>) => unwrapAs<ContactPolicy>(api.PATCH('/v1/contact-policy', { body: patch })), onSuccess: (policy) => client.setQueryData(['contact-policy'], policy) });
}
