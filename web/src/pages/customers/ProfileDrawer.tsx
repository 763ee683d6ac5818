import { EyeOutlined } from '@ant-design/icons';
import { Button, Card, Descriptions, Drawer, Empty, Flex, Form, Input, List, Modal, Space, Table, Tabs, Tag, Timeline, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCustomer, useRecommendations, useRevealCustomer, useTagMutation, type CustomerProfile } from '../../api/customers.ts';
import { can, useMe } from '../../api/me.ts';
import { ConsentsTab, JourneysTab, LoyaltyTab } from './profile-tabs.tsx';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { Masked } from '../../components/Masked.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { useLanguage } from '../../i18n/index.ts';

/** The 360° profile of one customer in a drawer over the list (GET /v1/customers/:id). */
export function ProfileDrawer({ id, onClose }: { id: string | undefined; onClose: () => void }) {
  const { t } = useTranslation();
  const profile = useCustomer(id);
  return (
    <Drawer open={Boolean(id)} onClose={onClose} size="large" title={t('profile.title', { id })} destroyOnHidden data-testid="profile">
      <QueryView query={profile}>{(p) => <Profile key={p.customerId} profile={p} />}</QueryView>
    </Drawer>
  );
}

function Profile({ profile: p }: { profile: CustomerProfile }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { label } = useLanguage();
  const me = useMe();
  // The unmasked profile after a reveal with a reason (audited by the server); masked again when the drawer closes.
  const [revealed, setRevealed] = useState<CustomerProfile['profile']>();
  const person = revealed ?? p.profile;
  const layers = p.layers;
  return (
    <Tabs
      items={[
        {
          key: 'overview',
          label: t('profile.tab.overview'),
          children: (
            <Space direction="vertical" style={{ width: '100%' }} size="middle">
              <Descriptions
                size="small"
                bordered
                column={2}
                title={t('profile.section.profile')}
                extra={can(me.data, 'customers:read_pii') && !revealed ? <RevealButton id={p.customerId} onRevealed={setRevealed} /> : undefined}
              >
                <Descriptions.Item label={t('profile.field.name')}>
                  <Masked value={person.name} revealed={Boolean(revealed)} />
                </Descriptions.Item>
                <Descriptions.Item label={t('profile.field.phone')}>
                  <span data-testid="profile-phone">
                    <Masked value={person.phone} revealed={Boolean(revealed)} />
                  </span>
                </Descriptions.Item>
                <Descriptions.Item label={t('profile.field.email')}>
                  <Masked value={person.email} revealed={Boolean(revealed)} />
                </Descriptions.Item>
                <Descriptions.Item label={t('profile.field.gender')}>{p.profile.gender ? t(`codes.gender.${p.profile.gender}`, { defaultValue: p.profile.gender }) : '—'}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.city')}>{p.profile.city ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.channel')}>{p.profile.channel ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.registered')}>{format.dateTime(p.profile.registeredAt)}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.merged')}>{p.mergedFrom ?? '—'}</Descriptions.Item>
              </Descriptions>
              <Descriptions size="small" bordered column={2} title={t('profile.section.layers')}>
                <Descriptions.Item label={t('profile.field.stage')}>{layers.stage ? t(`codes.stage.${layers.stage.stage}`) : '—'}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.tier')}>{layers.tier ? t(`codes.tier.${layers.tier.tier}`) : '—'}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.rfm')}>{layers.rfm ? `${t(`codes.rfm.${layers.rfm.class}`)} (R${layers.rfm.r} F${layers.rfm.f} M${layers.rfm.m})` : '—'}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.cluster')}>{layers.cluster?.name ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.clv')}>{format.money(layers.clv?.clv12mFen)}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.pAlive')}>{format.percent(layers.clv?.pAlive)}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.expectedOrders')}>{format.decimal(layers.clv?.expectedOrders90d)}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.churnRisk')}>{format.percent(layers.churn?.risk)}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.pNoPurchase', { horizon: layers.churn?.horizonDays ?? 90 })}>{format.percent(layers.churn?.pNoPurchase)}</Descriptions.Item>
              </Descriptions>
              {layers.churn && layers.churn.reasons.length > 0 && (
                <Card size="small" title={t('profile.section.churnReasons')}>
                  <List size="small" dataSource={layers.churn.reasons} renderItem={(r) => <List.Item>{label(r)}</List.Item>} />
                </Card>
              )}
              <Descriptions size="small" bordered column={2} title={t('profile.section.orders')}>
                <Descriptions.Item label={t('profile.field.orders')}>{format.count(p.orders.count)}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.paid')}>{format.money(p.orders.paidFen, p.orders.currency ?? undefined)}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.firstOrder')}>{format.dateTime(p.orders.first)}</Descriptions.Item>
                <Descriptions.Item label={t('profile.field.lastOrder')}>{format.dateTime(p.orders.last)}</Descriptions.Item>
              </Descriptions>
              <Card size="small" title={t('profile.section.identities')}>
                <Flex gap={8} wrap>
                  {p.identities.map((i) => (
                    <Tag key={`${i.type}:${i.value}`}>
                      {i.type}: {i.value}
                    </Tag>
                  ))}
                </Flex>
              </Card>
              <Card size="small" title={t('profile.section.segments')}>
                {p.segments.length ? p.segments.map((s) => <Tag key={s.name}>{s.name}</Tag>) : <Typography.Text type="secondary">{t('profile.none')}</Typography.Text>}
              </Card>
            </Space>
          ),
        },
        {
          key: 'attributes',
          label: t('profile.tab.attributes'),
          children: (
            <Table
              size="small"
              rowKey="name"
              pagination={false}
              dataSource={p.attributes}
              locale={{ emptyText: t('profile.noAttributes') }}
              columns={[
                { title: t('profile.column.attribute'), render: (_, a) => <Tooltip title={a.name}>{label(a)}</Tooltip> },
                { title: t('profile.column.value'), dataIndex: 'value', render: (v: unknown) => (typeof v === 'number' ? format.decimal(v, Number.isInteger(v) ? 0 : 2) : v === null || v === undefined ? '—' : String(v)) },
              ]}
            />
          ),
        },
        { key: 'tags', label: t('profile.tab.tags'), children: <Tags profile={p} /> },
        { key: 'recommendations', label: t('profile.tab.recommendations'), children: <Recommendations id={p.customerId} /> },
        ...(can(me.data, 'journeys:read') ? [{ key: 'journeys', label: t('profile.tab.journeys'), children: <JourneysTab id={p.customerId} /> }] : []),
        ...(can(me.data, 'points:read') ? [{ key: 'loyalty', label: t('loyalty.customer.tab'), children: <LoyaltyTab id={p.customerId} /> }] : []),
        { key: 'consents', label: t('profile.tab.consents'), children: <ConsentsTab id={p.customerId} /> },
        {
          key: 'events',
          label: t('profile.tab.events'),
          children: p.recentEvents.length ? (
            <Timeline items={p.recentEvents.map((e) => ({ children: <span>{format.dateTime(e.ts)} · {e.name ?? e.type}</span> }))} />
          ) : (
            <Empty description={t('profile.noEvents')} />
          ),
        },
      ]}
    />
  );
}

/** Reveal personal data: asks why (at least 4 characters), which the server writes to the audit log with the reveal. */
function RevealButton({ id, onRevealed }: { id: string; onRevealed: (profile: CustomerProfile['profile']) => void }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();
  const reveal = useRevealCustomer(id);
  const submit = ({ reason }: { reason: string }) =>
    reveal.mutate(reason.trim(), {
      onSuccess: (profile) => {
        onRevealed(profile.profile);
        setOpen(false);
      },
    });
  return (
    <>
      <Button size="small" icon={<EyeOutlined />} onClick={() => setOpen(true)} data-testid="reveal">
        {t('profile.reveal.button')}
      </Button>
      <Modal open={open} title={t('profile.reveal.title')} okText={t('profile.reveal.ok')} onOk={() => form.submit()} onCancel={() => setOpen(false)} confirmLoading={reveal.isPending} okButtonProps={{ id: 'reveal-confirm' }} destroyOnHidden>
        <Typography.Paragraph type="secondary">{t('profile.reveal.explain')}</Typography.Paragraph>
        <Form form={form} layout="vertical" onFinish={submit}>
          <Form.Item name="reason" label={t('profile.reveal.reason')} rules={[{ required: true, whitespace: true, min: 4, message: t('profile.reveal.reasonRule') }]}>
            <Input.TextArea rows={2} maxLength={500} data-testid="reveal-reason" placeholder={t('profile.reveal.placeholder')} />
          </Form.Item>
        </Form>
        {reveal.error && <ApiErrorAlert error={reveal.error} />}
      </Modal>
    </>
  );
}

function Tags({ profile }: { profile: CustomerProfile }) {
  const { t } = useTranslation();
  const [tag, setTag] = useState('');
  const { add, remove } = useTagMutation(profile.customerId);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Flex gap={8} wrap>
        {profile.tags.length === 0 && <Typography.Text type="secondary">{t('profile.noTags')}</Typography.Text>}
        {profile.tags.map((tg) => (
          <Tag key={tg.tag} closable={tg.source === 'manual'} onClose={(e) => { e.preventDefault(); remove.mutate(tg.tag); }} data-testid={`tag-${tg.tag}`}>
            {tg.tag}
          </Tag>
        ))}
      </Flex>
      <Space.Compact>
        <Input value={tag} onChange={(e) => setTag(e.target.value)} placeholder={t('profile.tagPlaceholder')} data-testid="tag-input" onPressEnter={() => tag && add.mutate(tag, { onSuccess: () => setTag('') })} />
        <Button type="primary" loading={add.isPending} disabled={!tag} onClick={() => add.mutate(tag, { onSuccess: () => setTag('') })} data-testid="tag-add">
          {t('profile.addTag')}
        </Button>
      </Space.Compact>
      {(add.error || remove.error) && <ApiErrorAlert error={add.error ?? remove.error} />}
    </Space>
  );
}

function Recommendations({ id }: { id: string }) {
  const { t } = useTranslation();
  const { label } = useLanguage();
  const format = useFormat();
  const list = useRecommendations(id);
  return (
    <QueryView query={list} isEmpty={(l) => l.items.length === 0} empty={t('profile.noRecommendations')}>
      {(l) => (
        <Table
          size="small"
          rowKey="sku"
          pagination={false}
          dataSource={l.items}
          title={() => (l.personalized ? t('profile.personalized', { algorithm: l.algorithm ?? '' }) : t('profile.notPersonalized'))}
          columns={[
            { title: t('profile.column.item'), render: (_, i) => `${i.name ?? i.sku}` },
            { title: t('profile.column.category'), dataIndex: 'category', render: (v: string | null) => v ?? '—' },
            { title: t('profile.column.reason'), render: (_, i) => label(i.reason) },
            { title: t('profile.column.score'), dataIndex: 'score', align: 'right', render: (v: number) => format.decimal(v, 3) },
          ]}
        />
      )}
    </QueryView>
  );
}
