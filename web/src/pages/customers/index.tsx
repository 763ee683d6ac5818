import { Button, Card, Flex, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { useCustomerFilterValues, useCustomerPage, type CustomerFilters } from '../../api/customers.ts';
import { can, useMe } from '../../api/me.ts';
import { useSegments } from '../../api/segments.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { Masked } from '../../components/Masked.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { ProfileDrawer } from './ProfileDrawer.tsx';
import { RFM_CODES, STAGE_CODES, TIER_CODES } from './codes.ts';

const PAGE = 20;

/** The customer list: search by id or phone, filters above, keyset pages by customer id, the profile in a drawer. */
export default function Customers() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const { id } = useParams();
  const [filters, setFilters] = useState<CustomerFilters>({});
  // Keyset pagination: the `after` cursor of every page so far, so Previous goes back exactly.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const after = cursors.at(-1);
  const page = useCustomerPage(filters, after, PAGE);
  const values = useCustomerFilterValues();
  const me = useMe().data;
  const segments = useSegments(can(me, 'segments:read'));
  const filter = (patch: Partial<CustomerFilters>) => {
    setFilters((f) => ({ ...f, ...patch }));
    setCursors([undefined]);
  };
  const options = (codes: readonly string[], prefix: string) => codes.map((c) => ({ value: c, label: t(`${prefix}.${c}`) }));
  const counted = (list: { value: string; customers: number }[] | undefined) => (list ?? []).map((v) => ({ value: v.value, label: `${v.value} (${format.countCompact(v.customers)})` }));
  const select = (key: keyof CustomerFilters, placeholder: string, opts: { value: string; label: string }[]) => (
    <Select allowClear showSearch optionFilterProp="label" style={{ minWidth: 150 }} placeholder={placeholder} value={filters[key]} options={opts} onChange={(v?: string) => filter({ [key]: v })} data-testid={`filter-${key}`} />
  );
  const total = cursors.length === 1 ? page.data?.total : undefined;
  return (
    <>
      <PageHeader title={t('customers.title')} subtitle={total !== undefined && total !== null ? t('customers.matching', { count: total, formatted: format.count(total) }) : t('customers.subtitle')} />
      <Card size="small" style={{ marginBottom: 16 }}>
        <Flex gap={8} wrap>
          <Input.Search allowClear placeholder={t('customers.search')} style={{ width: 280 }} onSearch={(q) => filter({ q: q.trim() || undefined })} data-testid="customer-search" />
          {can(me, 'segments:read') && select('segment', t('customers.filter.segment'), (segments.data?.segments ?? []).map((s) => ({ value: s.name, label: s.name })))}
          {select('stage', t('customers.filter.stage'), options(STAGE_CODES, 'codes.stage'))}
          {select('tier', t('customers.filter.tier'), options(TIER_CODES, 'codes.tier'))}
          {select('rfm_class', t('customers.filter.rfm'), options(RFM_CODES, 'codes.rfm'))}
          {select('tag', t('customers.filter.tag'), counted(values.data?.tags))}
          {select('city', t('customers.filter.city'), counted(values.data?.cities))}
          {select('channel', t('customers.filter.channel'), counted(values.data?.channels))}
        </Flex>
      </Card>
      {page.isError ? (
        <ApiErrorAlert error={page.error} />
      ) : (
        <Table
          data-testid="customer-table"
          rowKey="customerId"
          size="middle"
          loading={page.isFetching}
          dataSource={page.data?.customers ?? []}
          pagination={false}
          locale={{ emptyText: t('customers.empty') }}
          onRow={(row) => ({ onClick: () => navigate(`/customers/${encodeURIComponent(row.customerId)}`), style: { cursor: 'pointer' } })}
          columns={[
            { title: t('customers.column.id'), dataIndex: 'customerId', render: (v: string) => <Typography.Link>{v}</Typography.Link> },
            { title: t('customers.column.name'), dataIndex: 'name', render: (v: string | null) => <Masked value={v} /> },
            { title: t('customers.column.phone'), dataIndex: 'phone', render: (v: string | null) => <Masked value={v} /> },
            { title: t('customers.column.city'), dataIndex: 'city', render: (v: string | null) => v ?? '—' },
            { title: t('customers.column.stage'), dataIndex: 'stage', render: (v: string | null) => (v ? <Tag>{t(`codes.stage.${v}`)}</Tag> : '—') },
            { title: t('customers.column.tier'), dataIndex: 'tier', render: (v: string | null) => (v ? t(`codes.tier.${v}`) : '—') },
            { title: t('customers.column.rfm'), dataIndex: 'rfmClass', render: (v: string | null) => (v ? t(`codes.rfm.${v}`) : '—') },
            { title: t('customers.column.clv'), dataIndex: 'clv12mFen', align: 'right', render: (v: number | null) => format.money(v) },
            { title: t('customers.column.churn'), dataIndex: 'churnRisk', align: 'right', render: (v: number | null) => format.percent(v) },
          ]}
        />
      )}
      <Space style={{ marginTop: 16 }}>
        <Button disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))} data-testid="page-previous">
          {t('common.previous')}
        </Button>
        <Button disabled={!page.data?.next} onClick={() => page.data?.next && setCursors((c) => [...c, page.data!.next!])} data-testid="page-next">
          {t('common.next')}
        </Button>
        <Typography.Text type="secondary">{t('common.page', { page: cursors.length })}</Typography.Text>
      </Space>
      <ProfileDrawer id={id} onClose={() => navigate('/customers')} />
    </>
  );
}
