import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';

export const useJobs = () => useQuery({ queryKey: ['jobs'], queryFn: () => unwrap(api.GET('/v1/jobs')), refetchInterval: 10_000 });
export const useJobRuns = (name: string) => useQuery({ queryKey: ['job-runs', name], queryFn: () => unwrap(api.GET('/v1/jobs/{name}/runs', { params: { path: { name }, query: { limit: 20 } } })) });

export function useJobMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['jobs'] });
  return {
    run: useMutation({ mutationFn: (name: string) => unwrap(api.POST('/v1/jobs/{name}/run', { params: { path: { name }, query: { wait: 'false' } } })), onSuccess: done }),
    update: useMutation({ mutationFn: (input: { name: string; enabled?: boolean; schedule?: string | null }) => unwrap(api.PATCH('/v1/jobs/{name}', { params: { path: { name: input.name } }, body: { enabled: input.enabled, schedule: input.schedule } })), onSuccess: done }),
  };
}

export const useWriteKeys = () => useQuery({ queryKey: ['write-keys'], queryFn: () => unwrap(api.GET('/v1/write-keys')) });

export function useWriteKeyMutations() {
  const client = useQueryClient();
  const done = () => client.invalidateQueries({ queryKey: ['write-keys'] });
  return {
    create: useMutation({ mutationFn: (name: string) => unwrap(api.POST('/v1/write-keys', { body: { name } })), onSuccess: done }),
    revoke: useMutation({ mutationFn: (keyId: string) => unwrap(api.POST('/v1/write-keys/{keyId}/revoke', { params: { path: { keyId } } })), onSuccess: done }),
  };
}
