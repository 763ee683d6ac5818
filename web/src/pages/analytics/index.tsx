import { Button, Card, Col, Empty, Flex, InputNumber, Row, Segmented, Select, Space, Statistic, Switch, Table, Tabs, Tag, Tooltip, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useBreakdown, useCohorts, useFunnel, useRetention, type BreakdownBy, type FunnelBody, type RetentionQuery } from '../../api/analytics.ts';
import { Chart } from '../../components/Chart.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { addDays } from '../../components/format.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { QueryView } from '../../components/QueryView.tsx';

/** 分析: retention of first-purchase cohorts, LTV cohorts with the CLV forecast, funnels and breakdowns (docs/analytics.md). */
export default function Analytics() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t('analytics.title')} subtitle={t('analytics.subtitle')} />
      <Tabs
        data-testid="analytics-page"
        destroyOnHidden
        items={[
          { key: 'retention', label: t('analytics.tab.retention'), children: <RetentionPanel /> },
          { key: 'cohorts', label: t('analytics.tab.cohorts'), children: <CohortsPanel /> },
          { key: 'funnel', label: t('analytics.tab.funnel'), children: <FunnelPanel /> },
          { key: 'breakdown', label: t('analytics.tab.breakdown'), children: <BreakdownPanel /> },
        ]}
      />
    </>
  );
}

/** A table cell shaded by a share (0–1), so the matrix reads as a heat map. */
const heat = (share: number) => ({ background: `rgba(22, 119, 255, ${Math.min(0.85, share * 0.85).toFixed(3)})`, color: share > 0.5 ? '#fff' : undefined });

function RetentionPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const [query, setQuery] = useState<RetentionQuery>({ grain: 'month', basis: 'purchases', cohorts: 12 });
  const retention = useRetention(query);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Flex gap={8} wrap>
        <Segmented
          value={query.grain}
          options={[
            { value: 'month', label: t('analytics.retention.month') },
            { value: 'week', label: t('analytics.retention.week') },
          ]}
          onChange={(grain) => setQuery((q) => ({ ...q, grain: grain as 'week' | 'month' }))}
        />
        <Segmented
          value={query.basis}
          options={[
            { value: 'purchases', label: t('analytics.retention.purchases') },
            { value: 'events', label: t('analytics.retention.events') },
          ]}
          onChange={(basis) => setQuery((q) => ({ ...q, basis: basis as 'purchases' | 'events' }))}
        />
      </Flex>
      <QueryView query={retention} isEmpty={(r) => r.cohorts.length === 0} empty={t('analytics.noData')}>
        {(r) => {
          const width = Math.max(...r.cohorts.map((c) => c.periods.length));
          return (
            <Space direction="vertical" style={{ width: '100%' }} data-testid="retention">
              <Row gutter={16}>
                {r.dayN.map((d) => (
                  <Col key={d.days} xs={24} sm={8}>
                    <Card size="small">
                      <Statistic title={<Tooltip title={t('analytics.retention.dayNHint')}>{t('analytics.retention.dayN', { days: d.days })}</Tooltip>} value={format.percent(d.rate)} />
                      <Typography.Text type="secondary">{t('analytics.retention.eligible', { returned: format.count(d.returned), eligible: format.count(d.eligible) })}</Typography.Text>
                    </Card>
                  </Col>
                ))}
              </Row>
              <Table
                size="small"
                rowKey="start"
                pagination={false}
                scroll={{ x: true }}
                dataSource={r.cohorts}
                columns={[
                  { title: t('analytics.retention.cohort'), dataIndex: 'start', fixed: 'left', render: (v: string) => format.day(v) },
                  { title: t('analytics.retention.customers'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
                  ...Array.from({ length: width }, (_, k) => ({
                    title: t(query.grain === 'week' ? 'analytics.retention.weekK' : 'analytics.retention.monthK', { k }),
                    key: `k${k}`,
                    align: 'right' as const,
                    onCell: (c: (typeof r.cohorts)[number]) => ({ style: c.periods[k] ? heat(c.periods[k].share) : {} }),
                    render: (_: unknown, c: (typeof r.cohorts)[number]) => {
                      const p = c.periods[k];
                      if (!p) return '';
                      return (
                        <Tooltip title={t('analytics.retention.cell', { customers: format.count(p.customers) })}>
                          {format.percent(p.share)}
                          {p.isComplete ? '' : '*'}
                        </Tooltip>
                      );
                    },
                  })),
                ]}
              />
              <Typography.Text type="secondary">{t('analytics.retention.note', { end: format.day(r.dataEnd) })}</Typography.Text>
            </Space>
          );
        }}
      </QueryView>
    </Space>
  );
}

const STATE_STYLE: Record<string, React.CSSProperties> = { forecast: { background: '#f0f5ff', fontStyle: 'italic', color: '#2f54eb' }, partial: { background: '#fffbe6' } };

function CohortsPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const cohorts = useCohorts(12, 12);
  return (
    <QueryView query={cohorts} isEmpty={(c) => c.cohorts.length === 0} empty={t('analytics.noData')}>
      {(c) => (
        <Space direction="vertical" style={{ width: '100%' }} data-testid="cohorts">
          <Space wrap>
            <Tag style={STATE_STYLE.forecast}>{t('analytics.cohorts.forecast')}</Tag>
            <Tag style={STATE_STYLE.partial}>{t('analytics.cohorts.partial')}</Tag>
            {c.forecast ? <Typography.Text type="secondary">{t('analytics.cohorts.model', { model: c.forecast.model, end: format.day(c.forecast.calibrationEnd) })}</Typography.Text> : <Typography.Text type="secondary">{c.forecastNote}</Typography.Text>}
          </Space>
          <Table
            size="small"
            rowKey="month"
            pagination={false}
            scroll={{ x: true }}
            dataSource={c.cohorts}
            columns={[
              { title: t('analytics.cohorts.month'), dataIndex: 'month', fixed: 'left', render: (v: string) => v.slice(0, 7) },
              { title: t('analytics.retention.customers'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
              ...Array.from({ length: Math.max(...c.cohorts.map((x) => x.cells.length)) }, (_, k) => ({
                title: t('analytics.retention.monthK', { k }),
                key: `k${k}`,
                align: 'right' as const,
                onCell: (row: (typeof c.cohorts)[number]) => ({ style: STATE_STYLE[row.cells[k]?.state ?? ''] ?? {} }),
                render: (_: unknown, row: (typeof c.cohorts)[number]) => (row.cells[k] ? format.money(Math.round(row.cells[k].valueFen)) : ''),
              })),
            ]}
          />
          <Typography.Text type="secondary">{t('analytics.cohorts.note', { currency: c.currency, end: format.day(c.dataEnd) })}</Typography.Text>
        </Space>
      )}
    </QueryView>
  );
}

const DEFAULT_STEPS = ['Product Viewed', 'Product Added', 'Order Completed'];

function FunnelPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const [steps, setSteps] = useState<string[]>(DEFAULT_STEPS);
  const [windowDays, setWindowDays] = useState(14);
  const [byChannel, setByChannel] = useState(false);
  const [body, setBody] = useState<FunnelBody>({ steps: DEFAULT_STEPS.map((event) => ({ event })), window_days: 14 });
  const funnel = useFunnel(body);
  const run = () => setBody({ steps: steps.map((event) => ({ event })), window_days: windowDays, ...(byChannel ? { by: 'channel' as const } : {}) });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Flex gap={8} wrap align="center">
        <Select mode="tags" style={{ minWidth: 420 }} value={steps} onChange={setSteps} placeholder={t('analytics.funnel.steps')} options={DEFAULT_STEPS.concat('Checkout Started', 'Signed Up').map((v) => ({ value: v, label: v }))} data-testid="funnel-steps" />
        <Space>
          {t('analytics.funnel.window')}
          <InputNumber min={1} max={365} value={windowDays} onChange={(v) => setWindowDays(v ?? 14)} />
        </Space>
        <Space>
          {t('analytics.funnel.byChannel')}
          <Switch checked={byChannel} onChange={setByChannel} />
        </Space>
        <Button type="primary" onClick={run} disabled={steps.length < 2} data-testid="funnel-run">
          {t('analytics.funnel.run')}
        </Button>
      </Flex>
      <QueryView query={funnel}>
        {(f) => (
          <Space direction="vertical" style={{ width: '100%' }} data-testid="funnel">
            <Row gutter={16}>
              <Col xs={24} sm={8}>
                <Card size="small">
                  <Statistic title={t('analytics.funnel.overall')} value={format.percent(f.overallConversion)} />
                </Card>
              </Col>
              <Col xs={24} sm={8}>
                <Card size="small">
                  <Statistic title={t('analytics.funnel.abandonment')} value={format.percent(f.cartAbandonment.rate)} />
                  <Typography.Text type="secondary">{t('analytics.funnel.carts', { abandoned: format.count(f.cartAbandonment.abandoned), carts: format.count(f.cartAbandonment.carts) })}</Typography.Text>
                </Card>
              </Col>
              <Col xs={24} sm={8}>
                <Card size="small">
                  <Statistic title={t('analytics.funnel.period')} value={`${format.day(f.period.from)} – ${format.day(addDays(f.period.to, -1))}`} />
                </Card>
              </Col>
            </Row>
            <FunnelChart steps={f.steps} />
            <Table
              size="small"
              rowKey="event"
              pagination={false}
              dataSource={f.steps}
              columns={[
                { title: t('analytics.funnel.step'), dataIndex: 'event' },
                { title: t('analytics.funnel.customers'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
                { title: t('analytics.funnel.conversion'), dataIndex: 'conversion', align: 'right', render: (v: number | null) => format.percent(v) },
                { title: t('analytics.funnel.fromFirst'), dataIndex: 'conversionFromFirst', align: 'right', render: (v: number | null) => format.percent(v) },
                { title: t('analytics.funnel.median'), dataIndex: 'medianSecondsFromPrevious', align: 'right', render: (v: number | null) => (v === null ? '—' : t('analytics.funnel.hours', { hours: format.decimal(v / 3600, 1) })) },
              ]}
            />
            {f.byChannel && (
              <Table
                size="small"
                rowKey="channel"
                pagination={false}
                dataSource={f.byChannel}
                columns={[
                  { title: t('analytics.funnel.channel'), dataIndex: 'channel' },
                  ...f.steps.map((s, i) => ({ title: s.event, key: `s${i}`, align: 'right' as const, render: (_: unknown, c: NonNullable<typeof f.byChannel>[number]) => format.count(c.steps[i]?.customers) })),
                  { title: t('analytics.funnel.overall'), dataIndex: 'overallConversion', align: 'right', render: (v: number | null) => format.percent(v) },
                ]}
              />
            )}
          </Space>
        )}
      </QueryView>
    </Space>
  );
}

function FunnelChart({ steps }: { steps: { event: string; customers: number }[] }) {
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'item' },
      series: [{ type: 'funnel', sort: 'none', left: '10%', width: '80%', label: { show: true, position: 'inside', formatter: '{b}: {c}' }, data: steps.map((s) => ({ name: s.event, value: s.customers })) }],
    }),
    [steps],
  );
  return <Chart option={option} height={260} testId="funnel-chart" />;
}

const DIMENSIONS: BreakdownBy[] = ['channel', 'store', 'city', 'category', 'tier', 'stage', 'segment'];

function BreakdownPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const [by, setBy] = useState<BreakdownBy>('channel');
  const breakdown = useBreakdown(by, {});
  const label = (value: string) => (value === '(none)' ? t('analytics.breakdown.none') : by === 'stage' ? t(`codes.stage.${value}`, { defaultValue: value }) : by === 'tier' ? t(`codes.tier.${value}`, { defaultValue: value }) : value);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Segmented<BreakdownBy> value={by} options={DIMENSIONS.map((d) => ({ value: d, label: t(`analytics.breakdown.by.${d}`) }))} onChange={setBy} data-testid="breakdown-by" />
      <QueryView query={breakdown} isEmpty={(b) => b.rows.length === 0} empty={<Empty description={t('analytics.noData')} />}>
        {(b) => (
          <Space direction="vertical" style={{ width: '100%' }} data-testid="breakdown">
            <Typography.Text type="secondary">{t('analytics.breakdown.period', { from: format.day(b.period.from), to: format.day(b.period.to) })}</Typography.Text>
            <Chart
              height={240}
              option={{
                tooltip: { trigger: 'axis', valueFormatter: (v: number) => format.moneyCompact(v) },
                grid: { left: 80, right: 16, top: 16, bottom: 48 },
                xAxis: { type: 'category', data: b.rows.slice(0, 15).map((r) => label(r.value)), axisLabel: { rotate: 30 } },
                yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format.moneyCompact(v) } },
                series: [{ type: 'bar', name: 'GMV', data: b.rows.slice(0, 15).map((r) => r.gmvFen) }],
              }}
            />
            <Table
              size="small"
              rowKey="value"
              pagination={{ pageSize: 20, hideOnSinglePage: true }}
              dataSource={b.rows}
              columns={[
                { title: t(`analytics.breakdown.by.${by}`), dataIndex: 'value', render: (v: string) => label(v) },
                { title: t('analytics.breakdown.gmv'), dataIndex: 'gmvFen', align: 'right', render: (v: number) => format.moneyCompact(v) },
                { title: t('analytics.breakdown.share'), dataIndex: 'gmvShare', align: 'right', render: (v: number | null) => format.percent(v) },
                { title: t('analytics.breakdown.orders'), dataIndex: 'orders', align: 'right', render: (v: number) => format.count(v) },
                { title: t('analytics.breakdown.buyers'), dataIndex: 'buyers', align: 'right', render: (v: number) => format.count(v) },
                { title: t('analytics.breakdown.aov'), dataIndex: 'aovFen', align: 'right', render: (v: number | null) => format.money(v === null ? null : Math.round(v)) },
                { title: t('analytics.breakdown.spendPerBuyer'), dataIndex: 'spendPerBuyerFen', align: 'right', render: (v: number | null) => format.money(v === null ? null : Math.round(v)) },
                { title: t('analytics.breakdown.repeatRate'), dataIndex: 'repeatRate', align: 'right', render: (v: number | null) => format.percent(v) },
                { title: t('analytics.breakdown.newBuyers'), dataIndex: 'newBuyers', align: 'right', render: (v: number) => format.count(v) },
              ]}
            />
          </Space>
        )}
      </QueryView>
    </Space>
  );
}
