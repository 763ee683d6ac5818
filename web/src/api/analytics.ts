import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema';

// The commerce analytics (docs/analytics.md): every figure and its definition come from /v1/analytics.

export type KpiQuery = NonNullable<paths['/v1/analytics/kpis']['get']['parameters']['query']>;
export type Kpis = paths['/v1/analytics/kpis']['get']['responses']['200']['content']['application/json'];
export type Kpi = Kpis['metrics'][number];
export type BreakdownBy = NonNullable<paths['/v1/analytics/breakdown']['get']['parameters']['query']>['by'];
export type RetentionQuery = NonNullable<paths['/v1/analytics/retention']['get']['parameters']['query']>;
export type Retention = paths['/v1/analytics/retention']['get']['responses']['200']['content']['application/json'];
export type Cohorts = paths['/v1/analytics/cohorts']['get']['responses']['200']['content']['application/json'];
export type FunnelBody = paths['/v1/analytics/funnel']['post']['requestBody']['content']['application/json'];
export type Funnel = paths['/v1/analytics/funnel']['post']['responses']['200']['content']['application/json'];

export const useKpis = (query: KpiQuery) => useQuery({ queryKey: ['kpis', query], queryFn: () => unwrap(api.GET('/v1/analytics/kpis', { params: { query } })), placeholderData: keepPreviousData });

export const useBreakdown = (by: BreakdownBy, period: { from?: string; to?: string }) =>
  useQuery({ queryKey: ['breakdown', by, period], queryFn: () => unwrap(api.GET('/v1/analytics/breakdown', { params: { query: { by, ...period } } })), placeholderData: keepPreviousData });

export const useRetention = (query: RetentionQuery) => useQuery({ queryKey: ['retention', query], queryFn: () => unwrap(api.GET('/v1/analytics/retention', { params: { query } })), placeholderData: keepPreviousData });

export const useCohorts = (cohorts: number, months: number) =>
  useQuery({ queryKey: ['cohorts', cohorts, months], queryFn: () => unwrap(api.GET('/v1/analytics/cohorts', { params: { query: { cohorts, months } } })), placeholderData: keepPreviousData });

export const useFunnel = (body: FunnelBody) => useQuery({ queryKey: ['funnel', body], queryFn: () => unwrap(api.POST('/v1/analytics/funnel', { body })), placeholderData: keepPreviousData });
