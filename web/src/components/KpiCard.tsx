import { ArrowDownOutlined, ArrowUpOutlined, InfoCircleOutlined } from '@ant-design/icons';
import { Card, Statistic, Tooltip, Typography } from 'antd';
import type { ReactNode } from 'react';

/**
 * One metric with its definition where the number is (hover the icon), the change against the comparison period
 * (green up, red down; `change` already formatted) and a sparkline.
 */
export function KpiCard({ title, definition, value, change, direction, previous, spark, testId, hasComparison = true }: { title: string; definition: string; value: string; change?: string; direction?: 'up' | 'down' | 'flat'; previous?: string; spark?: ReactNode; testId?: string; hasComparison?: boolean }) {
  const color = direction === 'up' ? '#389e0d' : direction === 'down' ? '#cf1322' : undefined;
  return (
    <Card size="small" data-testid={testId ?? 'kpi-card'}>
      <Statistic
        title={
          <span>
            {title}{' '}
            <Tooltip title={definition}>
              <InfoCircleOutlined aria-label={definition} data-testid="kpi-definition" />
            </Tooltip>
          </span>
        }
        value={value}
      />
      {/* A figure as of a day (a balance, a liability) has no period to compare with: no change line then. */}
      {hasComparison && (
        <Typography.Text style={{ color }} data-testid="kpi-change">
          {direction === 'up' ? <ArrowUpOutlined /> : direction === 'down' ? <ArrowDownOutlined /> : null} {change ?? '—'}
        </Typography.Text>
      )}{' '}
      {previous && <Typography.Text type="secondary">{previous}</Typography.Text>}
      {spark}
    </Card>
  );
}
