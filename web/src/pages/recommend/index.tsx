import { Button, Card, DatePicker, Form, Input, InputNumber, Popconfirm, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useExperimentMutations, useExperiments, useRecommendReport, useRuleMutations, useRules, useTrainingRuns, type RuleAction } from '../../api/recommend.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { QueryView } from '../../components/QueryView.tsx';

/** 推荐: click-to-purchase performance, A/B experiments, merchandising rules and training runs. */
export default function Recommend() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t('recommend.title')} subtitle={t('recommend.subtitle')} />
      <Tabs
        data-testid="recommend-tabs"
        destroyOnHidden
        items={[
          { key: 'report', label: t('recommend.tab.report'), children: <Report /> },
          { key: 'experiments', label: t('recommend.tab.experiments'), children: <Experiments /> },
          { key: 'rules', label: t('recommend.tab.rules'), children: <Rules /> },
          { key: 'runs', label: t('recommend.tab.runs'), children: <Runs /> },
        ]}
      />
    </>
  );
}

function Report() {
  const { t } = useTranslation();
  const format = useFormat();
  const [range, setRange] = useState<[Dayjs, Dayjs] | null>(null);
  const [experiment, setExperiment] = useState<string>();
  const experiments = useExperiments();
  const report = useRecommendReport({ from: range?.[0].format('YYYY-MM-DD'), to: range?.[1].format('YYYY-MM-DD'), experiment });
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <DatePicker.RangePicker value={range} onChange={(v) => setRange(v && v[0] && v[1] ? [v[0], v[1]] : null)} />
        <Select allowClear style={{ width: 200 }} placeholder={t('recommend.experiment')} value={experiment} onChange={setExperiment} options={(experiments.data?.experiments ?? []).map((e) => ({ value: e.experiment, label: e.experiment }))} />
      </Space>
      <QueryView query={report} isEmpty={(r) => r.rows.length === 0} empty={t('recommend.noEvents')}>
        {(r) => (
          <Table
            size="small"
            rowKey={(row) => `${row.algorithm}/${row.slot}`}
            pagination={false}
            dataSource={r.rows}
            footer={() => t('recommend.attribution', { days: r.attributionDays })}
            columns={[
              { title: t('recommend.algorithm'), dataIndex: 'algorithm' },
              { title: t('recommend.slot'), dataIndex: 'slot' },
              { title: t('recommend.views'), dataIndex: 'views', align: 'right', render: (v: number) => format.count(v) },
              { title: t('recommend.clicks'), dataIndex: 'clicks', align: 'right', render: (v: number) => format.count(v) },
              { title: 'CTR', dataIndex: 'ctr', align: 'right', render: (v: number) => format.percent(v, 2) },
              { title: t('recommend.conversions'), dataIndex: 'conversions', align: 'right', render: (v: number) => format.count(v) },
              { title: t('recommend.conversionRate'), dataIndex: 'conversionRate', align: 'right', render: (v: number) => format.percent(v, 2) },
              { title: t('recommend.revenue'), dataIndex: 'revenueFen', align: 'right', render: (v: number) => format.money(v) },
            ]}
          />
        )}
      </QueryView>
    </>
  );
}

function Experiments() {
  const { t } = useTranslation();
  const format = useFormat();
  const experiments = useExperiments();
  const { start, stop } = useExperimentMutations();
  const [form] = Form.useForm<{ name: string; a: string; b: string; share: number }>();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card size="small" title={t('recommend.startExperiment')}>
        <Form form={form} layout="inline" initialValues={{ a: 'ease', b: 'sar', share: 50 }} onFinish={(v) => start.mutate({ name: v.name, variants: [{ algorithm: v.a, share: v.share / 100 }, { algorithm: v.b, share: 1 - v.share / 100 }] })}>
          <Form.Item name="name" rules={[{ required: true, message: t('recommend.nameRequired') }]}>
            <Input placeholder={t('recommend.experimentName')} />
          </Form.Item>
          <Form.Item name="a" label="A">
            <Select style={{ width: 110 }} options={ALGORITHMS} />
          </Form.Item>
          <Form.Item name="share" label={t('recommend.shareA')}>
            <InputNumber min={1} max={99} addonAfter="%" />
          </Form.Item>
          <Form.Item name="b" label="B">
            <Select style={{ width: 110 }} options={ALGORITHMS} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={start.isPending}>
            {t('recommend.start')}
          </Button>
        </Form>
        {start.error && <ApiErrorAlert error={start.error} />}
      </Card>
      <QueryView query={experiments} isEmpty={(e) => e.experiments.length === 0} empty={t('recommend.noExperiments')}>
        {(e) => (
          <Table
            size="small"
            rowKey="experiment"
            pagination={false}
            dataSource={e.experiments}
            columns={[
              { title: t('recommend.experiment'), dataIndex: 'experiment' },
              { title: t('recommend.variants'), dataIndex: 'variants', render: (vs: { algorithm: string; share: number }[]) => vs.map((v) => <Tag key={v.algorithm}>{`${v.algorithm} ${format.percent(v.share, 0)}`}</Tag>) },
              { title: t('recommend.started'), dataIndex: 'startedAt', render: (v: string) => format.dateTime(v) },
              { title: t('recommend.ended'), dataIndex: 'endedAt', render: (v: string | null) => (v ? format.dateTime(v) : <Tag color="green">{t('recommend.running')}</Tag>) },
              { title: t('common.actions'), key: 'actions', render: (_, x) => !x.endedAt && <Popconfirm title={t('recommend.stopConfirm')} onConfirm={() => stop.mutate(x.experiment)}><Button size="small">{t('recommend.stop')}</Button></Popconfirm> },
            ]}
          />
        )}
      </QueryView>
    </Space>
  );
}

const ALGORITHMS = ['ease', 'als', 'sar', 'popular'].map((a) => ({ value: a, label: a }));

function Rules() {
  const { t } = useTranslation();
  const format = useFormat();
  const rules = useRules();
  const { set, clear } = useRuleMutations();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card size="small" title={t('recommend.addRule')}>
        <Form<{ sku: string; action: RuleAction; factor?: number; note?: string }> layout="inline" initialValues={{ action: 'pin' }} onFinish={(v) => set.mutate(v)}>
          <Form.Item name="sku" rules={[{ required: true, message: t('recommend.skuRequired') }]}>
            <Input placeholder={t('recommend.sku')} />
          </Form.Item>
          <Form.Item name="action">
            <Select style={{ width: 120 }} options={(['pin', 'boost', 'bury'] as const).map((a) => ({ value: a, label: t(`recommend.action.${a}`) }))} />
          </Form.Item>
          <Form.Item name="factor">
            <InputNumber min={0.1} placeholder={t('recommend.factor')} />
          </Form.Item>
          <Form.Item name="note">
            <Input placeholder={t('recommend.note')} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={set.isPending}>
            {t('recommend.setRule')}
          </Button>
        </Form>
        {set.error && <ApiErrorAlert error={set.error} />}
      </Card>
      <QueryView query={rules} isEmpty={(r) => r.rules.length === 0} empty={t('recommend.noRules')}>
        {(r) => (
          <Table
            size="small"
            rowKey="sku"
            pagination={false}
            dataSource={r.rules}
            columns={[
              { title: 'SKU', dataIndex: 'sku' },
              { title: t('recommend.actionTitle'), dataIndex: 'action', render: (a: RuleAction) => <Tag>{t(`recommend.action.${a}`)}</Tag> },
              { title: t('recommend.factor'), dataIndex: 'factor', align: 'right', render: (v: number) => format.decimal(v, 1) },
              { title: t('recommend.note'), dataIndex: 'note', render: (v: string | null) => v ?? '—' },
              { title: t('recommend.created'), dataIndex: 'createdAt', render: (v: string) => format.dateTime(v) },
              { title: t('common.actions'), key: 'actions', render: (_, x) => <Button size="small" onClick={() => clear.mutate(x.sku)}>{t('recommend.clear')}</Button> },
            ]}
          />
        )}
      </QueryView>
    </Space>
  );
}

function Runs() {
  const { t } = useTranslation();
  const format = useFormat();
  const runs = useTrainingRuns();
  return (
    <>
      <Typography.Paragraph type="secondary">{t('recommend.evaluationHint')}</Typography.Paragraph>
      <QueryView query={runs} isEmpty={(r) => r.runs.length === 0} empty={t('recommend.noRuns')}>
        {(r) => (
          <Table
            size="small"
            rowKey="runId"
            pagination={false}
            dataSource={r.runs}
            columns={[
              { title: t('recommend.trained'), dataIndex: 'trainedAt', render: (v: string) => format.dateTime(v) },
              { title: t('recommend.algorithm'), dataIndex: 'algorithm' },
              { title: t('recommend.params'), dataIndex: 'params', render: (p: Record<string, unknown>) => Object.entries(p).map(([k, v]) => `${k}=${String(v)}`).join(', ') },
              { title: t('recommend.interactions'), dataIndex: 'interactions', align: 'right', render: (v: number) => format.count(v) },
              { title: t('recommend.customers'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
              { title: t('recommend.items'), dataIndex: 'items', align: 'right', render: (v: number) => format.count(v) },
            ]}
          />
        )}
      </QueryView>
    </>
  );
}
