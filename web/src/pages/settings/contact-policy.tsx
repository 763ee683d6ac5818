import { Alert, Button, Card, Form, InputNumber, Space, Switch, Table, TimePicker, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { useContactPolicy, useContactPolicyMutation, type ContactPolicy } from '../../api/journeys.ts';
import { can, useMe } from '../../api/me.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { QueryView } from '../../components/QueryView.tsx';

const CHANNELS = ['sms', 'email', 'wecom', 'miniprogram'] as const;
const WINDOWS = ['day', 'week', 'month'] as const;

interface PolicyForm {
  caps: Record<string, { day?: number | null; week?: number | null; month?: number | null }>;
  quiet: boolean;
  quietStart?: Dayjs;
  quietEnd?: Dayjs;
  controlPercent: number;
  ttl: number;
}

/** The global contact policy every marketing message passes (docs/journeys.md): caps, quiet hours, the global control group, time to live. */
export function ContactPolicyPanel() {
  const policy = useContactPolicy();
  return <QueryView query={policy}>{(p) => <PolicyEditor policy={p} />}</QueryView>;
}

function PolicyEditor({ policy }: { policy: ContactPolicy }) {
  const { t } = useTranslation();
  const me = useMe().data;
  const writer = can(me, 'settings:write');
  const save = useContactPolicyMutation();
  const [form] = Form.useForm<PolicyForm>();
  const channels = [...new Set([...CHANNELS, ...Object.keys(policy.caps)])];
  const initial: PolicyForm = {
    caps: Object.fromEntries(channels.map((c) => [c, { ...policy.caps[c] }])),
    quiet: policy.quiet_hours !== null,
    quietStart: dayjs(`2000-01-01T${policy.quiet_hours?.start ?? '21:00'}`),
    quietEnd: dayjs(`2000-01-01T${policy.quiet_hours?.end ?? '08:00'}`),
    controlPercent: Math.round(policy.global_control_share * 1000) / 10,
    ttl: policy.message_ttl_hours,
  };
  const submit = (v: PolicyForm) => {
    const caps = Object.fromEntries(
      Object.entries(v.caps).map(([c, cap]) => [c, Object.fromEntries(WINDOWS.flatMap((w) => (cap?.[w] === null || cap?.[w] === undefined ? [] : [[w, cap[w]]])))]),
    );
    save.mutate({
      caps,
      quiet_hours: v.quiet && v.quietStart && v.quietEnd ? { start: v.quietStart.format('HH:mm'), end: v.quietEnd.format('HH:mm') } : null,
      global_control_share: v.controlPercent / 100,
      message_ttl_hours: v.ttl,
    });
  };
  return (
    <Card size="small" data-testid="contact-policy">
      <Typography.Paragraph type="secondary">{t('policy.explain')}</Typography.Paragraph>
      <Form<PolicyForm> form={form} initialValues={initial} onFinish={submit} disabled={!writer} layout="vertical">
        <Table
          size="small"
          rowKey={(c) => c}
          pagination={false}
          dataSource={channels}
          style={{ marginBottom: 16, maxWidth: 640 }}
          columns={[
            { title: t('policy.channel'), render: (_, c: string) => t(`journeys.channel.${c}`, { defaultValue: c }) },
            ...WINDOWS.map((w) => ({
              title: t(`policy.per.${w}`),
              key: w,
              render: (_: unknown, c: string) => (
                <Form.Item name={['caps', c, w]} noStyle>
                  <InputNumber min={0} max={1000} placeholder={t('policy.noCap')} style={{ width: 110 }} />
                </Form.Item>
              ),
            })),
          ]}
        />
        <Space size="large" wrap align="start">
          <Form.Item name="quiet" label={t('policy.quiet')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="quietStart" label={t('policy.quietStart')}>
            <TimePicker format="HH:mm" minuteStep={15} />
          </Form.Item>
          <Form.Item name="quietEnd" label={t('policy.quietEnd')}>
            <TimePicker format="HH:mm" minuteStep={15} />
          </Form.Item>
          <Form.Item name="controlPercent" label={t('policy.control')} tooltip={t('policy.controlHint')}>
            <InputNumber min={0} max={50} step={0.5} addonAfter="%" />
          </Form.Item>
          <Form.Item name="ttl" label={t('policy.ttl')} tooltip={t('policy.ttlHint')}>
            <InputNumber min={1} max={720} />
          </Form.Item>
        </Space>
        {writer && (
          <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="policy-save">
            {t('policy.save')}
          </Button>
        )}
      </Form>
      {save.isSuccess && <Alert type="success" showIcon title={t('policy.saved')} style={{ marginTop: 12 }} />}
      {save.error && <ApiErrorAlert error={save.error} />}
    </Card>
  );
}
