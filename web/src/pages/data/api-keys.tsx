import { Button, Card, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { parseScope, scopeText, useApiKeyMutations, useApiKeys, useRoles, type ApiKey } from '../../api/access.ts';
import { can, useMe } from '../../api/me.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';

interface KeyForm {
  name: string;
  scopes: string[];
  scope: string;
  expiresInDays?: number | null;
}

/** API keys for machines (GET/POST/DELETE /v1/keys): scopes, data scope, expiry, last use; the key is shown once. */
export function ApiKeys() {
  const { t } = useTranslation();
  const format = useFormat();
  const me = useMe().data;
  const writer = can(me, 'keys:write');
  const keys = useApiKeys();
  // The permission codes to choose scopes from (GET /v1/roles needs users:read; without it, ingest only).
  const roles = useRoles(can(me, 'users:read'));
  const { create, revoke } = useApiKeyMutations();
  const [created, setCreated] = useState<string>();
  const codes = roles.data?.permissions.map((p) => p.code) ?? ['ingest:write'];
  const submit = (v: KeyForm) => create.mutate({ name: v.name.trim(), scopes: v.scopes as never, dataScope: parseScope(v.scope), ...(v.expiresInDays ? { expiresInDays: v.expiresInDays } : {}) }, { onSuccess: (k) => setCreated(k.key) });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {writer && (
        <Card size="small" title={t('apiKeys.create')}>
          <Form<KeyForm> layout="inline" onFinish={submit} initialValues={{ scopes: ['customers:read'], scope: 'all' }}>
            <Form.Item name="name" rules={[{ required: true, whitespace: true, message: t('data.keys.nameRequired') }]}>
              <Input placeholder={t('apiKeys.namePlaceholder')} />
            </Form.Item>
            <Form.Item name="scopes" label={t('apiKeys.scopes')} rules={[{ required: true, message: t('apiKeys.scopesRule') }]}>
              <Select mode="multiple" style={{ minWidth: 260 }} options={codes.map((c) => ({ value: c, label: c }))} />
            </Form.Item>
            <Form.Item name="scope" label={t('users.scope')} rules={[{ validator: (_, v: string) => (parseScope(v ?? '') ? Promise.resolve() : Promise.reject(new Error(t('users.scopeRule')))) }]}>
              <Input style={{ width: 160 }} />
            </Form.Item>
            <Form.Item name="expiresInDays" label={t('apiKeys.expires')}>
              <InputNumber min={1} max={3650} placeholder={t('apiKeys.never')} />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={create.isPending}>
              {t('data.keys.createButton')}
            </Button>
          </Form>
          {create.error && <ApiErrorAlert error={create.error} />}
        </Card>
      )}
      {revoke.error && <ApiErrorAlert error={revoke.error} />}
      <QueryView query={keys} isEmpty={(k) => k.length === 0} empty={t('data.keys.empty')}>
        {(list) => (
          <Table<ApiKey>
            size="small"
            rowKey="keyId"
            pagination={false}
            dataSource={list}
            data-testid="api-key-table"
            columns={[
              { title: t('data.keys.name'), dataIndex: 'name' },
              { title: t('data.keys.id'), dataIndex: 'keyId', render: (v: string) => <code>{`syk_${v}…`}</code> },
              { title: t('apiKeys.scopes'), dataIndex: 'scopes', render: (s: string[]) => s.map((x) => <Tag key={x}>{x}</Tag>) },
              { title: t('users.scope'), dataIndex: 'dataScope', render: (s: ApiKey['dataScope']) => <code>{scopeText(s)}</code> },
              { title: t('apiKeys.expires'), dataIndex: 'expiresAt', render: (v: string | null) => (v ? format.dateTime(v) : t('apiKeys.never')) },
              { title: t('apiKeys.lastUsed'), dataIndex: 'lastUsedAt', render: (v: string | null) => format.dateTime(v) },
              { title: t('data.keys.status'), dataIndex: 'revokedAt', render: (v: string | null) => (v ? <Tag>{t('data.keys.revoked', { at: format.dateTime(v) })}</Tag> : <Tag color="green">{t('data.keys.active')}</Tag>) },
              ...(writer
                ? [{ title: t('common.actions'), key: 'actions', render: (_: unknown, x: ApiKey) => !x.revokedAt && <Popconfirm title={t('data.keys.revokeConfirm')} onConfirm={() => revoke.mutate(x.keyId)}><Button size="small" danger>{t('data.keys.revoke')}</Button></Popconfirm> }]
                : []),
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
