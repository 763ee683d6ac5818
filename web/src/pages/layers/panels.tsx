import { Card, Col, Row, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useClusters, useLifecycle, useRfm, useTiers } from '../../api/layers.ts';
import { Chart } from '../../components/Chart.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { useLanguage } from '../../i18n/index.ts';

function AsOf({ day, customers }: { day: string; customers: string }) {
  const { t } = useTranslation();
  return <Typography.Text type="secondary">{t('layers.asOf', { day, customers })}</Typography.Text>;
}

export function Rfm() {
  const { t } = useTranslation();
  const format = useFormat();
  const { label } = useLanguage();
  const query = useRfm();
  return (
    <QueryView query={query} isEmpty={(d) => d.rfm === null} empty={t('layers.notComputed', { command: 'siyu rfm' })}>
      {({ rfm }) => (
        <Row gutter={[16, 16]}>
          <Col span={24}><AsOf day={format.day(rfm!.asOf)} customers={format.count(rfm!.customers)} /></Col>
          <Col xs={24} xl={14}>
            <Table
              data-testid="rfm-table"
              size="small"
              rowKey="code"
              pagination={false}
              dataSource={rfm!.classes}
              columns={[
                { title: t('layers.rfm.class'), render: (_, c) => label(c) },
                { title: t('layers.customers'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
                { title: t('layers.share'), dataIndex: 'share', align: 'right', render: (v: number) => format.percent(v) },
                { title: t('layers.rfm.recency'), dataIndex: 'meanRecencyDays', align: 'right', render: (v: number) => format.decimal(v, 0) },
                { title: t('layers.rfm.frequency'), dataIndex: 'meanFrequency', align: 'right', render: (v: number) => format.decimal(v, 1) },
                { title: t('layers.rfm.monetary'), dataIndex: 'meanMonetary', align: 'right', render: (v: number) => format.money(v * 100, rfm!.currency) },
              ]}
            />
          </Col>
          <Col xs={24} xl={10}>
            <Card size="small" title={t('layers.rfm.grid')}>
              <Chart
                testId="rfm-grid"
                option={{
                  tooltip: { formatter: (p: { value: [number, number, number] }) => t('layers.rfm.cell', { r: p.value[1] + 1, f: p.value[0] + 1, customers: format.count(p.value[2]) }) },
                  grid: { left: 40, right: 16, top: 16, bottom: 80 },
                  xAxis: { type: 'category', name: 'F', data: [1, 2, 3, 4, 5] },
                  yAxis: { type: 'category', name: 'R', data: [1, 2, 3, 4, 5] },
                  visualMap: { min: 0, max: Math.max(1, ...rfm!.grid.map((g) => g.customers)), calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
                  series: [{ type: 'heatmap', data: rfm!.grid.map((g) => [g.f - 1, g.r - 1, g.customers]), label: { show: true } }],
                }}
              />
            </Card>
          </Col>
        </Row>
      )}
    </QueryView>
  );
}

export function Lifecycle() {
  const { t } = useTranslation();
  const format = useFormat();
  const { label } = useLanguage();
  const query = useLifecycle();
  return (
    <QueryView query={query} isEmpty={(d) => d.lifecycle === null} empty={t('layers.notComputed', { command: 'siyu lifecycle' })}>
      {({ lifecycle }) => (
        <Row gutter={[16, 16]}>
          <Col span={24}><AsOf day={format.day(lifecycle!.asOf)} customers={format.count(lifecycle!.customers)} /></Col>
          <Col xs={24} xl={12}>
            <Chart
              testId="stage-funnel"
              option={{
                tooltip: { trigger: 'item' },
                series: [{ type: 'funnel', sort: 'none', left: '10%', width: '80%', label: { formatter: '{b}: {c}' }, data: lifecycle!.stages.map((s) => ({ name: label(s), value: s.customers })) }],
              }}
            />
          </Col>
          <Col xs={24} xl={12}>
            <Table
              size="small"
              rowKey="code"
              pagination={false}
              dataSource={lifecycle!.stages}
              columns={[
                { title: t('layers.stage'), render: (_, s) => label(s) },
                { title: t('layers.customers'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
                { title: t('layers.share'), dataIndex: 'share', align: 'right', render: (v: number) => format.percent(v) },
              ]}
            />
          </Col>
        </Row>
      )}
    </QueryView>
  );
}

export function Tiers() {
  const { t } = useTranslation();
  const format = useFormat();
  const { label } = useLanguage();
  const query = useTiers();
  return (
    <QueryView query={query} isEmpty={(d) => d.tiers === null} empty={t('layers.notComputed', { command: 'siyu tiers' })}>
      {({ tiers }) => (
        <Row gutter={[16, 16]}>
          <Col span={24}>
            <AsOf day={format.day(tiers!.asOf)} customers={format.count(tiers!.customers)} /> <Tag>{t(`layers.tiers.basis.${tiers!.basis}`)}</Tag>
          </Col>
          <Col xs={24} xl={14}>
            <Table
              size="small"
              rowKey="code"
              pagination={false}
              dataSource={tiers!.tiers}
              columns={[
                { title: t('layers.tier'), render: (_, x) => label(x) },
                { title: t('layers.customers'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
                { title: t('layers.share'), dataIndex: 'share', align: 'right', render: (v: number) => format.percent(v) },
                { title: t('layers.tiers.minValue'), dataIndex: 'minValue', align: 'right', render: (v: number) => format.money(v * 100, tiers!.currency) },
                { title: t('layers.tiers.totalValue'), dataIndex: 'totalValue', align: 'right', render: (v: number) => format.moneyCompact(v * 100, tiers!.currency) },
                { title: t('layers.tiers.valueShare'), dataIndex: 'valueShare', align: 'right', render: (v: number) => format.percent(v) },
              ]}
            />
          </Col>
          <Col xs={24} xl={10}>
            <Chart testId="tier-pie" option={{ tooltip: { trigger: 'item' }, series: [{ type: 'pie', radius: ['40%', '70%'], data: tiers!.tiers.map((x) => ({ name: label(x), value: x.totalValue })) }] }} />
          </Col>
        </Row>
      )}
    </QueryView>
  );
}

export function Clusters() {
  const { t } = useTranslation();
  const format = useFormat();
  const query = useClusters();
  return (
    <QueryView query={query} isEmpty={(d) => d.clusters === null} empty={t('layers.notComputed', { command: 'siyu cluster' })}>
      {({ clusters }) => {
        const features = Object.keys(clusters!.clusters[0]?.means ?? {});
        return (
          <>
            <AsOf day={format.day(clusters!.asOf)} customers={format.count(clusters!.customers)} />
            <Table
              style={{ marginTop: 12 }}
              size="small"
              rowKey="cluster"
              pagination={false}
              scroll={{ x: true }}
              dataSource={clusters!.clusters}
              columns={[
                { title: t('layers.cluster'), dataIndex: 'name', fixed: 'left' },
                { title: t('layers.customers'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
                { title: t('layers.share'), dataIndex: 'share', align: 'right', render: (v: number) => format.percent(v) },
                ...features.map((f) => ({
                  title: t(`layers.feature.${f}`),
                  key: f,
                  align: 'right' as const,
                  render: (_: unknown, c: NonNullable<typeof clusters>['clusters'][number]) => {
                    const z = c.zScores[f] ?? 0;
                    return <span style={{ color: z > 0.5 ? '#389e0d' : z < -0.5 ? '#cf1322' : undefined }} title={`z = ${format.decimal(z)}`}>{format.decimal(c.means[f] ?? 0, 1)}</span>;
                  },
                })),
              ]}
            />
            <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
              {t('layers.clusterHint')}
            </Typography.Paragraph>
          </>
        );
      }}
    </QueryView>
  );
}
