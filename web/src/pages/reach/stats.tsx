import { Card, Segmented, Space, Table, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useDailyRates, useMessageRates, type DailyRates, type MessageRates } from '../../api/channels.ts';
import { Chart } from '../../components/Chart.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';

const SPANS = [7, 30, 90, 365] as const;

/** Delivery per channel (sent, delivered, failed, read and their rates, cost) over a span, and the same per day. */
export function DeliveryStats() {
  const { t } = useTranslation();
  const format = useFormat();
  const [days, setDays] = useState<(typeof SPANS)[number]>(30);
  // The span ends now; the server counts each message on the brand-timezone day it was created.
  const since = useMemo(() => new Date(Date.now() - days * 86_400_000).toISOString(), [days]);
  const rates = useMessageRates(since);
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Segmented<number> value={days} options={SPANS.map((d) => ({ value: d, label: t('reach.stats.span', { days: d }) }))} onChange={(v) => setDays(v as (typeof SPANS)[number])} data-testid="stats-span" />
      <Typography.Text type="secondary">{t('reach.stats.definition')}</Typography.Text>
      <QueryView query={rates} isEmpty={(r) => r.rates.length === 0} empty={t('reach.stats.empty')}>
        {(r) => (
          <Table<MessageRates>
            data-testid="stats-table"
            rowKey="key"
            size="small"
            pagination={false}
            dataSource={r.rates}
            columns={[
              { title: t('reach.log.channel'), dataIndex: 'key', render: (v: string) => <code>{v}</code> },
              ...(['sent', 'delivered', 'failed', 'read', 'skipped', 'unknown'] as const).map((k) => ({ title: t(`reach.stats.${k}`), dataIndex: k, align: 'right' as const, render: (v: number) => format.count(v) })),
              { title: t('reach.stats.deliveryRate'), dataIndex: 'deliveryRate', align: 'right', render: (v: number | null) => format.percent(v) },
              { title: t('reach.stats.readRate'), dataIndex: 'readRate', align: 'right', render: (v: number | null) => format.percent(v) },
              { title: t('reach.stats.cost'), dataIndex: 'costFen', align: 'right', render: (v: number) => format.money(v) },
            ]}
          />
        )}
      </QueryView>
      {(rates.data?.rates.length ?? 0) > 0 && <OverTime since={since} channels={(rates.data?.rates ?? []).map((r) => r.key)} />}
    </Space>
  );
}

/** One channel's sent, delivered and failed per day as bars, with its delivery rate as a line (all figures from the API). */
function OverTime({ since, channels }: { since: string; channels: string[] }) {
  const { t } = useTranslation();
  const [picked, setPicked] = useState<string>();
  const channel = picked && channels.includes(picked) ? picked : channels[0]!;
  const daily = useDailyRates(since, channel);
  return (
    <Card size="small" title={t('reach.stats.overTime')} extra={<Segmented<string> value={channel} options={channels} onChange={setPicked} data-testid="stats-channel" />}>
      <QueryView query={daily} isEmpty={(d) => d.days.length === 0} empty={t('reach.stats.empty')}>
        {(d) => <DailyChart daily={d} />}
      </QueryView>
    </Card>
  );
}

function DailyChart({ daily }: { daily: DailyRates }) {
  const { t } = useTranslation();
  const format = useFormat();
  const option = useMemo(() => {
    const bar = (key: 'sent' | 'delivered' | 'failed') => ({ name: t(`reach.stats.${key}`), type: 'bar', data: daily.days.map((d) => d[key]) });
    return {
      // Drawn at once: the figures are the point, and screenshots of the page are then what it shows.
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 40, bottom: 32 },
      xAxis: { type: 'category', data: daily.days.map((d) => format.day(d.day)) },
      yAxis: [{ type: 'value' }, { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v: number) => format.percent(v, 0) } }],
      series: [
        bar('sent'),
        bar('delivered'),
        bar('failed'),
        { name: t('reach.stats.deliveryRate'), type: 'line', yAxisIndex: 1, data: daily.days.map((d) => d.deliveryRate), tooltip: { valueFormatter: (v: number | null) => format.percent(v) } },
      ],
    };
  }, [daily, t, format]);
  return <Chart option={option} height={300} testId="delivery-chart" />;
}
