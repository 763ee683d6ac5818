import { EditOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, DatePicker, Descriptions, Form, Input, InputNumber, Popconfirm, Row, Space, Statistic, Table, Tabs, Tag, Timeline, Tooltip, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { useJourney, useJourneyMutations, useJourneyReport, useSimulation, type ArmReport, type Journey, type JourneyReport } from '../../api/journeys.ts';
import { can, useMe } from '../../api/me.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { Chart } from '../../components/Chart.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { StatusTag } from './status.tsx';

/** One journey: its report (entries, steps, arms with uplift), its definition, and a dry run for one customer. */
export default function JourneyPage() {
  const { id } = useParams();
  const journey = useJourney(id);
  return <QueryView query={journey}>{(j) => <JourneyView journey={j} />}</QueryView>;
}

function JourneyView({ journey: j }: { journey: Journey }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const me = useMe();
  const writer = can(me.data, 'journeys:write');
  const m = useJourneyMutations(j.id);
  const busy = m.publish.isPending || m.pause.isPending || m.resume.isPending || m.archive.isPending;
  const error = m.publish.error ?? m.pause.error ?? m.resume.error ?? m.archive.error;
  return (
    <>
      <PageHeader
        title={
          <Space>
            {j.name}
            <StatusTag status={j.status} />
            {j.publishedVersion !== null && <Tag>{t('journeys.version', { version: j.publishedVersion })}</Tag>}
          </Space>
        }
        subtitle={j.description ?? j.id}
        extra={
          writer && (
            <>
              <Button icon={<EditOutlined />} onClick={() => navigate(`/journeys/${encodeURIComponent(j.id)}/edit`)} data-testid="journey-edit">
                {t('journeys.edit')}
              </Button>
              {j.draft !== null && j.status !== 'archived' && (
                <Popconfirm title={t('journeys.publishConfirm')} onConfirm={() => m.publish.mutate()} okButtonProps={{ id: 'journey-publish-confirm' }}>
                  <Button type="primary" loading={m.publish.isPending} disabled={busy} data-testid="journey-publish">
                    {t('journeys.publish')}
                  </Button>
                </Popconfirm>
              )}
              {j.status === 'active' && (
                <Button onClick={() => m.pause.mutate()} loading={m.pause.isPending} disabled={busy} data-testid="journey-pause">
                  {t('journeys.pause')}
                </Button>
              )}
              {j.status === 'paused' && (
                <Button onClick={() => m.resume.mutate()} loading={m.resume.isPending} disabled={busy} data-testid="journey-resume">
                  {t('journeys.resume')}
                </Button>
              )}
              {j.status !== 'archived' && j.publishedVersion !== null && (
                <Popconfirm title={t('journeys.archiveConfirm')} onConfirm={() => m.archive.mutate()}>
                  <Button danger disabled={busy} data-testid="journey-archive">
                    {t('journeys.archive')}
                  </Button>
                </Popconfirm>
              )}
            </>
          )
        }
      />
      {error && <ApiErrorAlert error={error} />}
      <Tabs
        destroyOnHidden
        items={[
          { key: 'report', label: t('journeys.tab.report'), children: j.publishedVersion === null ? <Alert type="info" showIcon title={t('journeys.notPublished')} /> : <ReportView id={j.id} /> },
          { key: 'definition', label: t('journeys.tab.definition'), children: <DefinitionView journey={j} /> },
          { key: 'simulate', label: t('journeys.tab.simulate'), children: j.publishedVersion === null ? <Alert type="info" showIcon title={t('journeys.notPublished')} /> : <SimulateView id={j.id} /> },
        ]}
      />
    </>
  );
}

function ReportView({ id }: { id: string }) {
  const report = useJourneyReport(id);
  return <QueryView query={report}>{(r) => <Report report={r} />}</QueryView>;
}

/** A p-value to 3 decimals, or below 0.001 as "<0.001". */
const pText = (format: { decimal: (x: number, digits?: number) => string }, p: number) => (p < 0.001 ? `<${format.decimal(0.001, 3)}` : format.decimal(p, 3));

const armName = (t: (key: string, options?: Record<string, unknown>) => string, arm: string) => (arm.startsWith('variant ') ? t('journeys.variant', { variant: arm.slice(8) }) : t(`journeys.arm.${arm}`, { defaultValue: arm }));

function Report({ report: r }: { report: JourneyReport }) {
  const { t } = useTranslation();
  const format = useFormat();
  const figures: [string, number][] = [
    ['entered', r.entered],
    ['active', r.active],
    ['completed', r.completed],
    ['exited', r.exited],
    ['heldOut', r.heldOut],
    ['windowsOpen', r.windowsOpen],
  ];
  const uplift = r.arms.filter((a) => a.uplift);
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle" data-testid="journey-report">
      <Row gutter={[16, 16]}>
        {figures.map(([key, value]) => (
          <Col key={key} xs={12} md={8} xl={4}>
            <Card size="small">
              <Statistic title={<Tooltip title={t(`journeys.figureHint.${key}`)}>{t(`journeys.figure.${key}`)}</Tooltip>} value={format.count(value)} data-testid={`journey-${key}`} />
            </Card>
          </Col>
        ))}
      </Row>
      <Typography.Text type="secondary">
        {r.goal ? t('journeys.goal', { event: r.goal.event, days: r.goal.withinDays }) : t('journeys.noGoal')} {t('journeys.windows', { at: format.dateTime(r.windowsClosedBy) })}
      </Typography.Text>
      <Card size="small" title={t('journeys.arms')}>
        <Table<ArmReport>
          size="small"
          rowKey="arm"
          pagination={false}
          dataSource={r.arms}
          data-testid="journey-arms"
          columns={[
            { title: t('journeys.column.arm'), dataIndex: 'arm', render: (v: string) => armName(t, v) },
            { title: t('journeys.column.customers'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
            { title: t('journeys.column.converted'), dataIndex: 'converted', align: 'right', render: (v: number) => format.count(v) },
            { title: t('journeys.column.conversionRate'), dataIndex: 'conversionRate', align: 'right', render: (v: number) => format.percent(v) },
            { title: t('journeys.column.revenuePerCustomer'), dataIndex: 'revenuePerCustomerFen', align: 'right', render: (v: number) => format.money(Math.round(v)) },
            {
              title: <Tooltip title={t('journeys.upliftHint')}>{t('journeys.column.uplift')}</Tooltip>,
              key: 'uplift',
              align: 'right',
              render: (_, a) =>
                a.uplift ? (
                  <span>
                    {t('overview.points', { value: format.points(a.uplift.difference) })}
                    <br />
                    <Typography.Text type="secondary">[{format.points(a.uplift.interval.low)}, {format.points(a.uplift.interval.high)}]</Typography.Text>
                  </span>
                ) : (
                  '—'
                ),
            },
            { title: t('journeys.column.pValue'), key: 'p', align: 'right', render: (_, a) => (a.uplift ? <Tag color={a.uplift.pValue < 0.05 ? 'green' : 'default'}>{pText(format, a.uplift.pValue)}</Tag> : '—') },
            {
              title: <Tooltip title={t('journeys.revenueUpliftHint')}>{t('journeys.column.revenueUplift')}</Tooltip>,
              key: 'revenue',
              align: 'right',
              render: (_, a) =>
                a.revenueUplift ? (
                  <span>
                    {format.money(Math.round(a.revenueUplift.difference))}
                    <br />
                    <Typography.Text type="secondary">
                      [{format.money(Math.round(a.revenueUplift.interval.low))}, {format.money(Math.round(a.revenueUplift.interval.high))}] p={pText(format, a.revenueUplift.pValue)}
                    </Typography.Text>
                  </span>
                ) : (
                  '—'
                ),
            },
          ]}
        />
        <Typography.Text type="secondary">{r.sampleSizeNeeded === null ? t('journeys.noSampleSize') : t('journeys.sampleSize', { n: format.count(r.sampleSizeNeeded) })}</Typography.Text>
      </Card>
      {uplift.length > 0 && (
        <Card size="small" title={t('journeys.upliftChart')}>
          <UpliftChart arms={uplift} />
        </Card>
      )}
      <Card size="small" title={t('journeys.steps')}>
        <Table
          size="small"
          rowKey="node"
          pagination={false}
          dataSource={r.steps}
          data-testid="journey-steps"
          columns={[
            { title: t('journeys.column.step'), dataIndex: 'node', render: (v: string) => <code>{v}</code> },
            { title: t('journeys.column.kind'), dataIndex: 'kind', render: (v: string) => t(`journeys.kind.${v}`, { defaultValue: v }) },
            { title: t('journeys.column.waiting'), dataIndex: 'active', align: 'right', render: (v: number) => format.count(v) },
            { title: t('journeys.column.outcomes'), dataIndex: 'outcomes', render: (o: Record<string, number>) => <Counts counts={o} family="journeys.outcome" /> },
            { title: t('journeys.column.messages'), dataIndex: 'messages', render: (o: Record<string, number>) => <Counts counts={o} family="journeys.message" /> },
          ]}
        />
      </Card>
    </Space>
  );
}

function Counts({ counts, family }: { counts: Record<string, number>; family: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const entries = Object.entries(counts);
  if (!entries.length) return <span>—</span>;
  return (
    <Space size={4} wrap>
      {entries.map(([k, n]) => (
        <Tag key={k}>
          {t(`${family}.${k}`, { defaultValue: k })}: {format.count(n)}
        </Tag>
      ))}
    </Space>
  );
}

/** Each arm's conversion uplift against the holdout with its 95% interval (a dot on a line), zero marked. */
function UpliftChart({ arms }: { arms: ArmReport[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const option = useMemo(() => {
    const names = arms.map((a) => armName(t, a.arm));
    return {
      grid: { left: 120, right: 32, top: 16, bottom: 32 },
      tooltip: { trigger: 'item' },
      xAxis: { type: 'value', axisLabel: { formatter: (v: number) => format.points(v) } },
      yAxis: { type: 'category', data: names, inverse: true },
      series: [
        {
          type: 'custom',
          name: t('journeys.column.uplift'),
          encode: { x: [1, 2, 3], y: 0 },
          data: arms.map((a, i) => [i, a.uplift!.interval.low, a.uplift!.difference, a.uplift!.interval.high]),
          tooltip: { formatter: (p: { data: number[] }) => `${names[p.data[0]!]}: ${format.points(p.data[2])} [${format.points(p.data[1])}, ${format.points(p.data[3])}]` },
          renderItem: (_: unknown, api: { value: (i: number) => number; coord: (v: [number, number]) => [number, number]; style: (s?: object) => object }) => {
            const [x1, y] = api.coord([api.value(1), api.value(0)]);
            const [x2] = api.coord([api.value(3), api.value(0)]);
            const [xm] = api.coord([api.value(2), api.value(0)]);
            return {
              type: 'group',
              children: [
                { type: 'line', shape: { x1, y1: y, x2, y2: y }, style: { stroke: '#1677ff', lineWidth: 2 } },
                { type: 'line', shape: { x1, y1: y - 6, x2: x1, y2: y + 6 }, style: { stroke: '#1677ff', lineWidth: 2 } },
                { type: 'line', shape: { x1: x2, y1: y - 6, x2, y2: y + 6 }, style: { stroke: '#1677ff', lineWidth: 2 } },
                { type: 'circle', shape: { cx: xm, cy: y, r: 5 }, style: { fill: '#1677ff' } },
              ],
            };
          },
          markLine: { silent: true, symbol: 'none', data: [{ xAxis: 0 }], lineStyle: { color: '#999', type: 'dashed' } },
        },
      ],
    };
  }, [arms, t, format]);
  return <Chart option={option} height={Math.max(120, 60 * arms.length + 48)} testId="uplift-chart" />;
}

function DefinitionView({ journey: j }: { journey: Journey }) {
  const { t } = useTranslation();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {j.draft !== null && (
        <Card size="small" title={t('journeys.draft')}>
          <pre className="siyu-json">{JSON.stringify(j.draft, null, 2)}</pre>
        </Card>
      )}
      {j.definition && (
        <Card size="small" title={t('journeys.published', { version: j.publishedVersion })}>
          <Descriptions size="small" column={2} bordered style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t('journeys.column.entry')}>{t(`journeys.entry.${j.definition.entry.kind}`)}</Descriptions.Item>
            <Descriptions.Item label={t('journeys.holdout')}>{j.definition.holdout ?? 0}</Descriptions.Item>
          </Descriptions>
          <pre className="siyu-json">{JSON.stringify(j.definition, null, 2)}</pre>
        </Card>
      )}
    </Space>
  );
}

interface SimulateForm {
  customerId: string;
  from: Dayjs;
  days: number;
}

function SimulateView({ id }: { id: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const simulate = useSimulation(id);
  const run = (v: SimulateForm) => simulate.mutate({ customerId: v.customerId.trim(), from: v.from.toISOString(), days: v.days });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Text type="secondary">{t('journeys.simulate.explain')}</Typography.Text>
      <Form<SimulateForm> layout="inline" onFinish={run} initialValues={{ days: 30, from: dayjs() }}>
        <Form.Item name="customerId" label={t('journeys.simulate.customer')} rules={[{ required: true, whitespace: true, message: t('journeys.simulate.customerRequired') }]}>
          <Input style={{ width: 200 }} data-testid="simulate-customer" />
        </Form.Item>
        <Form.Item name="from" label={t('journeys.simulate.from')} rules={[{ required: true }]}>
          <DatePicker showTime />
        </Form.Item>
        <Form.Item name="days" label={t('journeys.simulate.days')}>
          <InputNumber min={1} max={366} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={simulate.isPending} data-testid="simulate-run">
          {t('journeys.simulate.run')}
        </Button>
      </Form>
      {simulate.error && <ApiErrorAlert error={simulate.error} />}
      {simulate.data && (
        <Card size="small" data-testid="simulation" title={t('journeys.simulate.result', { customer: simulate.data.customerId, version: simulate.data.version })}>
          <Space wrap style={{ marginBottom: 12 }}>
            {simulate.data.heldOut && <Tag color="purple">{t('journeys.holdout')}</Tag>}
            <Tag>{t('journeys.simulate.end', { end: t(`journeys.end.${simulate.data.end}`, { defaultValue: simulate.data.end }) })}</Tag>
            {simulate.data.convertedAt && <Tag color="green">{t('journeys.simulate.converted', { at: format.dateTime(simulate.data.convertedAt) })}</Tag>}
          </Space>
          <Timeline
            items={simulate.data.steps.map((s) => ({
              children: (
                <div>
                  <div>
                    {format.dateTime(s.at)} · <code>{s.node}</code> ({t(`journeys.kind.${s.kind}`, { defaultValue: s.kind })}) → {t(`journeys.outcome.${s.outcome}`, { defaultValue: s.outcome })}
                  </div>
                  {s.message && (
                    <Card size="small" type="inner" title={`${t(`journeys.channel.${s.message.channel}`, { defaultValue: s.message.channel })}${s.message.subject ? ` · ${s.message.subject}` : ''}`}>
                      {s.message.body}
                    </Card>
                  )}
                </div>
              ),
            }))}
          />
        </Card>
      )}
    </Space>
  );
}
