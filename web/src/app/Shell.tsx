import { ApartmentOutlined, BarChartOutlined, BranchesOutlined, BulbOutlined, DashboardOutlined, DatabaseOutlined, DownOutlined, GiftOutlined, LikeOutlined, LogoutOutlined, SafetyOutlined, SendOutlined, SettingOutlined, TeamOutlined, UserOutlined, UsergroupAddOutlined } from '@ant-design/icons';
import { Button, Dropdown, Layout, Menu, Result, Segmented, Space, Spin, Tag, Tooltip } from 'antd';
import { Suspense, useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { signInPath } from '../api/auth.ts';
import { can, useMe, useSignOut, type Me } from '../api/me.ts';
import { ApiErrorAlert } from '../components/ApiErrorAlert.tsx';
import { FormatProvider, useFormat } from '../components/FormatProvider.tsx';
import type { Language } from '../components/format.ts';
import { setLanguage, useLanguage } from '../i18n/index.ts';
import { AREA_PERMISSIONS, AREAS, type Area } from './router.tsx';

const ICONS: Record<Area, ReactNode> = {
  overview: <DashboardOutlined />,
  analytics: <BarChartOutlined />,
  customers: <TeamOutlined />,
  layers: <ApartmentOutlined />,
  segments: <UsergroupAddOutlined />,
  journeys: <BranchesOutlined />,
  reach: <SendOutlined />,
  loyalty: <GiftOutlined />,
  predict: <BulbOutlined />,
  recommend: <LikeOutlined />,
  data: <DatabaseOutlined />,
  settings: <SettingOutlined />,
};

/** Whether the signed-in user may open an area: any one of its permissions. */
export const mayOpen = (me: Me | undefined, area: Area) => AREA_PERMISSIONS[area].length === 0 || AREA_PERMISSIONS[area].some((p) => can(me, p));

/** The console's frame: who is signed in, a side menu of the areas they may open, the brand timezone and the language switch. */
export default function Shell() {
  const me = useMe();
  if (me.isPending) return <Spin fullscreen />;
  // A 401 is on its way to the sign-in page (api/auth.ts); anything else is shown.
  if (me.isError) return <div className="siyu-content"><ApiErrorAlert error={me.error} /></div>;
  return (
    <FormatProvider enabled={can(me.data, 'settings:read') && !me.data.mustEnrolTotp}>
      <Frame me={me.data} />
    </FormatProvider>
  );
}

function Frame({ me }: { me: Me }) {
  const { t } = useTranslation();
  const { language } = useLanguage();
  const format = useFormat();
  const location = useLocation();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const area = (AREAS.find((a) => a !== 'overview' && location.pathname.startsWith(`/${a}`)) ?? 'overview') as Area;
  const areas = AREAS.filter((a) => mayOpen(me, a));
  useEffect(() => {
    if (signOut.isSuccess) navigate(signInPath('/'), { replace: true });
  }, [signOut.isSuccess, navigate]);
  // An admin who must enrol a second factor can reach only their account page until they do.
  if (me.mustEnrolTotp && location.pathname !== '/account') return <Navigate to="/account" replace />;
  // The overview is the home page; a user who may not see it starts at their first area.
  if (location.pathname === '/' && !mayOpen(me, 'overview') && areas[0]) return <Navigate to={`/${areas[0]}`} replace />;
  const allowed = location.pathname === '/account' || mayOpen(me, area);
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={64} width={200}>
        <div className="siyu-brand">{t('app.name')}</div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[area]}
          items={areas.map((a) => ({ key: a, icon: ICONS[a], label: t(`nav.${a}`), 'data-testid': `nav-${a}` }))}
          onClick={({ key }) => navigate(key === 'overview' ? '/' : `/${key}`)}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', padding: '0 24px', display: 'flex', justifyContent: 'flex-end', alignItems: 'center' }}>
          <Space>
            <Tooltip title={t('app.timezoneHint')}>
              <Tag>{format.timezone}</Tag>
            </Tooltip>
            <Segmented<Language>
              data-testid="language"
              value={language}
              options={[
                { label: '中文', value: 'zh-CN' },
                { label: 'EN', value: 'en' },
              ]}
              onChange={(value) => setLanguage(value)}
            />
            <Dropdown
              trigger={['click']}
              menu={{
                items: [
                  { key: 'roles', disabled: true, label: t('account.rolesLine', { roles: me.roles.map((r) => t(`roleName.${r}`, { defaultValue: r })).join(t('common.listSeparator')) }) },
                  { key: 'scope', disabled: true, label: t('account.scopeLine', { scope: me.dataScope }) },
                  { type: 'divider' },
                  { key: 'account', icon: <SafetyOutlined />, label: t('account.title'), onClick: () => navigate('/account') },
                  { key: 'sign-out', icon: <LogoutOutlined />, label: <span data-testid="sign-out">{t('account.signOut')}</span>, onClick: () => signOut.mutate() },
                ],
              }}
            >
              <Button type="text" icon={<UserOutlined />} data-testid="current-user">
                <span>{me.name}</span>
                <Tag color="blue" style={{ marginInlineStart: 4 }}>
                  {me.roles.map((r) => t(`roleName.${r}`, { defaultValue: r })).join(t('common.listSeparator'))}
                </Tag>
                <DownOutlined />
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content className="siyu-content">
          <Suspense fallback={<Spin />}>{allowed ? <Outlet /> : <Result status="403" title={t('account.forbidden')} subTitle={t('account.forbiddenText', { permissions: AREA_PERMISSIONS[area].join(t('common.orSeparator')) })} data-testid="forbidden" />}</Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
