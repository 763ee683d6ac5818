import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';

/** The brand's timezone and currency, which every number and day on screen is formatted with. */
export const useBrandSettings = (enabled = true) => useQuery({ queryKey: ['settings'], queryFn: () => unwrap(api.GET('/v1/settings')), staleTime: 5 * 60_000, enabled });
