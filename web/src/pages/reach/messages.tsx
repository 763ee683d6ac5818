import { Flex, Input, Select, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useChannels, useMessages, type LoggedMessage, type MessageFilters } from '../../api/channels.ts';
import { can, useMe } from '../../api/me.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { MESSAGE_STATES, Reason, StateTag } from './state.tsx';

const PAGE = 20;

/** The message log, newest first: filters by channel, state, customer and journey above; pages of 20 with the total. */
export function MessageLog() {
  const { t } = useTranslation();
  const format = useFormat();
  const me = useMe().data;
  const [filters, setFilters] = useState<MessageFilters>({});
  const [page, setPage] = useState(0);
  const messages = useMessages(filters, page, PAGE);
  const channels = useChannels();
  const filter = (patch: Partial<MessageFilters>) => {
    setFilters((f) => ({ ...f, ...patch }));
    setPage(0);
  };
  const text = (key: 'customer_id' | 'journey_id', placeholder: string) => (
    <Input.Search allowClear style={{ width: 200 }} placeholder={placeholder} onSearch={(v) => filter({ [key]: v.trim() || undefined })} data-testid={`message-filter-${key}`} />
  );
  return (
    <>
      <Flex gap={8} wrap style={{ marginBottom: 12 }}>
        <Select
          allowClear
          style={{ minWidth: 140 }}
          placeholder={t('reach.log.channel')}
          options={[...new Set([...(channels.data?.channels ?? []).map((c) => c.name), 'webhook'])].map((c) => ({ value: c, label: c }))}
          onChange={(v?: string) => filter({ channel: v })}
          data-testid="message-filter-channel"
        />
        <Select allowClear style={{ minWidth: 140 }} placeholder={t('reach.log.state')} options={MESSAGE_STATES.map((s) => ({ value: s, label: t(`reach.state.${s}`) }))} onChange={(v?: string) => filter({ state: v })} data-testid="message-filter-state" />
        {text('customer_id', t('reach.log.customer'))}
        {text('journey_id', t('reach.log.journey'))}
      </Flex>
      {messages.isError && <ApiErrorAlert error={messages.error} />}
      <Table<LoggedMessage>
        data-testid="message-table"
        rowKey="messageId"
        size="small"
        loading={messages.isPending || messages.isPlaceholderData}
        dataSource={messages.data?.messages ?? []}
        locale={{ emptyText: t('reach.log.empty') }}
        pagination={{ current: page + 1, pageSize: PAGE, total: messages.data?.total ?? 0, showSizeChanger: false, onChange: (p) => setPage(p - 1), showTotal: (total) => t('reach.log.total', { total: format.count(total) }) }}
        columns={[
          { title: t('reach.log.created'), dataIndex: 'createdAt', render: (v: string) => format.dateTime(v) },
          { title: t('reach.log.customer'), dataIndex: 'customerId', render: (v: string) => (can(me, 'customers:read') ? <Link to={`/customers/${encodeURIComponent(v)}`}>{v}</Link> : v) },
          { title: t('reach.log.channel'), dataIndex: 'channel', render: (v: string) => <code>{v}</code> },
          { title: t('reach.log.template'), dataIndex: 'template', render: (v: string | null) => v ?? '—' },
          { title: t('reach.log.journey'), render: (_, m) => (m.journeyId ? <Link to={`/journeys/${encodeURIComponent(m.journeyId)}`}>{m.journeyId}</Link> : <Typography.Text type="secondary">{m.messageId.startsWith('test:') ? t('reach.log.test') : '—'}</Typography.Text>) },
          { title: t('reach.log.state'), dataIndex: 'state', render: (v: string) => <StateTag state={v} /> },
          { title: t('reach.log.reason'), dataIndex: 'reason', render: (v: string | null) => (v ? <Reason reason={v} /> : '—') },
          { title: t('reach.log.cost'), dataIndex: 'costFen', align: 'right', render: (v: number | null) => format.money(v) },
        ]}
      />
    </>
  );
}
