import { PlusOutlined } from '@ant-design/icons';
import { Button, Flex, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { can, useMe } from '../../api/me.ts';
import { usePrivacyMutations, usePrivacyRequests, type PrivacyRequest, type RequestStatus, type RequestType } from '../../api/privacy.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';

const TYPES: RequestType[] = ['access', 'deletion', 'withdrawal'];
const STATUS_COLOR: Record<RequestStatus, string> = { open: 'blue', fulfilled: 'green', rejected: 'default' };

/** Data-subject requests (docs/privacy.md): the queue, oldest due first; file one, fulfil it (export or erasure) or reject it with a reason. */
export function PrivacyPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const me = useMe().data;
  const writer = can(me, 'privacy:write');
  const [status, setStatus] = useState<RequestStatus | undefined>('open');
  const requests = usePrivacyRequests({ status });
  const m = usePrivacyMutations();
  const [filing, setFiling] = useState(false);
  const [rejecting, setRejecting] = useState<PrivacyRequest>();
  const [form] = Form.useForm<{ type: RequestType; customerId: string; note?: string }>();
  const [reject] = Form.useForm<{ reason: string }>();
  const handler = me?.name ?? 'console';
  const error = m.fulfil.error ?? m.reject.error;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Flex gap={8} wrap>
        <Select<RequestStatus | 'all'>
          style={{ width: 160 }}
          value={status ?? 'all'}
          onChange={(v) => setStatus(v === 'all' ? undefined : v)}
          options={[{ value: 'all', label: t('privacy.all') }, ...(['open', 'fulfilled', 'rejected'] as const).map((s) => ({ value: s, label: t(`privacy.status.${s}`) }))]}
        />
        {writer && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setFiling(true)} data-testid="privacy-new">
            {t('privacy.new')}
          </Button>
        )}
      </Flex>
      {error && <ApiErrorAlert error={error} />}
      <QueryView query={requests}>
        {(list) => (
          <Table<PrivacyRequest>
            size="small"
            rowKey="requestId"
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            dataSource={list}
            locale={{ emptyText: t('privacy.empty') }}
            data-testid="privacy-table"
            columns={[
              { title: t('privacy.id'), dataIndex: 'requestId', render: (v: string) => <code>{v}</code> },
              { title: t('privacy.type'), dataIndex: 'type', render: (v: RequestType) => t(`privacy.typeKind.${v}`) },
              { title: t('privacy.subject'), dataIndex: 'subjectId' },
              { title: t('privacy.statusTitle'), dataIndex: 'status', render: (v: RequestStatus) => <Tag color={STATUS_COLOR[v]}>{t(`privacy.status.${v}`)}</Tag> },
              { title: t('privacy.requested'), dataIndex: 'requestedAt', render: (v: string) => format.dateTime(v) },
              { title: t('privacy.due'), dataIndex: 'dueOn', render: (v: string) => format.day(v) },
              { title: t('privacy.handler'), dataIndex: 'handler', render: (v: string | null, r) => (v ? `${v} · ${format.dateTime(r.handledAt)}` : '—') },
              { title: t('privacy.note'), dataIndex: 'note', render: (v: string | null) => v ?? '—' },
              ...(writer
                ? [
                    {
                      title: t('common.actions'),
                      key: 'actions',
                      render: (_: unknown, r: PrivacyRequest) =>
                        r.status === 'open' ? (
                          <Space>
                            <Popconfirm title={t(r.type === 'deletion' ? 'privacy.fulfilDeletion' : 'privacy.fulfilConfirm')} onConfirm={() => m.fulfil.mutate({ id: r.requestId, handler })}>
                              <Button size="small" type="primary" loading={m.fulfil.isPending && m.fulfil.variables?.id === r.requestId}>
                                {t('privacy.fulfil')}
                              </Button>
                            </Popconfirm>
                            <Button size="small" onClick={() => setRejecting(r)}>
                              {t('privacy.reject')}
                            </Button>
                          </Space>
                        ) : null,
                    },
                  ]
                : []),
            ]}
          />
        )}
      </QueryView>
      <Modal open={filing} title={t('privacy.new')} onOk={() => form.submit()} onCancel={() => setFiling(false)} confirmLoading={m.create.isPending} destroyOnHidden forceRender>
        <Form form={form} layout="vertical" initialValues={{ type: 'access' }} onFinish={(v) => m.create.mutate({ type: v.type, customerId: v.customerId.trim(), note: v.note?.trim() || undefined }, { onSuccess: () => setFiling(false) })}>
          <Form.Item name="type" label={t('privacy.type')}>
            <Select options={TYPES.map((x) => ({ value: x, label: t(`privacy.typeKind.${x}`) }))} />
          </Form.Item>
          <Form.Item name="customerId" label={t('privacy.subject')} rules={[{ required: true, whitespace: true, message: t('privacy.subjectRule') }]}>
            <Input />
          </Form.Item>
          <Form.Item name="note" label={t('privacy.note')}>
            <Input.TextArea rows={2} maxLength={2000} />
          </Form.Item>
        </Form>
        {m.create.error && <ApiErrorAlert error={m.create.error} />}
      </Modal>
      <Modal open={Boolean(rejecting)} title={t('privacy.rejectTitle', { id: rejecting?.requestId })} onOk={() => reject.submit()} onCancel={() => setRejecting(undefined)} confirmLoading={m.reject.isPending} destroyOnHidden forceRender>
        <Form form={reject} layout="vertical" onFinish={(v) => rejecting && m.reject.mutate({ id: rejecting.requestId, handler, reason: v.reason.trim() }, { onSuccess: () => setRejecting(undefined) })}>
          <Form.Item name="reason" label={t('privacy.reason')} rules={[{ required: true, whitespace: true, message: t('privacy.reasonRule') }]}>
            <Input.TextArea rows={3} maxLength={2000} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
