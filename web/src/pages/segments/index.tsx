import { DownloadOutlined, EditOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Drawer, Space, Table, Tag, Tooltip } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { segmentExportUrl, useRefreshSegment, useSegmentHistory, useSegments, type SavedSegment } from '../../api/segments.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { Chart } from '../../components/Chart.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { QueryView } from '../../components/QueryView.tsx';

/** 人群: saved segments with their size and schedule; membership over time in a drawer; export; the builder. */
export default function Segments() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const segments = useSegments();
  const refresh = useRefreshSegment();
  const [open, setOpen] = useState<string>();
  return (
    <>
      <PageHeader
        title={t('segments.title')}
        subtitle={t('segments.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/segments/new')} data-testid="segment-new">
            {t('segments.new')}
          </Button>
        }
      />
      {refresh.error && <ApiErrorAlert error={refresh.error} />}
      <QueryView query={segments}>
        {(data) => (
          <Table<SavedSegment>
            data-testid="segment-table"
            rowKey="name"
            dataSource={data.segments}
            pagination={false}
            locale={{ emptyText: t('segments.empty') }}
            columns={[
              { title: t('segments.column.name'), dataIndex: 'name', render: (v: string) => <a onClick={() => setOpen(v)}>{v}</a> },
              { title: t('segments.column.description'), dataIndex: 'description', render: (v: string | null) => v ?? '—' },
              { title: t('segments.column.members'), dataIndex: 'members', align: 'right', render: (v: number | null) => (v === null ? '—' : format.count(v)) },
              { title: t('segments.column.asOf'), dataIndex: 'asOf', render: (v: string | null) => format.day(v) },
              { title: t('segments.column.schedule'), dataIndex: 'refreshEvery', render: (v: string | null) => <Tag>{t(`segments.schedule.${v ?? 'off'}`)}</Tag> },
              {
                title: t('common.actions'),
                key: 'actions',
                render: (_, s) => (
                  <Space>
                    <Tooltip title={t('segments.edit')}>
                      <Button size="small" icon={<EditOutlined />} aria-label={t('segments.edit')} onClick={() => navigate(`/segments/${encodeURIComponent(s.name)}/edit`)} />
                    </Tooltip>
                    <Tooltip title={t('segments.refresh')}>
                      <Button size="small" icon={<ReloadOutlined />} aria-label={t('segments.refresh')} loading={refresh.isPending && refresh.variables === s.name} onClick={() => refresh.mutate(s.name)} data-testid="segment-refresh" />
                    </Tooltip>
                    <Tooltip title={t('segments.export')}>
                      <Button size="small" icon={<DownloadOutlined />} aria-label={t('segments.export')} href={segmentExportUrl(s.name)} download />
                    </Tooltip>
                  </Space>
                ),
              },
            ]}
          />
        )}
      </QueryView>
      <Drawer open={Boolean(open)} onClose={() => setOpen(undefined)} size="large" title={t('segments.historyTitle', { name: open })} destroyOnHidden>
        {open && <History name={open} />}
      </Drawer>
    </>
  );
}

function History({ name }: { name: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const history = useSegmentHistory(name);
  return (
    <QueryView query={history} isEmpty={(h) => h.refreshes.length === 0} empty={t('segments.noHistory')}>
      {(h) => (
        <Card size="small" title={t('segments.membership')}>
          <Chart
            testId="segment-history"
            option={{
              tooltip: { trigger: 'axis' },
              legend: { data: [t('segments.column.members'), t('segments.entered'), t('segments.exited')] },
              grid: { left: 56, right: 16, top: 40, bottom: 32 },
              xAxis: { type: 'category', data: h.refreshes.map((r) => format.day(r.asOf)) },
              yAxis: { type: 'value' },
              series: [
                { name: t('segments.column.members'), type: 'line', data: h.refreshes.map((r) => r.members) },
                { name: t('segments.entered'), type: 'bar', data: h.refreshes.map((r) => r.entered) },
                { name: t('segments.exited'), type: 'bar', data: h.refreshes.map((r) => -r.exited) },
              ],
            }}
          />
        </Card>
      )}
    </QueryView>
  );
}
