import { Alert, Button, Card, Descriptions, Flex, Form, Input, Skeleton, Space, Tag, Typography } from 'antd';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { useMe, useTotpEnrolment } from '../../api/me.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';

const TotpQr = lazy(() => import('./totp-qr.tsx'));

/** The signed-in user's own account: roles, permissions, data scope, and enrolling a second factor (TOTP). */
export default function Account() {
  const { t } = useTranslation();
  const me = useMe().data;
  const { begin, confirm } = useTotpEnrolment();
  if (!me) return null;
  return (
    <>
      <PageHeader title={t('account.title')} subtitle={t('account.subtitle')} />
      <Space direction="vertical" style={{ width: '100%' }} data-testid="account-page">
        {me.mustEnrolTotp && <Alert type="warning" showIcon title={t('account.mustEnrol')} />}
        <Card size="small">
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('account.name')}>{me.name}</Descriptions.Item>
            <Descriptions.Item label={t('account.roles')}>{me.roles.map((r) => <Tag key={r}>{t(`roleName.${r}`, { defaultValue: r })}</Tag>)}</Descriptions.Item>
            <Descriptions.Item label={t('account.dataScope')}>{me.dataScope}</Descriptions.Item>
            <Descriptions.Item label={t('account.permissions')}>{me.permissions.map((p) => <Tag key={p}>{p}</Tag>)}</Descriptions.Item>
          </Descriptions>
        </Card>
        {me.kind === 'user' && (
          <Card size="small" title={t('account.totp.title')}>
            {confirm.isSuccess ? (
              <Alert type="success" showIcon title={t('account.totp.enabled')} />
            ) : !begin.data ? (
              <Space direction="vertical">
                <Typography.Text type="secondary">{t('account.totp.explain')}</Typography.Text>
                <Button onClick={() => begin.mutate()} loading={begin.isPending} data-testid="totp-begin">
                  {t('account.totp.begin')}
                </Button>
              </Space>
            ) : (
              <Space direction="vertical" style={{ width: '100%' }}>
                <Typography.Text strong>{t('account.totp.step1')}</Typography.Text>
                <Flex gap={24} wrap align="flex-start">
                  <Suspense fallback={<Skeleton.Node active style={{ width: 200, height: 200 }} />}>
                    <TotpQr uri={begin.data.uri} />
                  </Suspense>
                  <Space direction="vertical" style={{ maxWidth: 420 }}>
                    <Typography.Text type="secondary">{t('account.totp.manual')}</Typography.Text>
                    <Typography.Text code copyable data-testid="totp-secret">
                      {begin.data.secret}
                    </Typography.Text>
                    <Typography.Text type="secondary">{t('account.totp.manualSettings')}</Typography.Text>
                    <Typography.Text code copyable={{ text: begin.data.uri }} style={{ wordBreak: 'break-all', fontSize: 12 }} data-testid="totp-uri">
                      {begin.data.uri}
                    </Typography.Text>
                  </Space>
                </Flex>
                <Typography.Text strong>{t('account.totp.step2')}</Typography.Text>
                <Form<{ code: string }> layout="inline" onFinish={({ code }) => confirm.mutate(code)}>
                  <Form.Item name="code" label={t('account.totp.code')} rules={[{ required: true, pattern: /^\d{6}$/, message: t('signIn.totpFormat') }]}>
                    <Input maxLength={6} inputMode="numeric" autoComplete="one-time-code" data-testid="totp-code" />
                  </Form.Item>
                  <Button type="primary" htmlType="submit" loading={confirm.isPending} data-testid="totp-confirm">
                    {t('account.totp.confirm')}
                  </Button>
                </Form>
              </Space>
            )}
            {(begin.error || confirm.error) && <ApiErrorAlert error={begin.error ?? confirm.error} />}
          </Card>
        )}
      </Space>
    </>
  );
}
