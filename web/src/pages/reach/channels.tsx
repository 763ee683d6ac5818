import { PlusOutlined, SendOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Modal, Select, Space, Table, Tag, Timeline, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useChannelMutations, useChannels, useTestToCustomer, type ChannelInfo, type ChannelTemplate, type LoggedMessage } from '../../api/channels.ts';
import { can, useMe } from '../../api/me.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { Reason, StateTag, useReason } from './state.tsx';

export const PROVIDERS = ['aliyun_sms', 'tencent_sms', 'smtp', 'wecom', 'miniprogram'] as const;

// What each provider's settings and secrets look like (docs/channels.md), as a starting point in the add form.
const EXAMPLES: Record<(typeof PROVIDERS)[number], { settings: object; secrets: object }> = {
  aliyun_sms: { settings: { sign_name: '', rate_per_second: 500 }, secrets: { access_key_id: '', access_key_secret: '' } },
  tencent_sms: { settings: { sdk_app_id: '', sign_name: '' }, secrets: { secret_id: '', secret_key: '' } },
  smtp: { settings: { host: '', port: 587, from: '', unsubscribe_url: '' }, secrets: { user: '', pass: '' } },
  wecom: { settings: { corp_id: '', sender: '' }, secrets: { secret: '' } },
  miniprogram: { settings: { app_id: '' }, secrets: { app_secret: '' } },
};

/** The configured channels: provider, status, which credentials are set, templates; add one, or send a test to a customer. */
export function ChannelsPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const me = useMe().data;
  const channels = useChannels();
  const [adding, setAdding] = useState(false);
  const [testing, setTesting] = useState<ChannelInfo>();
  const writer = can(me, 'channels:write');
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {writer && (
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="channel-add">
          {t('reach.channel.add')}
        </Button>
      )}
      <QueryView query={channels} isEmpty={(c) => c.channels.length === 0} empty={t('reach.channel.empty')}>
        {({ channels: list, templates }) => (
          <Table<ChannelInfo>
            data-testid="channel-table"
            rowKey="name"
            size="small"
            pagination={false}
            dataSource={list}
            columns={[
              { title: t('reach.channel.name'), dataIndex: 'name', render: (v: string) => <code>{v}</code> },
              { title: t('reach.channel.provider'), dataIndex: 'provider', render: (v: string) => t(`reach.provider.${v}`, { defaultValue: v }) },
              { title: t('reach.channel.status'), dataIndex: 'isEnabled', render: (v: boolean) => <Tag color={v ? 'green' : 'default'}>{v ? t('reach.channel.enabled') : t('reach.channel.disabled')}</Tag> },
              { title: t('reach.channel.secrets'), dataIndex: 'secretsSet', render: (v: string[]) => (v.length ? v.map((s) => <Tag key={s}>{s}</Tag>) : '—') },
              { title: t('reach.channel.templates'), align: 'right', render: (_, c) => format.count(templates.filter((x) => x.channel === c.name).length) },
              { title: t('reach.channel.updated'), dataIndex: 'updatedAt', render: (v: string) => format.dateTime(v) },
              ...(writer
                ? [{ title: t('common.actions'), render: (_: unknown, c: ChannelInfo) => <Button size="small" icon={<SendOutlined />} onClick={() => setTesting(c)} data-testid={`channel-test-${c.name}`}>{t('reach.test.button')}</Button> }]
                : []),
            ]}
          />
        )}
      </QueryView>
      {adding && <AddChannel onClose={() => setAdding(false)} />}
      {testing && <TestSend channel={testing} templates={(channels.data?.templates ?? []).filter((x) => x.channel === testing.name)} onClose={() => setTesting(undefined)} />}
    </Space>
  );
}

interface AddForm {
  name: string;
  provider: (typeof PROVIDERS)[number];
  settings: string;
  secrets: string;
}

/** Add or replace a channel: settings and credentials as JSON, checked by the server, which names each wrong field. */
function AddChannel({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<AddForm>();
  const { save } = useChannelMutations();
  const [jsonError, setJsonError] = useState<string>();
  const pick = (provider: AddForm['provider']) => form.setFieldsValue({ settings: JSON.stringify(EXAMPLES[provider].settings, null, 2), secrets: JSON.stringify(EXAMPLES[provider].secrets, null, 2) });
  const submit = (v: AddForm) => {
    let settings: Record<string, unknown>;
    let secrets: Record<string, unknown>;
    try {
      settings = JSON.parse(v.settings) as Record<string, unknown>;
      secrets = JSON.parse(v.secrets) as Record<string, unknown>;
    } catch (error) {
      setJsonError((error as Error).message);
      return;
    }
    setJsonError(undefined);
    save.mutate({ name: v.name, provider: v.provider, settings, secrets }, { onSuccess: onClose });
  };
  return (
    <Modal open title={t('reach.channel.add')} okText={t('reach.channel.save')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} confirmLoading={save.isPending} okButtonProps={{ id: 'channel-save' }} destroyOnHidden width={640}>
      <Typography.Paragraph type="secondary">{t('reach.channel.addExplain')}</Typography.Paragraph>
      <Form<AddForm> form={form} layout="vertical" onFinish={submit} initialValues={{ provider: 'tencent_sms', settings: JSON.stringify(EXAMPLES.tencent_sms.settings, null, 2), secrets: JSON.stringify(EXAMPLES.tencent_sms.secrets, null, 2) }}>
        <Form.Item name="name" label={t('reach.channel.name')} rules={[{ required: true, pattern: /^[a-z][a-z0-9_-]{0,39}$/, message: t('reach.channel.nameRule') }]}>
          <Input placeholder={t('reach.channel.namePlaceholder')} data-testid="channel-name" />
        </Form.Item>
        <Form.Item name="provider" label={t('reach.channel.provider')}>
          <Select options={PROVIDERS.map((p) => ({ value: p, label: t(`reach.provider.${p}`) }))} onChange={pick} data-testid="channel-provider" />
        </Form.Item>
        <Form.Item name="settings" label={t('reach.channel.settings')} rules={[{ required: true }]}>
          <Input.TextArea rows={5} style={{ fontFamily: 'monospace' }} data-testid="channel-settings" />
        </Form.Item>
        <Form.Item name="secrets" label={t('reach.channel.secretsInput')} extra={t('reach.channel.secretsHint')} rules={[{ required: true }]}>
          <Input.TextArea rows={3} style={{ fontFamily: 'monospace' }} data-testid="channel-secrets" />
        </Form.Item>
      </Form>
      {jsonError && <Alert type="error" showIcon message={t('reach.channel.badJson', { error: jsonError })} />}
      {save.error && <ApiErrorAlert error={save.error} />}
    </Modal>
  );
}

interface TestForm {
  customerId: string;
  template?: string;
  params: Record<string, string>;
  body?: string;
}

/** A test message to one real customer, through the outbox and the contact policy; the answer shows its states. */
function TestSend({ channel, templates, onClose }: { channel: ChannelInfo; templates: ChannelTemplate[]; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<TestForm>();
  const send = useTestToCustomer(channel.name);
  const template = Form.useWatch('template', form);
  const chosen = templates.find((x) => x.name === template);
  const submit = (v: TestForm) =>
    send.mutate({ customer_id: v.customerId.trim(), ...(v.template ? { template: v.template, params: Object.fromEntries(Object.entries(v.params ?? {}).filter(([, x]) => x !== undefined)) } : { body: v.body }) });
  return (
    <Modal open title={t('reach.test.title', { channel: channel.name })} okText={t('reach.test.send')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} confirmLoading={send.isPending} okButtonProps={{ id: 'test-send' }} destroyOnHidden width={600}>
      <Typography.Paragraph type="secondary">{t('reach.test.explain')}</Typography.Paragraph>
      <Form<TestForm> form={form} layout="vertical" onFinish={submit} initialValues={{ template: templates[0]?.name, params: {} }}>
        <Form.Item name="customerId" label={t('reach.test.customer')} rules={[{ required: true, whitespace: true }]}>
          <Input data-testid="test-customer" />
        </Form.Item>
        <Form.Item name="template" label={t('reach.test.template')}>
          <Select allowClear options={templates.map((x) => ({ value: x.name, label: `${x.name} · ${t(`reach.kind.${x.kind}`)}` }))} data-testid="test-template" />
        </Form.Item>
        {chosen?.params.map((p) => (
          <Form.Item key={p} name={['params', p]} label={p} initialValue={p === 'name' ? '{{ customer.name }}' : ''} rules={[{ required: true }]}>
            <Input data-testid={`test-param-${p}`} />
          </Form.Item>
        ))}
        {!chosen && (
          <Form.Item name="body" label={t('reach.test.body')}>
            <Input.TextArea rows={3} />
          </Form.Item>
        )}
      </Form>
      {send.error && <ApiErrorAlert error={send.error} />}
      {send.data && <TestResult message={send.data} />}
    </Modal>
  );
}

function TestResult({ message }: { message: LoggedMessage }) {
  const { t } = useTranslation();
  const format = useFormat();
  const reason = useReason();
  return (
    <Card size="small" data-testid="test-result" title={<Space><StateTag state={message.state} />{message.reason && <Reason reason={message.reason} maxWidth={420} />}</Space>}>
      <Typography.Paragraph>
        {t('reach.test.logged', { id: message.messageId })}
      </Typography.Paragraph>
      <Timeline items={(message.history ?? []).map((h) => ({ children: <span>{format.dateTime(h.at)} · {t(`reach.state.${h.state}`, { defaultValue: h.state })}{h.detail ? ` · ${reason(h.detail)}` : ''}</span> }))} />
    </Card>
  );
}
