import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema';

export type RefreshSchedule = 'hourly' | 'daily' | 'weekly';
export type SegmentCatalogue = paths['/v1/segments/catalogue']['get']['responses']['200']['content']['application/json'];
export type SavedSegment = paths['/v1/segments']['get']['responses']['200']['content']['application/json']['segments'][number];

export const useSegments = (enabled = true) => useQuery({ queryKey: ['segments'], queryFn: () => unwrap(api.GET('/v1/segments')), enabled });
export const useSegmentCatalogue = () => useQuery({ queryKey: ['segment-catalogue'], queryFn: () => unwrap(api.GET('/v1/segments/catalogue')), staleTime: 60_000 });
export const useSegmentHistory = (name: string | undefined) =>
  useQuery({ queryKey: ['segment-history', name], queryFn: () => unwrap(api.GET('/v1/segments/{name}/history', { params: { path: { name: name! } } })), enabled: Boolean(name) });

/** The count and sample for a definition; the caller debounces the definition. */
export const useSegmentPreview = (definition: unknown) =>
  useQuery({
    queryKey: ['segment-preview', JSON.stringify(definition)],
    queryFn: () => unwrap(api.POST('/v1/segments/preview', { body: { definition } })),
    enabled: definition !== undefined,
    placeholderData: keepPreviousData,
    retry: false,
  });

/** Saves a segment, then refreshes it so its members are there at once. */
export function useSaveSegment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (input: { name: string; description?: string; definition: unknown; refreshEvery: RefreshSchedule | null }) => {
      const saved = await unwrap(api.PUT('/v1/segments/{name}', { params: { path: { name: input.name } }, body: { description: input.description, definition: input.definition, refresh_every: input.refreshEvery } }));
      await unwrap(api.POST('/v1/segments/{name}/refresh', { params: { path: { name: input.name } }, body: {} }));
      return saved;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['segments'] }),
  });
}

export function useRefreshSegment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST('/v1/segments/{name}/refresh', { params: { path: { name } }, body: {} })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['segments'] }),
  });
}

/** The download address of a segment's export (a file, so the browser fetches it itself). */
export const segmentExportUrl = (name: string, format: 'csv' | 'jsonl' = 'csv', fields = 'city,channel') =>
  `/v1/segments/${encodeURIComponent(name)}/export?format=${format}&fields=${encodeURIComponent(fields)}`;
