import { Button, DatePicker, Flex, Select, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLifecycle, useMigration, type MigrationQuery } from '../../api/layers.ts';
import { Chart } from '../../components/Chart.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { addDays } from '../../components/format.ts';
import { QueryView } from '../../components/QueryView.tsx';
import { RFM_CODES, STAGE_CODES, TIER_CODES } from '../customers/codes.ts';

const LAYERS = ['stage', 'rfm_class', 'tier'] as const;
const PREFIX: Record<(typeof LAYERS)[number], string> = { stage: 'codes.stage', rfm_class: 'codes.rfm', tier: 'codes.tier' };
const KNOWN: Record<(typeof LAYERS)[number], readonly string[]> = { stage: STAGE_CODES, rfm_class: RFM_CODES, tier: TIER_CODES };

/** How customers moved between two days, as a Sankey: each side's nodes carry their day. */
export function Migration() {
  const { t } = useTranslation();
  const format = useFormat();
  const lifecycle = useLifecycle();
  const latest = lifecycle.data?.lifecycle?.asOf;
  const [layer, setLayer] = useState<(typeof LAYERS)[number]>('stage');
  const [range, setRange] = useState<[Dayjs, Dayjs] | null>(null);
  const [query, setQuery] = useState<MigrationQuery>();
  const days = range ?? (latest ? [dayjs(addDays(latest, -30)), dayjs(latest)] : null);
  const migration = useMigration(query);
  const name = (code: string) => (code === '(none)' ? t('layers.migration.none') : KNOWN[layer].includes(code) ? t(`${PREFIX[layer]}.${code}`) : code);
  return (
    <>
      <Flex gap={8} wrap style={{ marginBottom: 16 }}>
        <Select value={layer} onChange={setLayer} style={{ width: 160 }} options={LAYERS.map((l) => ({ value: l, label: t(`layers.migration.layer.${l}`) }))} />
        <DatePicker.RangePicker value={days} onChange={(v) => setRange(v && v[0] && v[1] ? [v[0], v[1]] : null)} allowClear={false} />
        <Button type="primary" disabled={!days} onClick={() => days && setQuery({ layer, from: days[0].format('YYYY-MM-DD'), to: days[1].format('YYYY-MM-DD') })} data-testid="migration-show">
          {t('layers.migration.show')}
        </Button>
      </Flex>
      {!query ? (
        <Typography.Text type="secondary">{t('layers.migration.hint')}</Typography.Text>
      ) : (
        <QueryView query={migration} isEmpty={(m) => m.links.length === 0} empty={t('layers.migration.empty')}>
          {(m) => {
            const from = (code: string) => `${name(code)} · ${format.day(m.from)}`;
            const to = (code: string) => `${name(code)} · ${format.day(m.to)}`;
            const nodes = [...new Set([...m.links.map((l) => from(l.source)), ...m.links.map((l) => to(l.target))])].map((n) => ({ name: n }));
            return (
              <Chart
                testId="migration-sankey"
                height={480}
                option={{ tooltip: { trigger: 'item' }, series: [{ type: 'sankey', emphasis: { focus: 'adjacency' }, nodeGap: 10, data: nodes, links: m.links.map((l) => ({ source: from(l.source), target: to(l.target), value: l.customers })) }] }}
              />
            );
          }}
        </QueryView>
      )}
    </>
  );
}
