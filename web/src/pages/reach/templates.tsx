import { EyeOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Descriptions, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useChannelMutations, useChannels, usePreview, type ChannelTemplate } from '../../api/channels.ts';
import { can, useMe } from '../../api/me.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';

const KINDS = ['marketing', 'notification', 'verification'] as const;

/** The provider templates of every channel, each previewed as one real customer would read it. */
export function TemplatesPanel() {
  const { t } = useTranslation();
  const me = useMe().data;
  const channels = useChannels();
  const [previewing, setPreviewing] = useState<ChannelTemplate>();
  const [adding, setAdding] = useState(false);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {can(me, 'channels:write') && (channels.data?.channels.length ?? 0) > 0 && (
        <Button icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="template-add">
          {t('reach.template.add')}
        </Button>
      )}
      <QueryView query={channels} isEmpty={(c) => c.templates.length === 0} empty={t('reach.template.empty')}>
        {({ templates }) => (
          <Table<ChannelTemplate>
            data-testid="template-table"
            rowKey={(x) => `${x.channel}/${x.name}`}
            size="small"
            pagination={false}
            dataSource={templates}
            columns={[
              { title: t('reach.template.channel'), dataIndex: 'channel', render: (v: string) => <code>{v}</code> },
              { title: t('reach.template.name'), dataIndex: 'name' },
              { title: t('reach.template.code'), dataIndex: 'providerCode', render: (v: string) => <code>{v}</code> },
              { title: t('reach.template.kind'), dataIndex: 'kind', render: (v: string) => <Tag color={v === 'marketing' ? 'orange' : 'blue'}>{t(`reach.kind.${v}`)}</Tag> },
              { title: t('reach.template.body'), dataIndex: 'body', render: (v: string) => <Typography.Text style={{ maxWidth: 360 }} ellipsis={{ tooltip: v }}>{v}</Typography.Text> },
              { title: t('reach.template.params'), dataIndex: 'params', render: (v: string[]) => (v.length ? v.map((p) => <Tag key={p}>{p}</Tag>) : '—') },
              { title: t('common.actions'), render: (_, x) => <Button size="small" icon={<EyeOutlined />} onClick={() => setPreviewing(x)} data-testid={`template-preview-${x.name}`}>{t('reach.preview.button')}</Button> },
            ]}
          />
        )}
      </QueryView>
      {previewing && <Preview template={previewing} onClose={() => setPreviewing(undefined)} />}
      {adding && <AddTemplate channels={(channels.data?.channels ?? []).map((c) => c.name)} onClose={() => setAdding(false)} />}
    </Space>
  );
}

/** A template rendered for a chosen customer: parameter values are Liquid over the customer's profile; nothing is sent. */
function Preview({ template, onClose }: { template: ChannelTemplate; onClose: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const preview = usePreview();
  const [form] = Form.useForm<{ customerId: string; params: Record<string, string> }>();
  const submit = (v: { customerId: string; params?: Record<string, string> }) =>
    preview.mutate({ channel: template.channel, template: template.name, customerId: v.customerId.trim(), params: Object.fromEntries(Object.entries(v.params ?? {}).filter(([, x]) => x)) });
  const p = preview.data;
  return (
    <Modal open title={t('reach.preview.title', { template: template.name })} okText={t('reach.preview.run')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} confirmLoading={preview.isPending} okButtonProps={{ id: 'preview-run' }} destroyOnHidden width={640}>
      <Typography.Paragraph type="secondary">{t('reach.preview.explain', { example: '{{ customer.name }}' })}</Typography.Paragraph>
      <Typography.Paragraph>
        <code>{template.body}</code>
      </Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item name="customerId" label={t('reach.preview.customer')} rules={[{ required: true, whitespace: true }]}>
          <Input data-testid="preview-customer" />
        </Form.Item>
        {template.params.map((name) => (
          <Form.Item key={name} name={['params', name]} label={name} initialValue={name === 'name' ? '{{ customer.name }}' : ''}>
            <Input data-testid={`preview-param-${name}`} />
          </Form.Item>
        ))}
      </Form>
      {preview.error && <ApiErrorAlert error={preview.error} />}
      {p && (
        <Card size="small" data-testid="preview-result">
          <Typography.Paragraph strong data-testid="preview-text">
            {p.text}
          </Typography.Paragraph>
          <Descriptions size="small" column={1}>
            {p.smsParts !== null && <Descriptions.Item label={t('reach.preview.parts')}>{format.count(p.smsParts)}</Descriptions.Item>}
            <Descriptions.Item label={t('reach.preview.address')}>{p.hasAddress ? t('common.yes') : t('common.no')}</Descriptions.Item>
          </Descriptions>
          {p.missingParams.length > 0 && <Alert type="warning" showIcon message={t('reach.preview.missing', { params: p.missingParams.join(t('common.listSeparator')) })} />}
        </Card>
      )}
    </Modal>
  );
}

interface TemplateForm {
  channel: string;
  name: string;
  provider_code: string;
  kind: (typeof KINDS)[number];
  body: string;
  params: string[];
}

/** Register a provider's approved template; a marketing SMS template must end with 拒收请回复R (the server says so). */
function AddTemplate({ channels, onClose }: { channels: string[]; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<TemplateForm>();
  const { saveTemplate } = useChannelMutations();
  return (
    <Modal open title={t('reach.template.add')} okText={t('reach.channel.save')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} confirmLoading={saveTemplate.isPending} destroyOnHidden width={600}>
      <Form<TemplateForm> form={form} layout="vertical" initialValues={{ channel: channels[0], kind: 'notification', params: [] }} onFinish={(v) => saveTemplate.mutate(v, { onSuccess: onClose })}>
        <Form.Item name="channel" label={t('reach.template.channel')} rules={[{ required: true }]}>
          <Select options={channels.map((c) => ({ value: c, label: c }))} />
        </Form.Item>
        <Form.Item name="name" label={t('reach.template.name')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item name="provider_code" label={t('reach.template.code')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item name="kind" label={t('reach.template.kind')}>
          <Select options={KINDS.map((k) => ({ value: k, label: t(`reach.kind.${k}`) }))} />
        </Form.Item>
        <Form.Item name="body" label={t('reach.template.body')} extra={t('reach.template.bodyHint')} rules={[{ required: true }]}>
          <Input.TextArea rows={3} />
        </Form.Item>
        <Form.Item name="params" label={t('reach.template.params')}>
          <Select mode="tags" open={false} />
        </Form.Item>
      </Form>
      {saveTemplate.error && <ApiErrorAlert error={saveTemplate.error} />}
    </Modal>
  );
}
