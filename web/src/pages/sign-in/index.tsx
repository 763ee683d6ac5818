import { useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Input, Segmented, Space } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../../api/client.ts';
import { needsTotp, signIn } from '../../api/sign-in.ts';
import type { Language } from '../../components/format.ts';
import { setLanguage, useLanguage } from '../../i18n/index.ts';

interface Credentials {
  username: string;
  password: string;
  totp?: string;
}

/** Sign-in: user name and password, then the six-digit code when the user has a second factor; then back to where they were going. */
export default function SignIn() {
  const { t } = useTranslation();
  const { language } = useLanguage();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [params] = useSearchParams();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [totpStep, setTotpStep] = useState(false);
  const [form] = Form.useForm<Credentials>();
  const next = params.get('next') ?? '/';
  const submit = async (credentials: Credentials) => {
    setBusy(true);
    setError(undefined);
    try {
      const me = await signIn({ username: credentials.username, password: credentials.password, ...(credentials.totp ? { totp: credentials.totp } : {}) });
      client.clear();
      client.setQueryData(['me'], me);
      navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (e) {
      if (needsTotp(e)) {
        // The password was right; the second factor is asked for (or was wrong).
        if (totpStep) setError(t('signIn.totpInvalid'));
        setTotpStep(true);
      } else if (e instanceof ApiError && e.code === 'invalid_credentials') setError(t('signIn.invalid'));
      else if (e instanceof ApiError && (e.code === 'account_locked' || e.code === 'too_many_attempts' || e.code === 'rate_limited')) setError(t('signIn.locked'));
      else setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="siyu-sign-in">
      <Card style={{ width: 380 }} title={t('signIn.title')} extra={<Segmented<Language> size="small" value={language} options={[{ label: '中文', value: 'zh-CN' }, { label: 'EN', value: 'en' }]} onChange={setLanguage} />}>
        <Space direction="vertical" style={{ width: '100%' }}>
          {error && <Alert type="error" showIcon title={error} data-testid="sign-in-error" />}
          <Form<Credentials> form={form} layout="vertical" onFinish={submit}>
            <Form.Item name="username" label={t('signIn.username')} rules={[{ required: true, message: t('signIn.required') }]} hidden={totpStep}>
              <Input autoComplete="username" data-testid="sign-in-username" autoFocus />
            </Form.Item>
            <Form.Item name="password" label={t('signIn.password')} rules={[{ required: true, message: t('signIn.required') }]} hidden={totpStep}>
              <Input.Password autoComplete="current-password" data-testid="sign-in-password" />
            </Form.Item>
            {totpStep && (
              <Form.Item name="totp" label={t('signIn.totp')} extra={t('signIn.totpHint')} rules={[{ required: true, pattern: /^\d{6}$/, message: t('signIn.totpFormat') }]}>
                <Input autoComplete="one-time-code" inputMode="numeric" maxLength={6} data-testid="sign-in-totp" autoFocus />
              </Form.Item>
            )}
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="sign-in-submit">
              {t('signIn.submit')}
            </Button>
          </Form>
          {/* Plain text, not Typography: its chunk would add about 30 KB to the page people wait on first. */}
          <span className="siyu-hint">{t('signIn.hint')}</span>
        </Space>
      </Card>
    </div>
  );
}
