import { EditOutlined } from '@ant-design/icons';
import { Button, Card, Descriptions, Space, Table, Tag } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useTierReport, useTierSettings, type TierReport, type TierSettings } from '../../api/loyalty.ts';
import { can, useMe } from '../../api/me.ts';
import { useFormat } from '../../components/FormatProvider.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { TierEditor } from './tier-editor.tsx';

/** The member tier rules (thresholds, multipliers, benefits, keeping a tier), members per tier, and the last 90 days' moves; a writer edits the rules. */
export function TiersPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const settings = useTierSettings();
  const writer = can(useMe().data, 'loyalty:write');
  const [editing, setEditing] = useState(false);
  const period = useMemo(() => ({ from: new Date(Date.now() - 90 * 86_400_000).toISOString(), to: new Date().toISOString() }), []);
  const report = useTierReport(period.from, period.to);
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <QueryView query={settings}>
        {(s: TierSettings) => (
          <Card
            size="small"
            title={t('loyalty.tier.rules')}
            extra={
              writer && (
                <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(true)} data-testid="tier-edit">
                  {t('loyalty.tierEditor.edit')}
                </Button>
              )
            }
          >
            <Table
              data-testid="tier-rules"
              rowKey="name"
              size="small"
              pagination={false}
              dataSource={s.tiers}
              columns={[
                { title: t('loyalty.tier.name'), dataIndex: 'name' },
                { title: t('loyalty.tier.threshold'), dataIndex: 'threshold', align: 'right', render: (v: number) => format.count(v) },
                { title: t('loyalty.tier.multiplier'), dataIndex: 'pointsMultiplier', align: 'right', render: (v: number) => `×${format.decimal(v, 1)}` },
                { title: t('loyalty.tier.benefits'), dataIndex: 'benefits', render: (v: string[]) => (v.length ? v.map((b) => <Tag key={b}>{t(`loyalty.benefit.${b}`, { defaultValue: b })}</Tag>) : '—') },
              ]}
            />
            <Descriptions size="small" column={2} style={{ marginTop: 12 }}>
              <Descriptions.Item label={t('loyalty.tier.growthPerYuan')}>{format.decimal(s.growthPerYuan, 1)}</Descriptions.Item>
              <Descriptions.Item label={t('loyalty.tier.window')}>{t('loyalty.offer.days', { days: s.windowDays })}</Descriptions.Item>
              <Descriptions.Item label={t('loyalty.tier.keepShare')}>{format.percent(s.keepShare, 0)}</Descriptions.Item>
              <Descriptions.Item label={t('loyalty.tier.grace')}>{t('loyalty.offer.days', { days: s.graceDays })}</Descriptions.Item>
            </Descriptions>
            {editing && <TierEditor settings={s} report={report.data} onClose={() => setEditing(false)} />}
          </Card>
        )}
      </QueryView>
      <QueryView query={report}>{(r) => <Members report={r} />}</QueryView>
    </Space>
  );
}

function Members({ report }: { report: TierReport }) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card size="small" title={t('loyalty.tier.members')}>
        <Table
          data-testid="tier-members"
          rowKey="tier"
          size="small"
          pagination={false}
          dataSource={report.distribution}
          locale={{ emptyText: t('loyalty.tier.noMembers') }}
          columns={[
            { title: t('loyalty.tier.name'), dataIndex: 'tier' },
            { title: t('loyalty.tier.memberCount'), dataIndex: 'members', align: 'right', render: (v: number) => format.count(v) },
          ]}
        />
      </Card>
      <Card size="small" title={t('loyalty.tier.moves')}>
        <Table
          rowKey={(m) => `${m.from}>${m.to}:${m.reason}`}
          size="small"
          pagination={false}
          dataSource={report.migration}
          locale={{ emptyText: t('loyalty.tier.noMoves') }}
          columns={[
            { title: t('loyalty.tier.from'), dataIndex: 'from', render: (v: string) => (v === '(new)' ? t('loyalty.tier.new') : v) },
            { title: t('loyalty.tier.to'), dataIndex: 'to' },
            { title: t('loyalty.tier.reason'), dataIndex: 'reason', render: (v: string) => t(`loyalty.tier.reasonKind.${v}`, { defaultValue: v }) },
            { title: t('loyalty.tier.memberCount'), dataIndex: 'customers', align: 'right', render: (v: number) => format.count(v) },
          ]}
        />
      </Card>
    </Space>
  );
}
