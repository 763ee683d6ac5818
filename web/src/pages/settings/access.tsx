import { PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Flex, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { parseScope, scopeText, useAudit, useAuditVerify, useRoleMutations, useRoles, useUserMutations, useUsers, type AuditFilter, type Role, type User } from '../../api/access.ts';
import { can, useMe } from '../../api/me.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';

const roleLabel = (t: (key: string, options?: Record<string, unknown>) => string, role: string) => t(`roleName.${role}`, { defaultValue: role });

interface UserForm {
  username: string;
  displayName?: string;
  password?: string;
  roles: string[];
  scope: string;
  isDisabled?: boolean;
}

/** Console users: roles, data scope, second factor; create, change, disable, reset the second factor (all audited by the server). */
export function UsersPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const writer = can(useMe().data, 'users:write');
  const users = useUsers();
  const roles = useRoles();
  const m = useUserMutations();
  const [editing, setEditing] = useState<User | 'new'>();
  const [form] = Form.useForm<UserForm>();
  const open = (user: User | 'new') => {
    setEditing(user);
    form.setFieldsValue(user === 'new' ? { username: '', displayName: '', password: '', roles: [], scope: 'all', isDisabled: false } : { username: user.username, displayName: user.displayName ?? '', roles: user.roles, scope: scopeText(user.dataScope), isDisabled: user.isDisabled });
  };
  const submit = (v: UserForm) => {
    const dataScope = parseScope(v.scope)!;
    const done = { onSuccess: () => setEditing(undefined) };
    if (editing === 'new') m.create.mutate({ username: v.username.trim(), password: v.password ?? '', displayName: v.displayName?.trim() || undefined, roles: v.roles, dataScope }, done);
    else if (editing) m.update.mutate({ username: editing.username, displayName: v.displayName?.trim() || null, roles: v.roles, dataScope, isDisabled: Boolean(v.isDisabled) }, done);
  };
  const error = m.create.error ?? m.update.error;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {writer && (
        <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')} data-testid="user-new">
          {t('users.new')}
        </Button>
      )}
      {m.resetTotp.error && <ApiErrorAlert error={m.resetTotp.error} />}
      <QueryView query={users}>
        {(list) => (
          <Table<User>
            size="small"
            rowKey="username"
            pagination={false}
            dataSource={list}
            data-testid="user-table"
            columns={[
              { title: t('users.username'), dataIndex: 'username', render: (v: string, u) => <span>{v} {u.displayName && <Typography.Text type="secondary">{u.displayName}</Typography.Text>}</span> },
              { title: t('users.roles'), dataIndex: 'roles', render: (r: string[]) => r.map((x) => <Tag key={x}>{roleLabel(t, x)}</Tag>) },
              { title: t('users.scope'), dataIndex: 'dataScope', render: (s: User['dataScope']) => <code>{scopeText(s)}</code> },
              { title: t('users.totp'), dataIndex: 'hasTotp', render: (v: boolean) => (v ? <Tag color="green">{t('common.yes')}</Tag> : t('common.no')) },
              { title: t('users.status'), dataIndex: 'isDisabled', render: (v: boolean) => (v ? <Tag color="red">{t('users.disabled')}</Tag> : <Tag color="green">{t('users.enabled')}</Tag>) },
              { title: t('users.created'), dataIndex: 'createdAt', render: (v: string) => format.dateTime(v) },
              ...(writer
                ? [
                    {
                      title: t('common.actions'),
                      key: 'actions',
                      render: (_: unknown, u: User) => (
                        <Space>
                          <Button size="small" onClick={() => open(u)}>
                            {t('users.edit')}
                          </Button>
                          {u.hasTotp && (
                            <Popconfirm title={t('users.resetTotpConfirm', { name: u.username })} onConfirm={() => m.resetTotp.mutate(u.username)}>
                              <Button size="small">{t('users.resetTotp')}</Button>
                            </Popconfirm>
                          )}
                        </Space>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        )}
      </QueryView>
      <Modal open={Boolean(editing)} title={editing === 'new' ? t('users.new') : t('users.editTitle', { name: editing?.username ?? '' })} onOk={() => form.submit()} onCancel={() => setEditing(undefined)} confirmLoading={m.create.isPending || m.update.isPending} okButtonProps={{ id: 'user-save' }} destroyOnHidden forceRender>
        <Form<UserForm> form={form} layout="vertical" onFinish={submit}>
          <Form.Item name="username" label={t('users.username')} rules={[{ required: true, whitespace: true, message: t('users.usernameRule') }]}>
            <Input disabled={editing !== 'new'} data-testid="user-username" />
          </Form.Item>
          <Form.Item name="displayName" label={t('users.displayName')}>
            <Input />
          </Form.Item>
          {editing === 'new' && (
            <Form.Item name="password" label={t('users.password')} rules={[{ required: true, min: 10, message: t('users.passwordRule') }]}>
              <Input.Password autoComplete="new-password" data-testid="user-password" />
            </Form.Item>
          )}
          <Form.Item name="roles" label={t('users.roles')} rules={[{ required: true, message: t('users.rolesRule') }]}>
            <Select mode="multiple" options={(roles.data?.roles ?? []).map((r) => ({ value: r.name, label: `${roleLabel(t, r.name)} (${r.name})` }))} data-testid="user-roles" />
          </Form.Item>
          <Form.Item name="scope" label={t('users.scope')} extra={t('users.scopeHint')} rules={[{ validator: (_, v: string) => (parseScope(v ?? '') ? Promise.resolve() : Promise.reject(new Error(t('users.scopeRule')))) }]}>
            <Input />
          </Form.Item>
          {editing !== 'new' && (
            <Form.Item name="isDisabled" label={t('users.disable')} valuePropName="checked">
              <Switch />
            </Form.Item>
          )}
        </Form>
        {error && <ApiErrorAlert error={error} />}
      </Modal>
    </Space>
  );
}

/** Roles: the built-in ones (fixed) and the brand's own, with their permissions; create, change and delete brand roles. */
export function RolesPanel() {
  const { t } = useTranslation();
  const writer = can(useMe().data, 'users:write');
  const roles = useRoles();
  const m = useRoleMutations();
  const [editing, setEditing] = useState<Role | 'new'>();
  const [form] = Form.useForm<{ name: string; label?: string; permissions: string[] }>();
  const open = (role: Role | 'new') => {
    setEditing(role);
    form.setFieldsValue(role === 'new' ? { name: '', label: '', permissions: [] } : { name: role.name, label: role.label, permissions: role.permissions });
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {writer && (
        <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')}>
          {t('roles.new')}
        </Button>
      )}
      {m.remove.error && <ApiErrorAlert error={m.remove.error} />}
      <QueryView query={roles}>
        {(data) => (
          <Table<Role>
            size="small"
            rowKey="name"
            pagination={false}
            dataSource={data.roles}
            data-testid="role-table"
            columns={[
              { title: t('roles.name'), dataIndex: 'name', render: (v: string, r) => <span>{roleLabel(t, v)} <code>{v}</code> {r.isBuiltIn && <Tag>{t('roles.builtIn')}</Tag>}</span> },
              { title: t('roles.label'), dataIndex: 'label' },
              { title: t('roles.permissions'), dataIndex: 'permissions', render: (p: string[]) => <Flex gap={4} wrap>{p.map((x) => <Tag key={x}>{x}</Tag>)}</Flex> },
              ...(writer
                ? [
                    {
                      title: t('common.actions'),
                      key: 'actions',
                      render: (_: unknown, r: Role) =>
                        r.isBuiltIn ? null : (
                          <Space>
                            <Button size="small" onClick={() => open(r)}>
                              {t('users.edit')}
                            </Button>
                            <Popconfirm title={t('roles.deleteConfirm', { name: r.name })} onConfirm={() => m.remove.mutate(r.name)}>
                              <Button size="small" danger>
                                {t('roles.delete')}
                              </Button>
                            </Popconfirm>
                          </Space>
                        ),
                    },
                  ]
                : []),
            ]}
          />
        )}
      </QueryView>
      <Modal open={Boolean(editing)} title={editing === 'new' ? t('roles.new') : t('roles.editTitle', { name: editing?.name ?? '' })} onOk={() => form.submit()} onCancel={() => setEditing(undefined)} confirmLoading={m.save.isPending} destroyOnHidden forceRender>
        <Form form={form} layout="vertical" onFinish={(v) => m.save.mutate({ name: v.name.trim(), label: v.label?.trim() || undefined, permissions: v.permissions }, { onSuccess: () => setEditing(undefined) })}>
          <Form.Item name="name" label={t('roles.name')} rules={[{ required: true, whitespace: true, message: t('roles.nameRule') }]}>
            <Input disabled={editing !== 'new'} />
          </Form.Item>
          <Form.Item name="label" label={t('roles.label')}>
            <Input />
          </Form.Item>
          <Form.Item name="permissions" label={t('roles.permissions')} rules={[{ required: true, message: t('roles.permissionsRule') }]}>
            <Select mode="multiple" options={(roles.data?.permissions ?? []).map((p) => ({ value: p.code, label: `${p.code} — ${p.description}` }))} />
          </Form.Item>
        </Form>
        {m.save.error && <ApiErrorAlert error={m.save.error} />}
      </Modal>
    </Space>
  );
}

/** The audit log, newest first, filtered by actor and action (a prefix ending in "."), and a check of its hash chain. */
export function AuditPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const [filter, setFilter] = useState<AuditFilter>({ limit: 100 });
  const audit = useAudit(filter);
  const verify = useAuditVerify();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Flex gap={8} wrap>
        <Input.Search allowClear placeholder={t('audit.actor')} style={{ width: 220 }} onSearch={(actor) => setFilter((f) => ({ ...f, actor: actor.trim() || undefined }))} />
        <Input.Search allowClear placeholder={t('audit.action')} style={{ width: 220 }} onSearch={(action) => setFilter((f) => ({ ...f, action: action.trim() || undefined }))} data-testid="audit-action" />
        <Button onClick={() => verify.mutate()} loading={verify.isPending} data-testid="audit-verify">
          {t('audit.verify')}
        </Button>
      </Flex>
      {verify.data && (verify.data.ok ? <Alert type="success" showIcon title={t('audit.ok', { rows: format.count(verify.data.rows), seq: verify.data.head.seq })} description={<code>{verify.data.head.hash}</code>} /> : <Alert type="error" showIcon title={t('audit.broken', { seq: verify.data.broken?.seq, problem: verify.data.broken?.problem })} />)}
      {verify.error && <ApiErrorAlert error={verify.error} />}
      <QueryView query={audit}>
        {(entries) => (
          <Table
            size="small"
            rowKey="seq"
            dataSource={entries}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            data-testid="audit-table"
            columns={[
              { title: '#', dataIndex: 'seq', width: 70 },
              { title: t('audit.at'), dataIndex: 'at', render: (v: string) => format.dateTime(v) },
              { title: t('audit.actor'), dataIndex: 'actor', render: (v: string) => <code>{v}</code> },
              { title: t('audit.action'), dataIndex: 'action', render: (v: string) => <Tag>{v}</Tag> },
              { title: t('audit.target'), dataIndex: 'target', render: (v: string | null) => v ?? '—' },
              { title: t('audit.details'), dataIndex: 'details', render: (v: Record<string, unknown>) => <Typography.Text style={{ fontSize: 12 }} ellipsis={{ tooltip: JSON.stringify(v) }}>{JSON.stringify(v)}</Typography.Text> },
            ]}
          />
        )}
      </QueryView>
    </Space>
  );
}
