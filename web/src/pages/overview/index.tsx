import { Card, Col, Row, Segmented, Space, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useKpis, type Kpi, type KpiQuery } from '../../api/analytics.ts';
import { useFormat } from '../../components/FormatProvider.tsx';
import { addDays, type Formatter } from '../../components/format.ts';
import { KpiCard } from '../../components/KpiCard.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { Sparkline } from '../../components/Sparkline.tsx';
import { useLanguage } from '../../i18n/index.ts';

type Span = 7 | 30;

/** A metric's value as its unit says: fen as money, counts, ratios as percentages. */
export function formatMetric(format: Formatter, unit: Kpi['unit'], value: number | null | undefined): string {
  return unit === 'fen' ? format.moneyCompact(value) : unit === 'ratio' ? format.percent(value) : format.count(value);
}

/** 总览: the period's KPIs (by default the 7 days ending with the latest day with orders) against the previous period or a year before. */
export default function Overview() {
  const { t } = useTranslation();
  const format = useFormat();
  const { language } = useLanguage();
  const [span, setSpan] = useState<Span>(7);
  const [compare, setCompare] = useState<'previous' | 'year'>('previous');
  // The server picks the latest week with data; a 30-day span ends on the same day.
  const week = useKpis({ compare: 'previous' });
  const query: KpiQuery = useMemo(() => {
    const to = week.data?.period.to;
    return span === 7 || !to ? { compare } : { from: addDays(to, -30), to, compare };
  }, [span, compare, week.data?.period.to]);
  const kpis = useKpis(query);
  return (
    <>
      <PageHeader
        title={t('overview.title')}
        subtitle={
          kpis.data
            ? t('overview.period', {
                from: format.day(kpis.data.period.from),
                to: format.day(addDays(kpis.data.period.to, -1)),
                cFrom: format.day(kpis.data.comparison.from),
                cTo: format.day(addDays(kpis.data.comparison.to, -1)),
              })
            : t('overview.subtitle')
        }
        extra={
          <Space>
            <Segmented<Span>
              data-testid="overview-span"
              value={span}
              options={[
                { value: 7, label: t('overview.span.week') },
                { value: 30, label: t('overview.span.month') },
              ]}
              onChange={setSpan}
            />
            <Segmented<'previous' | 'year'>
              value={compare}
              options={[
                { value: 'previous', label: t('overview.compare.previous') },
                { value: 'year', label: t('overview.compare.year') },
              ]}
              onChange={setCompare}
            />
          </Space>
        }
      />
      <QueryView query={kpis}>
        {(data) => (
          <>
            <Row gutter={[16, 16]} data-testid="kpi-grid">
              {data.metrics.map((m) => {
                const text = language === 'en' ? m.definition.en : m.definition.zh;
                const ratio = m.unit === 'ratio';
                const delta = ratio ? m.change : m.changeRatio;
                const direction = delta === null || delta === 0 ? 'flat' : delta > 0 ? 'up' : 'down';
                return (
                  <Col key={m.key} xs={24} sm={12} lg={8} xl={6}>
                    <KpiCard
                      testId={`kpi-${m.key}`}
                      title={text.name}
                      definition={text.definition}
                      value={formatMetric(format, m.unit, m.value)}
                      change={delta === null ? t('overview.noComparison') : ratio ? t('overview.points', { value: format.points(delta) }) : format.signedPercent(delta)}
                      direction={direction}
                      previous={t('overview.previous', { value: formatMetric(format, m.unit, m.previous) })}
                      spark={<Sparkline values={m.series.map((p) => p.value)} labels={m.series.map((p) => format.day(p.start))} format={(v) => formatMetric(format, m.unit, v)} />}
                    />
                  </Col>
                );
              })}
            </Row>
            <Card size="small" style={{ marginTop: 16 }}>
              <Typography.Text type="secondary">{t('overview.note', { timezone: data.timezone, currency: data.currency, bucket: t(`overview.bucket.${data.bucket}`), days: data.repurchaseDays })}</Typography.Text>
            </Card>
          </>
        )}
      </QueryView>
    </>
  );
}
