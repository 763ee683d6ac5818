import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';

export type RuleAction = 'pin' | 'boost' | 'bury';

export const useRecommendReport = (query: { from?: string; to?: string; experiment?: string }) =>
  useQuery({ queryKey: ['recommend-report', query], queryFn: () => unwrap(api.GET('/v1/recommend/report', { params: { query } })) });
export const useExperiments = () => useQuery({ queryKey: ['experiments'], queryFn: () => unwrap(api.GET('/v1/recommend/experiments')) });
export const useRules = () => useQuery({ queryKey: ['merch-rules'], queryFn: () => unwrap(api.GET('/v1/recommend/rules')) });
export const useTrainingRuns = () => useQuery({ queryKey: ['recommend-runs'], queryFn: () => unwrap(api.GET('/v1/recommend/runs', { params: { query: { limit: 20 } } })) });

export function useRuleMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['merch-rules'] });
  return {
    set: useMutation({ mutationFn: (rule: { sku: string; action: RuleAction; factor?: number; note?: string }) => unwrap(api.PUT('/v1/recommend/rules/{sku}', { params: { path: { sku: rule.sku } }, body: { action: rule.action, factor: rule.factor, note: rule.note } })), onSuccess: done }),
    clear: useMutation({ mutationFn: (sku: string) => unwrap(api.DELETE('/v1/recommend/rules/{sku}', { params: { path: { sku } } })), onSuccess: done }),
  };
}

export function useExperimentMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['experiments'] });
  return {
    start: useMutation({ mutationFn: (input: { name: string; variants: { algorithm: string; share: number }[] }) => unwrap(api.POST('/v1/recommend/experiments', { body: input })), onSuccess: done }),
    stop: useMutation({ mutationFn: (name: string) => unwrap(api.POST('/v1/recommend/experiments/{name}/stop', { params: { path: { name } } })), onSuccess: done }),
  };
}
