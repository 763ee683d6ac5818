import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema';

export type MigrationQuery = NonNullable<paths['/v1/migration']['get']['parameters']['query']>;

export const useRfm = () => useQuery({ queryKey: ['layers', 'rfm'], queryFn: () => unwrap(api.GET('/v1/layers/rfm')) });
export const useLifecycle = () => useQuery({ queryKey: ['layers', 'lifecycle'], queryFn: () => unwrap(api.GET('/v1/layers/lifecycle')) });
export const useTiers = () => useQuery({ queryKey: ['layers', 'tiers'], queryFn: () => unwrap(api.GET('/v1/layers/tiers')) });
export const useClusters = () => useQuery({ queryKey: ['layers', 'clusters'], queryFn: () => unwrap(api.GET('/v1/layers/clusters')) });
export const useMigration = (query: MigrationQuery | undefined) =>
  useQuery({ queryKey: ['migration', query], queryFn: () => unwrap(api.GET('/v1/migration', { params: { query: query! } })), enabled: Boolean(query) });
