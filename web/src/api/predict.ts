import { useMutation, useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';

export const useClvSummary = () => useQuery({ queryKey: ['clv-summary'], queryFn: () => unwrap(api.GET('/v1/clv/summary')) });
export const useChurnSummary = () => useQuery({ queryKey: ['churn-summary'], queryFn: () => unwrap(api.GET('/v1/churn/summary')) });
export const useChurnWarnings = (n: number, minRisk: number) =>
  useQuery({ queryKey: ['churn-warnings', n, minRisk], queryFn: () => unwrap(api.GET('/v1/churn/warnings', { params: { query: { n, min_risk: minRisk } } })) });
export const useClvEvaluation = () =>
  useMutation({ mutationFn: (calibrationEnd: string) => unwrap(api.POST('/v1/clv/evaluate', { body: { calibration_end: calibrationEnd, model: 'bgnbd', time_unit: 'week' } })) });
