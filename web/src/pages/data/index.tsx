import { Alert, Button, Card, Form, Input, Modal, Popconfirm, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useJobMutations, useJobRuns, useJobs, useWriteKeyMutations, useWriteKeys } from '../../api/data.ts';
import { can, useMe } from '../../api/me.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { ApiKeys } from './api-keys.tsx';

const STATUS_COLOR: Record<string, string> = { succeeded: 'green', failed: 'red', running: 'blue', skipped: 'default' };

/** 数据: recurring jobs and their history, write keys and API keys (each tab for those who may see it); imports arrive with their API. */
export default function Data() {
  const { t } = useTranslation();
  const me = useMe().data;
  return (
    <>
      <PageHeader title={t('data.title')} subtitle={t('data.subtitle')} />
      <Tabs
        destroyOnHidden
        items={[
          ...(can(me, 'jobs:read') ? [{ key: 'jobs', label: t('data.tab.jobs'), children: <Jobs /> }] : []),
          ...(can(me, 'keys:read')
            ? [
                { key: 'keys', label: t('data.tab.keys'), children: <WriteKeys /> },
                { key: 'apiKeys', label: t('data.tab.apiKeys'), children: <ApiKeys /> },
              ]
            : []),
          { key: 'import', label: t('data.tab.import'), children: <Alert type="info" showIcon title={t('data.importComing')} /> },
        ]}
      />
    </>
  );
}

function Jobs() {
  const { t } = useTranslation();
  const format = useFormat();
  const jobs = useJobs();
  const { run, update } = useJobMutations();
  return (
    <>
      {(run.error || update.error) && <ApiErrorAlert error={run.error ?? update.error} />}
      <QueryView query={jobs}>
        {(data) => (
          <Table
            data-testid="jobs-table"
            size="small"
            rowKey="name"
            pagination={false}
            dataSource={data.jobs}
            expandable={{ expandedRowRender: (job) => <Runs name={job.name} /> }}
            columns={[
              { title: t('data.job.name'), dataIndex: 'name', render: (v: string, j) => <Space direction="vertical" size={0}><b>{v}</b><Typography.Text type="secondary">{j.description}</Typography.Text></Space> },
              { title: t('data.job.schedule'), dataIndex: 'schedule', render: (v: string, j) => <code title={j.timezone}>{v}</code> },
              { title: t('data.job.enabled'), dataIndex: 'enabled', render: (v: boolean, j) => <Switch size="small" checked={v} onChange={(enabled) => update.mutate({ name: j.name, enabled })} /> },
              { title: t('data.job.lastRun'), dataIndex: 'lastRun', render: (r: (typeof data.jobs)[number]['lastRun']) => (r ? <Space><Tag color={STATUS_COLOR[r.status]}>{t(`data.status.${r.status}`)}</Tag>{format.dateTime(r.startedAt)}</Space> : '—') },
              { title: t('data.job.nextRun'), dataIndex: 'nextRunAt', render: (v: string | null) => format.dateTime(v) },
              { title: t('common.actions'), key: 'actions', render: (_, j) => <Button size="small" loading={run.isPending && run.variables === j.name} onClick={() => run.mutate(j.name)}>{t('data.job.run')}</Button> },
            ]}
          />
        )}
      </QueryView>
    </>
  );
}

function Runs({ name }: { name: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const runs = useJobRuns(name);
  return (
    <QueryView query={runs} isEmpty={(r) => r.runs.length === 0} empty={t('data.noRuns')}>
      {(r) => (
        <Table
          size="small"
          rowKey="runId"
          pagination={false}
          dataSource={r.runs}
          columns={[
            { title: t('data.run.started'), dataIndex: 'startedAt', render: (v: string) => format.dateTime(v) },
            { title: t('data.run.trigger'), dataIndex: 'trigger', render: (v: string) => t(`data.trigger.${v}`, { defaultValue: v }) },
            { title: t('data.run.status'), dataIndex: 'status', render: (v: string) => <Tag color={STATUS_COLOR[v]}>{t(`data.status.${v}`)}</Tag> },
            { title: t('data.run.rows'), dataIndex: 'rowsTouched', align: 'right', render: (v: number | null) => format.count(v) },
            { title: t('data.run.summary'), render: (_, x) => x.error ?? x.summary ?? '—' },
          ]}
        />
      )}
    </QueryView>
  );
}

function WriteKeys() {
  const { t } = useTranslation();
  const format = useFormat();
  const keys = useWriteKeys();
  const { create, revoke } = useWriteKeyMutations();
  const [created, setCreated] = useState<string>();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card size="small" title={t('data.keys.create')}>
        <Form<{ name: string }> layout="inline" onFinish={(v) => create.mutate(v.name, { onSuccess: (k) => setCreated(k.key) })}>
          <Form.Item name="name" rules={[{ required: true, message: t('data.keys.nameRequired') }]}>
            <Input placeholder={t('data.keys.namePlaceholder')} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={create.isPending}>
            {t('data.keys.createButton')}
          </Button>
        </Form>
        {create.error && <ApiErrorAlert error={create.error} />}
      </Card>
      <QueryView query={keys} isEmpty={(k) => k.keys.length === 0} empty={t('data.keys.empty')}>
        {(k) => (
          <Table
            size="small"
            rowKey="keyId"
            pagination={false}
            dataSource={k.keys}
            columns={[
              { title: t('data.keys.name'), dataIndex: 'name' },
              { title: t('data.keys.id'), dataIndex: 'keyId', render: (v: string) => <code>{`syk_${v}…`}</code> },
              { title: t('data.keys.created'), dataIndex: 'createdAt', render: (v: string) => format.dateTime(v) },
              { title: t('data.keys.status'), dataIndex: 'revokedAt', render: (v: string | null) => (v ? <Tag>{t('data.keys.revoked', { at: format.dateTime(v) })}</Tag> : <Tag color="green">{t('data.keys.active')}</Tag>) },
              { title: t('common.actions'), key: 'actions', render: (_, x) => !x.revokedAt && <Popconfirm title={t('data.keys.revokeConfirm')} onConfirm={() => revoke.mutate(x.keyId)}><Button size="small" danger>{t('data.keys.revoke')}</Button></Popconfirm> },
            ]}
          />
        )}
      </QueryView>
      <Modal open={Boolean(created)} title={t('data.keys.createdTitle')} onOk={() => setCreated(undefined)} onCancel={() => setCreated(undefined)} cancelButtonProps={{ style: { display: 'none' } }}>
        <Typography.Paragraph>{t('data.keys.onlyOnce')}</Typography.Paragraph>
        <Typography.Paragraph copyable code>
          {created}
        </Typography.Paragraph>
      </Modal>
    </Space>
  );
}
