import { Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { can, useMe } from '../../api/me.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { OffersPanel } from './offers.tsx';
import { ReportsPanel } from './reports.tsx';
import { TiersPanel } from './tiers.tsx';
import { TryCartPanel } from './try-cart.tsx';

/** 权益: offers with their budgets and code batches, a cart to try coupons on, the member tier rules, and the loyalty reports finance reads. */
export default function Loyalty() {
  const { t } = useTranslation();
  const me = useMe().data;
  const [params, setParams] = useSearchParams();
  const tabs = [
    { key: 'offers', permission: 'coupons:read', label: t('loyalty.tab.offers'), children: <OffersPanel /> },
    { key: 'try', permission: 'coupons:read', label: t('loyalty.tab.try'), children: <TryCartPanel /> },
    { key: 'tiers', permission: 'loyalty:read', label: t('loyalty.tab.tiers'), children: <TiersPanel /> },
    { key: 'reports', permission: 'loyalty:read', label: t('loyalty.tab.reports'), children: <ReportsPanel /> },
  ].filter((tab) => can(me, tab.permission));
  return (
    <>
      <PageHeader title={t('loyalty.title')} subtitle={t('loyalty.subtitle')} />
      <div data-testid="loyalty-page">
        <Tabs destroyOnHidden activeKey={params.get('tab') ?? tabs[0]?.key} onChange={(tab) => setParams({ tab }, { replace: true })} items={tabs.map(({ key, label, children }) => ({ key, label, children }))} />
      </div>
    </>
  );
}
