import type { UseQueryResult } from '@tanstack/react-query';
import { Empty, Skeleton } from 'antd';
import type { ReactNode } from 'react';
import { ApiErrorAlert } from './ApiErrorAlert.tsx';

/** Every page's three states around one query: loading, error (with the API's message) and empty, else the data. */
export function QueryView<T>({ query, isEmpty, empty, children }: { query: UseQueryResult<T>; isEmpty?: (data: T) => boolean; empty?: ReactNode; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Skeleton active paragraph={{ rows: 4 }} />;
  if (query.isError) return <ApiErrorAlert error={query.error} />;
  if (isEmpty?.(query.data)) return <Empty data-testid="empty" description={empty} />;
  return <>{children(query.data)}</>;
}
