import { EditOutlined, PauseCircleOutlined, PlayCircleOutlined, PlusOutlined, StopOutlined } from '@ant-design/icons';
import { Button, Card, Descriptions, Drawer, Form, Input, InputNumber, Popconfirm, Progress, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { can, useMe } from '../../api/me.ts';
import { useCodeBatches, useCreateBatch, useOffer, useOfferMutations, useOffers, type CodeBatch, type Offer } from '../../api/loyalty.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { OfferEditor } from './offer-editor.tsx';
import { describeRule } from './rule.ts';

const STATUS_COLOR: Record<string, string> = { active: 'green', paused: 'gold', ended: 'default' };

/** Every offer with its rule and its budgets: used, and what remains; the detail opens in a drawer; a writer creates, edits, pauses, resumes and ends offers. */
export function OffersPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const offers = useOffers();
  const writer = can(useMe().data, 'coupons:write');
  const [open, setOpen] = useState<string>();
  const [editing, setEditing] = useState<Offer | 'new'>();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {writer && (
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="offer-new">
          {t('loyalty.editor.new')}
        </Button>
      )}
      <QueryView query={offers} isEmpty={(o) => o.length === 0} empty={t('loyalty.offer.empty')}>
        {(list) => (
          <Table<Offer>
            data-testid="offer-table"
            rowKey="id"
            size="small"
            pagination={false}
            dataSource={list}
            columns={[
              { title: t('loyalty.offer.name'), dataIndex: 'name', render: (v: string, o) => <span><Typography.Link onClick={() => setOpen(o.id)} data-testid={`offer-${o.id}`}>{v}</Typography.Link> <Typography.Text type="secondary">{o.id}</Typography.Text></span> },
              { title: t('loyalty.offer.campaign'), dataIndex: 'campaign', render: (v: string | null) => v ?? '—' },
              { title: t('loyalty.offer.rule'), render: (_, o) => describeRule(o.rule, t, format) },
              { title: t('loyalty.offer.status'), dataIndex: 'status', render: (v: string) => <Tag color={STATUS_COLOR[v]}>{t(`loyalty.status.${v}`)}</Tag> },
              { title: t('loyalty.offer.usedCount'), align: 'right', render: (_, o) => <Budget used={o.usedCount} budget={o.budgetCount} show={format.count} /> },
              { title: t('loyalty.offer.usedDiscount'), align: 'right', render: (_, o) => <Budget used={o.usedDiscountFen} budget={o.budgetDiscountFen} show={format.money} /> },
              { title: t('loyalty.offer.sharedCode'), dataIndex: 'sharedCode', render: (v: string | null) => (v ? <code>{v}</code> : '—') },
              ...(writer ? [{ title: t('common.actions'), key: 'actions', render: (_: unknown, o: Offer) => <OfferActions offer={o} onEdit={() => setEditing(o)} /> }] : []),
            ]}
          />
        )}
      </QueryView>
      <Drawer open={Boolean(open)} onClose={() => setOpen(undefined)} size="large" title={t('loyalty.offer.detail')} destroyOnHidden data-testid="offer-drawer">
        {open && <OfferDetail id={open} onEdit={setEditing} />}
      </Drawer>
      {editing && <OfferEditor offer={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} onSaved={() => setEditing(undefined)} />}
    </Space>
  );
}

/** Edit, and the status changes the API offers: pause and resume, and end (which voids the offer's open coupons). */
function OfferActions({ offer, onEdit }: { offer: Offer; onEdit: () => void }) {
  const { t } = useTranslation();
  const { setStatus } = useOfferMutations();
  const busy = setStatus.isPending && setStatus.variables?.id === offer.id;
  const run = (verb: 'pause' | 'resume' | 'end') => setStatus.mutate({ id: offer.id, verb });
  return (
    <Space size={4} wrap>
      {offer.status !== 'ended' && (
        <Button size="small" icon={<EditOutlined />} onClick={onEdit} data-testid={`offer-edit-${offer.id}`}>
          {t('loyalty.action.edit')}
        </Button>
      )}
      {offer.status === 'active' && (
        <Button size="small" icon={<PauseCircleOutlined />} loading={busy} onClick={() => run('pause')} data-testid={`offer-pause-${offer.id}`}>
          {t('loyalty.action.pause')}
        </Button>
      )}
      {offer.status === 'paused' && (
        <Button size="small" icon={<PlayCircleOutlined />} loading={busy} onClick={() => run('resume')} data-testid={`offer-resume-${offer.id}`}>
          {t('loyalty.action.resume')}
        </Button>
      )}
      {offer.status !== 'ended' && (
        <Popconfirm title={t('loyalty.action.endConfirm', { name: offer.name })} okText={t('loyalty.action.end')} cancelText={t('common.cancel')} okButtonProps={{ danger: true, id: `offer-end-confirm-${offer.id}` }} onConfirm={() => run('end')}>
          <Button size="small" danger icon={<StopOutlined />} data-testid={`offer-end-${offer.id}`}>
            {t('loyalty.action.end')}
          </Button>
        </Popconfirm>
      )}
      {setStatus.error && setStatus.variables?.id === offer.id && <ApiErrorAlert error={setStatus.error} />}
    </Space>
  );
}

/** Used against budget: the used figure, what remains, and a bar; "no budget" when the offer has none. */
function Budget({ used, budget, show }: { used: number; budget: number | null; show: (n: number) => string }) {
  const { t } = useTranslation();
  if (budget === null) return <span>{show(used)} <Typography.Text type="secondary">({t('loyalty.offer.noBudget')})</Typography.Text></span>;
  return (
    <div style={{ minWidth: 160 }}>
      <span>{t('loyalty.offer.usedOf', { used: show(used), budget: show(budget) })}</span>
      <Progress size="small" percent={Math.min(100, Math.round((used / budget) * 100))} showInfo={false} />
      <Typography.Text type="secondary">{t('loyalty.offer.remaining', { remaining: show(Math.max(0, budget - used)) })}</Typography.Text>
    </div>
  );
}

function OfferDetail({ id, onEdit }: { id: string; onEdit: (offer: Offer) => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const offer = useOffer(id);
  const me = useMe().data;
  return (
    <QueryView query={offer}>
      {(o) => (
        <Space direction="vertical" style={{ width: '100%' }} size="middle">
          <Descriptions size="small" bordered column={2} title={o.name} extra={can(me, 'coupons:write') && <OfferActions offer={o} onEdit={() => onEdit(o)} />}>
            <Descriptions.Item label={t('loyalty.offer.rule')} span={2}>{describeRule(o.rule, t, format)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.campaign')}>{o.campaign ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.status')}><Tag color={STATUS_COLOR[o.status]}>{t(`loyalty.status.${o.status}`)}</Tag></Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.minSpend')}>{format.money(o.minSpendFen)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.stacking')}>{o.isExclusive ? t('loyalty.offer.exclusive') : (o.stackGroup ?? t('loyalty.offer.alone'))}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.validFrom')}>{format.dateTime(o.validFrom)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.validTo')}>{format.dateTime(o.validTo)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.validDays')}>{o.validDays === null ? '—' : t('loyalty.offer.days', { days: o.validDays })}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.limits')}>{t('loyalty.offer.limitsText', { customer: o.perCustomerLimit ?? '∞', day: o.perDayLimit ?? '∞' })}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.usedCount')}><Budget used={o.usedCount} budget={o.budgetCount} show={format.count} /></Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.usedDiscount')}><Budget used={o.usedDiscountFen} budget={o.budgetDiscountFen} show={format.money} /></Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.sharedCode')}>{o.sharedCode ? <code>{o.sharedCode}</code> : '—'}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.offer.refundReturning')}>{o.isRefundReturning ? t('common.yes') : t('common.no')}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.editor.applies')} span={2}><Applies applies={o.applies} /></Descriptions.Item>
          </Descriptions>
          <Batches id={o.id} canWrite={can(me, 'coupons:write') && o.status !== 'ended'} />
        </Space>
      )}
    </QueryView>
  );
}

/** Where an offer applies, list by list; "any" when nothing limits it. */
function Applies({ applies }: { applies: Offer['applies'] }) {
  const { t } = useTranslation();
  const lists = (Object.entries(applies) as [keyof Offer['applies'], string[]][]).filter(([, values]) => values.length > 0);
  if (lists.length === 0) return <>{t('loyalty.editor.anyWhere')}</>;
  return (
    <Space direction="vertical" size={2}>
      {lists.map(([list, values]) => (
        <span key={list}>
          {t(`loyalty.applies.${list}`)}: {values.map((v) => <Tag key={v} color={list.startsWith('exclude') ? 'red' : undefined}>{v}</Tag>)}
        </span>
      ))}
    </Space>
  );
}

/** The offer's code batches, and a form to generate one (single-use codes with a check character). */
function Batches({ id, canWrite }: { id: string; canWrite: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const batches = useCodeBatches(id);
  const create = useCreateBatch(id);
  return (
    <Card size="small" title={t('loyalty.batch.title')}>
      {canWrite && (
        <Form layout="inline" style={{ marginBottom: 12 }} initialValues={{ count: 100 }} onFinish={(v: { count: number; prefix?: string }) => create.mutate({ count: v.count, ...(v.prefix ? { prefix: v.prefix.toUpperCase() } : {}) })}>
          <Form.Item name="count" label={t('loyalty.batch.count')} rules={[{ required: true }]}>
            <InputNumber min={1} max={1_000_000} data-testid="batch-count" />
          </Form.Item>
          <Form.Item name="prefix" label={t('loyalty.batch.prefix')}>
            <Input maxLength={10} style={{ width: 120 }} data-testid="batch-prefix" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="batch-create">
            {t('loyalty.batch.create')}
          </Button>
        </Form>
      )}
      {create.error && <ApiErrorAlert error={create.error} />}
      {create.data && (
        <Typography.Paragraph data-testid="batch-created">
          {t('loyalty.batch.created', { batch: create.data.batchId, count: create.data.codes.length, total: format.count(create.data.codes.length) })}{' '}
          <Typography.Text code copyable={{ text: create.data.codes.join('\n') }}>{create.data.codes.slice(0, 3).join(' ')}{create.data.codes.length > 3 ? ' …' : ''}</Typography.Text>
        </Typography.Paragraph>
      )}
      <QueryView query={batches} isEmpty={(b) => b.length === 0} empty={t('loyalty.batch.empty')}>
        {(list) => (
          <Table<CodeBatch>
            data-testid="batch-table"
            rowKey="batchId"
            size="small"
            pagination={false}
            dataSource={list}
            columns={[
              { title: t('loyalty.batch.id'), dataIndex: 'batchId', render: (v: string) => <code>{v}</code> },
              { title: t('loyalty.batch.source'), dataIndex: 'source', render: (v: string | null) => t(`loyalty.batch.sourceKind.${v ?? 'batch'}`, { defaultValue: v ?? '—' }) },
              ...(['codes', 'claimed', 'redeemed', 'expired', 'voided'] as const).map((k) => ({ title: t(`loyalty.batch.${k}`), dataIndex: k, align: 'right' as const, render: (v: number) => format.count(v) })),
              { title: t('loyalty.batch.issuedAt'), dataIndex: 'issuedAt', render: (v: string) => format.dateTime(v) },
            ]}
          />
        )}
      </QueryView>
    </Card>
  );
}
