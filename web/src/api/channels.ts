import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema';

// Channels, templates and the message log (docs/channels.md): thin hooks over the generated client.

export type ChannelList = paths['/v1/channels']['get']['responses']['200']['content']['application/json'];
export type ChannelInfo = ChannelList['channels'][number];
export type ChannelTemplate = ChannelList['templates'][number];
export type ChannelBody = paths['/v1/channels/{name}']['put']['requestBody']['content']['application/json'];
export type TemplateBody = paths['/v1/channels/{name}/templates/{template}']['put']['requestBody']['content']['application/json'];
export type TestToCustomerBody = paths['/v1/channels/{name}/test-customer']['post']['requestBody']['content']['application/json'];
export type LoggedMessage = paths['/v1/messages']['get']['responses']['200']['content']['application/json']['messages'][number];
export type MessageFilters = Omit<NonNullable<paths['/v1/messages']['get']['parameters']['query']>, 'limit' | 'offset' | 'with_total'>;
export type MessageRates = paths['/v1/messages/rates']['get']['responses']['200']['content']['application/json']['rates'][number];
export type DailyRates = paths['/v1/messages/daily']['get']['responses']['200']['content']['application/json'];

export const useChannels = () => useQuery({ queryKey: ['channels'], queryFn: () => unwrap(api.GET('/v1/channels')) });

/** Add or replace a channel, register a template: each refreshes the list (the server reloads its adapters). */
export function useChannelMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['channels'] });
  return {
    save: useMutation({ mutationFn: ({ name, ...body }: ChannelBody & { name: string }) => unwrap(api.PUT('/v1/channels/{name}', { params: { path: { name } }, body })), onSuccess: done }),
    saveTemplate: useMutation({
      mutationFn: ({ channel, name, ...body }: TemplateBody & { channel: string; name: string }) => unwrap(api.PUT('/v1/channels/{name}/templates/{template}', { params: { path: { name: channel, template: name } }, body })),
      onSuccess: done,
    }),
  };
}

/** A test message to a real customer, through the outbox and the contact policy; the log shows it at once. */
export function useTestToCustomer(channel: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: TestToCustomerBody) => unwrap(api.POST('/v1/channels/{name}/test-customer', { params: { path: { name: channel } }, body })),
    onSuccess: () => Promise.all([client.invalidateQueries({ queryKey: ['messages'] }), client.invalidateQueries({ queryKey: ['message-rates'] })]),
  });
}

export const usePreview = () =>
  useMutation({
    mutationFn: ({ channel, template, customerId, params }: { channel: string; template: string; customerId: string; params: Record<string, string> }) =>
      unwrap(api.POST('/v1/channels/{name}/templates/{template}/preview', { params: { path: { name: channel, template } }, body: { customer_id: customerId, params } })),
  });

/** One page of the message log; the total is counted with the first page only. */
export const useMessages = (filters: MessageFilters, page: number, pageSize = 20) =>
  useQuery({
    queryKey: ['messages', filters, page, pageSize],
    queryFn: () => unwrap(api.GET('/v1/messages', { params: { query: { ...filters, limit: pageSize, offset: page * pageSize, with_total: 'true' } } })),
    placeholderData: keepPreviousData,
  });

export const useMessageRates = (since: string) => useQuery({ queryKey: ['message-rates', since], queryFn: () => unwrap(api.GET('/v1/messages/rates', { params: { query: { by: 'channel', since } } })) });

export const useDailyRates = (since: string, channel?: string) =>
  useQuery({ queryKey: ['message-daily', since, channel], queryFn: () => unwrap(api.GET('/v1/messages/daily', { params: { query: { since, ...(channel ? { channel } : {}) } } })), placeholderData: keepPreviousData });
