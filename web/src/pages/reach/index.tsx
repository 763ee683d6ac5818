import { Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { can, useMe } from '../../api/me.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { ChannelsPanel } from './channels.tsx';
import { MessageLog } from './messages.tsx';
import { DeliveryStats } from './stats.tsx';
import { TemplatesPanel } from './templates.tsx';

/** 触达: the configured channels with a test send, their templates previewed on a real customer, the message log and delivery statistics. */
export default function Reach() {
  const { t } = useTranslation();
  const me = useMe().data;
  const [params, setParams] = useSearchParams();
  const tabs = [
    { key: 'channels', permission: 'channels:read', label: t('reach.tab.channels'), children: <ChannelsPanel /> },
    { key: 'templates', permission: 'channels:read', label: t('reach.tab.templates'), children: <TemplatesPanel /> },
    { key: 'messages', permission: 'messages:read', label: t('reach.tab.messages'), children: <MessageLog /> },
    { key: 'stats', permission: 'messages:read', label: t('reach.tab.stats'), children: <DeliveryStats /> },
  ].filter((tab) => can(me, tab.permission));
  return (
    <>
      <PageHeader title={t('reach.title')} subtitle={t('reach.subtitle')} />
      <div data-testid="reach-page">
        <Tabs destroyOnHidden activeKey={params.get('tab') ?? tabs[0]?.key} onChange={(tab) => setParams({ tab }, { replace: true })} items={tabs.map(({ key, label, children }) => ({ key, label, children }))} />
      </div>
    </>
  );
}
