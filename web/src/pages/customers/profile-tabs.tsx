import { Card, Descriptions, Space, Table, Tag, Timeline, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useCustomerJourneys } from '../../api/journeys.ts';
import { useCustomerLoyalty } from '../../api/loyalty.ts';
import { useConsents } from '../../api/privacy.ts';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';

const CONSENT_COLOR: Record<string, string> = { granted: 'green', withdrawn: 'red', denied: 'red' };

/** The customer's passes through journeys, newest first, with each step's outcome (GET /v1/customers/:id/journeys). */
export function JourneysTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const journeys = useCustomerJourneys(id);
  return (
    <QueryView query={journeys} isEmpty={(j) => j.length === 0} empty={t('profile.noJourneys')}>
      {(list) => (
        <Space direction="vertical" style={{ width: '100%' }} data-testid="profile-journeys">
          {list.map((j) => (
            <Card
              key={`${j.journeyId}:${j.instanceId}`}
              size="small"
              title={
                <Space>
                  <Link to={`/journeys/${encodeURIComponent(j.journeyId)}`}>{j.journeyId}</Link>
                  <Tag>{t(`journeys.instance.${j.status}`, { defaultValue: j.status })}</Tag>
                  {j.isHoldout && <Tag color="purple">{t('journeys.holdout')}</Tag>}
                  {j.variant && <Tag color="blue">{t('journeys.variant', { variant: j.variant })}</Tag>}
                  {j.convertedAt && <Tag color="green">{t('journeys.converted')}</Tag>}
                </Space>
              }
              extra={<Typography.Text type="secondary">{t('journeys.version', { version: j.version })}</Typography.Text>}
            >
              <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
                {t('profile.journeyDates', { entered: format.dateTime(j.enteredAt), finished: format.dateTime(j.finishedAt) })}
                {j.exitReason ? ` · ${t('profile.exitReason', { reason: j.exitReason })}` : ''}
              </Typography.Paragraph>
              <Timeline
                items={j.steps.map((s) => ({
                  children: (
                    <span>
                      {format.dateTime(s.at)} · <code>{s.node}</code> ({t(`journeys.kind.${s.kind}`, { defaultValue: s.kind })}) → {t(`journeys.outcome.${s.outcome}`, { defaultValue: s.outcome })}
                    </span>
                  ),
                }))}
              />
            </Card>
          ))}
        </Space>
      )}
    </QueryView>
  );
}

/** Consent per purpose and the ledger behind it (GET /v1/customers/:id/consents; evidence withheld). */
export function ConsentsTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const consents = useConsents(id);
  return (
    <QueryView query={consents}>
      {(c) => (
        <Space direction="vertical" style={{ width: '100%' }} data-testid="profile-consents">
          <Table
            size="small"
            rowKey="purpose"
            pagination={false}
            dataSource={c.purposes}
            columns={[
              { title: t('profile.consent.purpose'), render: (_, p) => <span>{p.name} <Typography.Text type="secondary">({p.purpose})</Typography.Text></span> },
              { title: t('profile.consent.basis'), dataIndex: 'basis', render: (v: string) => t(`profile.consent.basisKind.${v}`, { defaultValue: v }) },
              { title: t('profile.consent.status'), dataIndex: 'status', render: (v: string | null) => (v ? <Tag color={CONSENT_COLOR[v]}>{t(`profile.consent.statusKind.${v}`, { defaultValue: v })}</Tag> : t('profile.consent.none')) },
              { title: t('profile.consent.allowed'), dataIndex: 'isAllowed', render: (v: boolean) => (v ? t('common.yes') : t('common.no')) },
              { title: t('profile.consent.source'), dataIndex: 'source', render: (v: string | null) => v ?? '—' },
              { title: t('profile.consent.effective'), dataIndex: 'effectiveAt', render: (v: string | null) => format.dateTime(v) },
            ]}
          />
          {c.history.length > 0 && (
            <Card size="small" title={t('profile.consent.history')}>
              <Timeline
                items={c.history.map((e) => ({
                  color: CONSENT_COLOR[e.status] ?? 'gray',
                  children: (
                    <span>
                      {format.dateTime(e.effectiveAt)} · {e.purpose} → {t(`profile.consent.statusKind.${e.status}`, { defaultValue: e.status })} · {e.source}
                      {e.recordedBy ? ` · ${e.recordedBy}` : ''}
                    </span>
                  ),
                }))}
              />
            </Card>
          )}
        </Space>
      )}
    </QueryView>
  );
}

const COUPON_COLOR: Record<string, string> = { claimed: 'blue', issued: 'blue', redeemed: 'green', expired: 'default', void: 'red' };

/** The customer's wallet (coupons), points balance and ledger, tier and stored value (GET /v1/customers/:id/loyalty). */
export function LoyaltyTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const loyalty = useCustomerLoyalty(id);
  return (
    <QueryView query={loyalty}>
      {(l) => (
        <Space direction="vertical" style={{ width: '100%' }} data-testid="profile-loyalty">
          <Descriptions size="small" bordered column={2}>
            <Descriptions.Item label={t('loyalty.customer.points')}>
              <span data-testid="profile-points">{format.count(l.points.balance)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('loyalty.customer.pendingActive')}>{t('loyalty.customer.pendingActiveText', { pending: format.count(l.points.pending), active: format.count(l.points.active) })}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.customer.tier')}>{l.tier.tier ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.customer.growth')}>{format.count(l.tier.growth)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.customer.storedValue')}>{t('loyalty.customer.storedValueText', { principal: format.money(l.storedValue.principalFen), bonus: format.money(l.storedValue.bonusFen) })}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.customer.expiring')}>{l.points.expiring.length ? t('loyalty.customer.expiringText', { points: format.count(l.points.expiring[0]!.points), at: format.dateTime(l.points.expiring[0]!.expiresAt) }) : '—'}</Descriptions.Item>
          </Descriptions>
          <Card size="small" title={t('loyalty.customer.wallet')}>
            <Table
              data-testid="profile-wallet"
              size="small"
              rowKey="code"
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              dataSource={l.wallet}
              locale={{ emptyText: t('loyalty.customer.noCoupons') }}
              columns={[
                { title: t('loyalty.customer.code'), dataIndex: 'code', render: (v: string) => <code>{v}</code> },
                { title: t('loyalty.customer.offer'), dataIndex: 'offerName' },
                { title: t('loyalty.customer.state'), dataIndex: 'state', render: (v: string) => <Tag color={COUPON_COLOR[v]}>{t(`loyalty.customer.couponState.${v}`, { defaultValue: v })}</Tag> },
                { title: t('loyalty.customer.expires'), dataIndex: 'expiresAt', render: (v: string | null) => format.dateTime(v) },
              ]}
            />
          </Card>
          <Card size="small" title={t('loyalty.customer.ledger')}>
            <Table
              data-testid="profile-ledger"
              size="small"
              rowKey="key"
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              dataSource={l.ledger}
              locale={{ emptyText: t('loyalty.customer.noEntries') }}
              columns={[
                { title: t('loyalty.customer.at'), dataIndex: 'at', render: (v: string) => format.dateTime(v) },
                { title: t('loyalty.customer.kind'), dataIndex: 'kind', render: (v: string) => t(`loyalty.customer.entryKind.${v}`, { defaultValue: v }) },
                { title: t('loyalty.customer.change'), dataIndex: 'points', align: 'right', render: (v: number) => (v > 0 ? `+${format.count(v)}` : format.count(v)) },
                { title: t('loyalty.customer.source'), render: (_, e) => e.reason ?? e.orderId ?? e.source },
              ]}
            />
          </Card>
          <Card size="small" title={t('loyalty.customer.storedValueLedger')}>
            <Table
              data-testid="profile-stored-value"
              size="small"
              rowKey="key"
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              dataSource={l.storedValue.entries}
              locale={{ emptyText: t('loyalty.customer.noEntries') }}
              columns={[
                { title: t('loyalty.customer.at'), dataIndex: 'at', render: (v: string) => format.dateTime(v) },
                { title: t('loyalty.customer.kind'), dataIndex: 'kind', render: (v: string) => t(`loyalty.customer.storedKind.${v}`, { defaultValue: v }) },
                { title: t('loyalty.customer.principal'), dataIndex: 'principalFen', align: 'right', render: (v: number) => format.money(v) },
                { title: t('loyalty.customer.bonus'), dataIndex: 'bonusFen', align: 'right', render: (v: number) => format.money(v) },
              ]}
            />
          </Card>
        </Space>
      )}
    </QueryView>
  );
}
