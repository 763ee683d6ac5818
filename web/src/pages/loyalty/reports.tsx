import { Card, Col, Row, Space, Table, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useCouponCost, useLiability, type CouponCost, type PointsLiability } from '../../api/loyalty.ts';
import { Chart } from '../../components/Chart.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { KpiCard } from '../../components/KpiCard.tsx';
import { QueryView } from '../../components/QueryView.tsx';

/** The points liability (IFRS 15 / CAS 14 method, docs/loyalty.md), its expiry schedule, and coupon cost per campaign and offer. */
export function ReportsPanel() {
  const liability = useLiability();
  const cost = useCouponCost();
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <QueryView query={liability}>{(l) => <Liability liability={l} />}</QueryView>
      <QueryView query={cost}>{(c) => <Cost cost={c} />}</QueryView>
    </Space>
  );
}

function Liability({ liability: l }: { liability: PointsLiability }) {
  const { t } = useTranslation();
  const format = useFormat();
  const option = useMemo(
    () => ({
      // Drawn at once: the figures are the point, and screenshots of the page are then what it shows.
      animation: false,
      tooltip: { trigger: 'axis' },
      grid: { left: 64, right: 16, bottom: 32 },
      xAxis: { type: 'category', data: l.schedule.map((s) => s.month) },
      yAxis: { type: 'value' },
      series: [{ name: t('loyalty.report.expiring'), type: 'bar', data: l.schedule.map((s) => s.points) }],
    }),
    [l, t],
  );
  return (
    <Card size="small" title={t('loyalty.report.liabilityTitle', { asOf: format.dateTime(l.asOf) })}>
      <Row gutter={[12, 12]}>
        <Col xs={24} md={6}>
          <KpiCard hasComparison={false} testId="liability" title={t('loyalty.report.liability')} definition={t('loyalty.report.liabilityDefinition')} value={format.money(l.liabilityFen)} />
        </Col>
        <Col xs={24} md={6}>
          <KpiCard hasComparison={false} testId="outstanding" title={t('loyalty.report.outstanding')} definition={t('loyalty.report.outstandingDefinition')} value={format.count(l.outstandingPoints)} />
        </Col>
        <Col xs={24} md={6}>
          <KpiCard hasComparison={false} testId="breakage" title={t('loyalty.report.breakage')} definition={t('loyalty.report.breakageDefinition', { cohorts: l.cohortsUsed })} value={format.percent(l.breakageRate)} />
        </Col>
        <Col xs={24} md={6}>
          <KpiCard hasComparison={false} testId="gross" title={t('loyalty.report.gross')} definition={t('loyalty.report.grossDefinition', { value: format.money(l.valuePerPointFen) })} value={format.money(l.grossFen)} />
        </Col>
      </Row>
      <Typography.Title level={5} style={{ marginTop: 16 }}>{t('loyalty.report.schedule')}</Typography.Title>
      {l.schedule.length ? <Chart option={option} height={240} testId="expiry-chart" /> : <Typography.Text type="secondary">{t('loyalty.report.noSchedule')}</Typography.Text>}
    </Card>
  );
}

function Cost({ cost }: { cost: CouponCost }) {
  const { t } = useTranslation();
  const format = useFormat();
  const money = (key: string) => ({ title: t(`loyalty.report.${key}`), dataIndex: key, align: 'right' as const, render: (v: number) => format.money(v) });
  const count = (key: string) => ({ title: t(`loyalty.report.${key}`), dataIndex: key, align: 'right' as const, render: (v: number) => format.count(v) });
  return (
    <>
      <Card size="small" title={t('loyalty.report.byCampaign')}>
        <Table data-testid="cost-campaigns" rowKey="campaign" size="small" pagination={false} dataSource={cost.campaigns} locale={{ emptyText: t('loyalty.report.noCost') }} columns={[{ title: t('loyalty.offer.campaign'), dataIndex: 'campaign', render: (v: string) => (v === '(none)' ? t('loyalty.report.noCampaign') : v) }, count('offers'), count('redeemed'), money('discountFen'), money('reversedDiscountFen'), count('orders'), money('gmvFen')]} />
      </Card>
      <Card size="small" title={t('loyalty.report.byOffer')}>
        <Typography.Paragraph type="secondary">{t('loyalty.report.costDefinition')}</Typography.Paragraph>
        <Table
          data-testid="cost-offers"
          rowKey="offerId"
          size="small"
          pagination={false}
          scroll={{ x: true }}
          dataSource={cost.offers}
          locale={{ emptyText: t('loyalty.report.noCost') }}
          columns={[{ title: t('loyalty.offer.name'), dataIndex: 'name' }, count('issued'), count('claimed'), count('redeemed'), count('released'), count('rejected'), money('discountFen'), money('reversedDiscountFen'), money('netCostFen'), count('orders'), money('gmvFen')]}
        />
      </Card>
    </>
  );
}
