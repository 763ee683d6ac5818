import { Button, Card, Col, DatePicker, Flex, Row, Statistic, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useClvEvaluation, useClvSummary } from '../../api/predict.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { Chart } from '../../components/Chart.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';

export function ClvPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const summary = useClvSummary();
  return (
    <QueryView query={summary} isEmpty={(s) => s.run === null && s.fits.length === 0} empty={t('predict.clv.empty')}>
      {(s) => (
        <Row gutter={[16, 16]}>
          <Col xs={12} lg={6}>
            <Card size="small">
              <Statistic title={t('predict.clv.customers')} value={format.count(s.totals.customers)} />
            </Card>
          </Col>
          <Col xs={12} lg={6}>
            <Card size="small">
              <Statistic title={t('predict.clv.total')} value={format.moneyCompact(s.totals.clv12mFen, s.run?.currency)} />
            </Card>
          </Col>
          <Col xs={12} lg={6}>
            <Card size="small">
              <Statistic title={t('predict.clv.expectedOrders')} value={format.countCompact(Math.round(s.totals.expectedOrders90d))} />
            </Card>
          </Col>
          <Col xs={12} lg={6}>
            <Card size="small">
              <Statistic title={t('predict.clv.asOf')} value={format.day(s.run?.asOf)} />
            </Card>
          </Col>
          <Col span={24}>
            <Table
              size="small"
              rowKey="fitId"
              pagination={false}
              title={() => t('predict.clv.fits')}
              dataSource={s.fits}
              columns={[
                { title: t('predict.clv.model'), dataIndex: 'model' },
                { title: t('predict.clv.params'), dataIndex: 'params', render: (p: Record<string, number>) => Object.entries(p).map(([k, v]) => `${k}=${format.decimal(v, 3)}`).join(', ') },
                { title: t('predict.clv.logLikelihood'), dataIndex: 'logLikelihood', align: 'right', render: (v: number) => format.decimal(v, 1) },
                { title: t('predict.clv.fitted'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
                { title: t('predict.clv.converged'), dataIndex: 'converged', render: (v: boolean) => <Tag color={v ? 'green' : 'red'}>{t(v ? 'common.yes' : 'common.no')}</Tag> },
                { title: t('predict.clv.calibrationEnd'), dataIndex: 'calibrationEnd', render: (v: string) => format.day(v) },
              ]}
            />
          </Col>
          <Col xs={24} xl={12}>
            <Card size="small" title={t('predict.clv.pAlive')}>
              <Chart testId="palive-chart" option={{ tooltip: { trigger: 'axis' }, grid: { left: 56, right: 16, top: 16, bottom: 32 }, xAxis: { type: 'category', data: s.pAlive.map((b) => `${format.percent(b.from, 0)}–${format.percent(b.to, 0)}`) }, yAxis: { type: 'value' }, series: [{ type: 'bar', data: s.pAlive.map((b) => b.customers) }] }} />
            </Card>
          </Col>
          <Col xs={24} xl={12}>
            <Card size="small" title={t('predict.clv.deciles')}>
              <Chart option={{ tooltip: { trigger: 'axis' }, grid: { left: 72, right: 16, top: 16, bottom: 32 }, xAxis: { type: 'category', data: s.clvDeciles.map((d) => `D${d.decile}`) }, yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format.moneyCompact(v) } }, series: [{ type: 'bar', data: s.clvDeciles.map((d) => d.totalFen) }] }} />
            </Card>
          </Col>
          <Col span={24}>
            <Holdout latest={s.fits[0]?.calibrationEnd} />
          </Col>
        </Row>
      )}
    </QueryView>
  );
}

/** Fits on the history up to a day and tracks the forecast against what happened after it, week by week. */
function Holdout({ latest }: { latest?: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const [day, setDay] = useState<Dayjs | null>(null);
  const evaluation = useClvEvaluation();
  const e = evaluation.data;
  return (
    <Card size="small" title={t('predict.clv.holdout')}>
      <Flex gap={8} align="center" wrap style={{ marginBottom: 12 }}>
        <Typography.Text>{t('predict.clv.calibrationEnd')}</Typography.Text>
        <DatePicker value={day} onChange={setDay} />
        <Button type="primary" disabled={!day} loading={evaluation.isPending} onClick={() => day && evaluation.mutate(day.format('YYYY-MM-DD'))}>
          {t('predict.clv.evaluate')}
        </Button>
        <Typography.Text type="secondary">{t('predict.clv.holdoutHint', { day: format.day(latest) })}</Typography.Text>
      </Flex>
      {evaluation.error && <ApiErrorAlert error={evaluation.error} />}
      {e && (
        <>
          <Typography.Paragraph>{t('predict.clv.holdoutResult', { predicted: format.decimal(e.predictedTotal, 0), actual: format.decimal(e.actualTotal, 0), error: format.percent(e.aggregateError), mae: format.decimal(e.meanAbsoluteError, 3) })}</Typography.Paragraph>
          <Chart
            testId="tracking-chart"
            option={{
              tooltip: { trigger: 'axis' },
              legend: { data: [t('predict.clv.actual'), t('predict.clv.predicted')] },
              grid: { left: 64, right: 16, top: 40, bottom: 32 },
              xAxis: { type: 'category', data: e.tracking.actual.map((_, i) => i + 1), name: t('predict.clv.week') },
              yAxis: { type: 'value' },
              series: [
                { name: t('predict.clv.actual'), type: 'line', showSymbol: false, data: e.tracking.actual, markLine: { symbol: 'none', data: [{ xAxis: e.tracking.calibrationWeek }] } },
                { name: t('predict.clv.predicted'), type: 'line', showSymbol: false, lineStyle: { type: 'dashed' }, data: e.tracking.predicted },
              ],
            }}
          />
        </>
      )}
    </Card>
  );
}
