import { PlusOutlined } from '@ant-design/icons';
import { Button, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useJourneyReports, useJourneys, type Journey } from '../../api/journeys.ts';
import { can, useMe } from '../../api/me.ts';
import { useFormat } from '../../components/FormatProvider.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { StatusTag } from './status.tsx';

/** 旅程: every journey with its status, version, entry and live counts from its report. */
export default function Journeys() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const me = useMe();
  const journeys = useJourneys();
  const ids = (journeys.data ?? []).filter((j) => j.publishedVersion !== null).map((j) => j.id);
  const reports = useJourneyReports(ids);
  const report = (id: string) => reports[ids.indexOf(id)]?.data;
  return (
    <>
      <PageHeader
        title={t('journeys.title')}
        subtitle={t('journeys.subtitle')}
        extra={
          can(me.data, 'journeys:write') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/journeys/new')} data-testid="journey-new">
              {t('journeys.new')}
            </Button>
          )
        }
      />
      <QueryView query={journeys}>
        {(list) => (
          <Table<Journey>
            data-testid="journey-table"
            rowKey="id"
            dataSource={list}
            pagination={false}
            locale={{ emptyText: t('journeys.empty') }}
            columns={[
              {
                title: t('journeys.column.name'),
                dataIndex: 'name',
                render: (v: string, j) => (
                  <span>
                    <Link to={`/journeys/${encodeURIComponent(j.id)}`}>{v}</Link> <Typography.Text type="secondary">{j.id}</Typography.Text>
                  </span>
                ),
              },
              { title: t('journeys.column.status'), dataIndex: 'status', render: (_, j) => <StatusTag status={j.status} /> },
              { title: t('journeys.column.version'), dataIndex: 'publishedVersion', render: (v: number | null, j) => <span>{v === null ? '—' : `v${v}`}{j.draft !== null && <Tag style={{ marginInlineStart: 8 }}>{t('journeys.hasDraft')}</Tag>}</span> },
              { title: t('journeys.column.entry'), render: (_, j) => (j.definition ? t(`journeys.entry.${j.definition.entry.kind}`) : '—') },
              { title: t('journeys.column.entered'), align: 'right', render: (_, j) => format.count(report(j.id)?.entered) },
              { title: t('journeys.column.active'), align: 'right', render: (_, j) => format.count(report(j.id)?.active) },
              {
                title: t('journeys.column.conversion'),
                align: 'right',
                render: (_, j) => {
                  const treated = report(j.id)?.arms.find((a) => a.arm === 'treated') ?? report(j.id)?.arms[0];
                  return treated ? format.percent(treated.conversionRate) : '—';
                },
              },
              { title: t('journeys.column.updated'), dataIndex: 'updatedAt', render: (v: string) => format.dateTime(v) },
            ]}
          />
        )}
      </QueryView>
    </>
  );
}
