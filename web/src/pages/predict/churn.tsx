import { Button, Card, Col, Form, Input, InputNumber, Modal, Row, Slider, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useChurnSummary, useChurnWarnings } from '../../api/predict.ts';
import { useSaveSegment } from '../../api/segments.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { Chart } from '../../components/Chart.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { useLanguage } from '../../i18n/index.ts';

export function ChurnPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const { label } = useLanguage();
  const navigate = useNavigate();
  const [minRisk, setMinRisk] = useState(0.5);
  const [n, setN] = useState(50);
  const warnings = useChurnWarnings(n, minRisk);
  const summary = useChurnSummary();
  const [saving, setSaving] = useState(false);
  const save = useSaveSegment();
  const [name, setName] = useState('');
  // The verdict names models by their codes; the console says it in the chosen language from the evaluation itself.
  const verdict = (e: { models: { model: string; role?: string; metrics: { auc: number } }[]; deployed?: string }) => {
    const best = (role: string) => [...e.models].filter((m) => m.role === role).sort((a, b) => b.metrics.auc - a.metrics.auc)[0];
    const [classifier, baseline] = [best('classifier'), best('baseline')];
    if (!classifier || !baseline) return '';
    const name = (m: string) => t(`predict.churn.models.${m}`, { defaultValue: m, model: summary.data?.model?.evaluation.frequencyModel?.model ?? 'BG/NBD', horizon: summary.data?.model?.horizonDays ?? 90 });
    const args = { classifier: name(classifier.model), baseline: name(baseline.model), gain: format.decimal(classifier.metrics.auc - baseline.metrics.auc, 3) };
    return e.deployed === classifier.model ? t('predict.churn.verdictClassifier', args) : t('predict.churn.verdictBaseline', args);
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <QueryView query={summary} isEmpty={(s) => s.model === null} empty={t('predict.churn.noModel')}>
        {(s) => (
          <Row gutter={16}>
            <Col xs={24} xl={14}>
              <Table
                size="small"
                rowKey="model"
                pagination={false}
                title={() => t('predict.churn.evaluation', { horizon: s.model!.horizonDays, day: format.day(s.model!.evaluation.end) })}
                dataSource={s.model!.evaluation.models}
                footer={s.model!.evaluation.verdict ? () => <Typography.Text type="secondary" data-testid="churn-verdict">{verdict(s.model!.evaluation)}</Typography.Text> : undefined}
                columns={[
                  {
                    title: t('predict.churn.model'),
                    dataIndex: 'model',
                    render: (m: string, row) => (
                      <Space size={4}>
                        {t(`predict.churn.models.${m}`, { defaultValue: m, model: s.model!.evaluation.frequencyModel?.model ?? 'BG/NBD', horizon: s.model!.horizonDays })}
                        {row.role === 'baseline' && <Tag>{t('predict.churn.baseline')}</Tag>}
                        {m === (s.model!.evaluation.deployed ?? s.model!.kind) && <Tag color="green">{t('predict.churn.deployed')}</Tag>}
                      </Space>
                    ),
                  },
                  { title: 'AUC', render: (_, m) => format.decimal(m.metrics.auc, 3) },
                  { title: 'PR-AUC', render: (_, m) => format.decimal(m.metrics.prAuc, 3) },
                  { title: t('predict.churn.precision10'), render: (_, m) => format.percent(m.metrics.precisionAt10) },
                  { title: t('predict.churn.recall10'), render: (_, m) => format.percent(m.metrics.recallAt10) },
                ]}
              />
            </Col>
            <Col xs={24} xl={10}>
              <Card size="small" title={t('predict.churn.riskDistribution')}>
                <Chart height={220} option={{ tooltip: { trigger: 'axis' }, grid: { left: 56, right: 16, top: 16, bottom: 32 }, xAxis: { type: 'category', data: s.risk.map((b) => format.percent(b.from, 0)) }, yAxis: { type: 'value' }, series: [{ type: 'bar', data: s.risk.map((b) => b.customers) }] }} />
              </Card>
            </Col>
          </Row>
        )}
      </QueryView>
      <Card
        size="small"
        title={t('predict.churn.warnings')}
        extra={
          <Button type="primary" onClick={() => setSaving(true)} data-testid="churn-save-segment">
            {t('predict.churn.saveSegment')}
          </Button>
        }
      >
        <Space wrap style={{ marginBottom: 12 }}>
          <Typography.Text>{t('predict.churn.minRisk')}</Typography.Text>
          <Slider style={{ width: 200 }} min={0} max={1} step={0.05} value={minRisk} onChange={setMinRisk} tooltip={{ formatter: (v) => format.percent(v ?? 0, 0) }} />
          <Typography.Text>{t('predict.churn.count')}</Typography.Text>
          <InputNumber min={1} max={1000} value={n} onChange={(v) => setN(v ?? 50)} />
        </Space>
        <QueryView query={warnings} isEmpty={(w) => w.warnings.length === 0} empty={t('predict.churn.noWarnings')}>
          {(w) => (
            <Table
              data-testid="churn-table"
              size="small"
              rowKey="customerId"
              dataSource={w.warnings}
              pagination={{ pageSize: 20 }}
              onRow={(row) => ({ onClick: () => navigate(`/customers/${encodeURIComponent(row.customerId)}`), style: { cursor: 'pointer' } })}
              columns={[
                { title: t('predict.churn.customer'), dataIndex: 'customerId' },
                { title: t('predict.churn.risk'), dataIndex: 'risk', align: 'right', render: (v: number) => format.percent(v) },
                { title: t('predict.churn.pNoPurchase', { horizon: w.warnings[0]?.horizonDays ?? 90 }), dataIndex: 'pNoPurchase', align: 'right', render: (v: number) => format.percent(v) },
                { title: t('predict.churn.value'), dataIndex: 'valueFen', align: 'right', render: (v: number) => format.money(v) },
                { title: t('predict.churn.reasons'), dataIndex: 'reasons', render: (rs: { zh: string; en: string }[]) => rs.map((r, i) => <Tag key={i}>{label(r)}</Tag>) },
              ]}
            />
          )}
        </QueryView>
      </Card>
      <Modal
        open={saving}
        title={t('predict.churn.saveSegment')}
        onCancel={() => setSaving(false)}
        confirmLoading={save.isPending}
        okButtonProps={{ disabled: !name }}
        onOk={() => save.mutate({ name, description: t('predict.churn.segmentDescription', { risk: format.percent(minRisk, 0) }), definition: { field: 'churn_risk', op: '>=', value: minRisk }, refreshEvery: 'daily' }, { onSuccess: () => navigate('/segments') })}
        destroyOnHidden
      >
        <Typography.Paragraph>{t('predict.churn.segmentExplain', { risk: format.percent(minRisk, 0) })}</Typography.Paragraph>
        <Form layout="vertical">
          <Form.Item label={t('segments.builder.name')}>
            <Input value={name} onChange={(e) => setName(e.target.value)} />
          </Form.Item>
        </Form>
        {save.error && <ApiErrorAlert error={save.error} />}
      </Modal>
    </Space>
  );
}
