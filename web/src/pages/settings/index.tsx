import { Card, Descriptions, Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { can, useMe } from '../../api/me.ts';
import { useBrandSettings } from '../../api/settings.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { AuditPanel, RolesPanel, UsersPanel } from './access.tsx';
import { ContactPolicyPanel } from './contact-policy.tsx';
import { PrivacyPanel } from './privacy.tsx';

/** 设置: the brand, the contact policy, users and roles, the audit log and privacy requests, each shown to those who may see it. */
export default function Settings() {
  const { t } = useTranslation();
  const me = useMe().data;
  const [params, setParams] = useSearchParams();
  const tabs = [
    { key: 'brand', permission: 'settings:read', label: t('settings.brand'), children: <Brand /> },
    { key: 'policy', permission: 'settings:read', label: t('settings.tab.policy'), children: <ContactPolicyPanel /> },
    { key: 'users', permission: 'users:read', label: t('settings.tab.users'), children: <UsersPanel /> },
    { key: 'roles', permission: 'users:read', label: t('settings.tab.roles'), children: <RolesPanel /> },
    { key: 'audit', permission: 'audit:read', label: t('settings.tab.audit'), children: <AuditPanel /> },
    { key: 'privacy', permission: 'privacy:read', label: t('settings.tab.privacy'), children: <PrivacyPanel /> },
  ].filter((tab) => can(me, tab.permission));
  return (
    <>
      <PageHeader title={t('settings.title')} subtitle={t('settings.subtitle')} />
      <div data-testid="settings-page">
        <Tabs destroyOnHidden activeKey={params.get('tab') ?? tabs[0]?.key} onChange={(tab) => setParams({ tab }, { replace: true })} items={tabs.map(({ key, label, children }) => ({ key, label, children }))} />
      </div>
    </>
  );
}

function Brand() {
  const { t } = useTranslation();
  const settings = useBrandSettings();
  return (
    <Card size="small">
      <QueryView query={settings}>
        {(s) => (
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('settings.timezone')}>{s.timezone}</Descriptions.Item>
            <Descriptions.Item label={t('settings.currency')}>{s.currency}</Descriptions.Item>
            <Descriptions.Item label={t('settings.version')}>{s.version}</Descriptions.Item>
          </Descriptions>
        )}
      </QueryView>
    </Card>
  );
}
