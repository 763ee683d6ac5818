import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Input, InputNumber, Radio, Select, Space, Switch, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { SegmentCatalogue } from '../../api/segments.ts';
import { useLanguage } from '../../i18n/index.ts';
import { conditionShape, LIST_OPS, newCondition, newGroup, NO_VALUE, type Condition, type ConditionKind, type Group, type Operator } from './definition.ts';

const KINDS: ConditionKind[] = ['field', 'attribute', 'tag', 'event', 'trait'];

/** One group of the builder: all or any of its rows, each a condition or a nested group. */
export function GroupEditor({ group, catalogue, onChange, onRemove, root }: { group: Group; catalogue?: SegmentCatalogue; onChange: (g: Group) => void; onRemove?: () => void; root?: boolean }) {
  const { t } = useTranslation();
  const set = (patch: Partial<Group>) => onChange({ ...group, ...patch });
  const replace = (i: number, child: Condition | Group | undefined) => set({ children: child ? group.children.map((c, j) => (j === i ? child : c)) : group.children.filter((_, j) => j !== i) });
  return (
    <Card size="small" type={root ? undefined : 'inner'} data-testid={root ? 'segment-root' : 'segment-group'}>
      <Flex justify="space-between" align="center" style={{ marginBottom: 8 }}>
        <Space>
          <Radio.Group size="small" value={group.mode} onChange={(e) => set({ mode: e.target.value })} optionType="button" options={[{ value: 'all', label: t('segments.builder.all') }, { value: 'any', label: t('segments.builder.any') }]} />
          <Switch size="small" checked={group.negate} onChange={(negate) => set({ negate })} /> <Typography.Text type="secondary">{t('segments.builder.not')}</Typography.Text>
        </Space>
        {onRemove && <Button size="small" icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('segments.builder.remove')} />}
      </Flex>
      <Space direction="vertical" style={{ width: '100%' }}>
        {group.children.map((child, i) =>
          child.kind === 'group' ? (
            <GroupEditor key={child.id} group={child} catalogue={catalogue} onChange={(g) => replace(i, g)} onRemove={() => replace(i, undefined)} />
          ) : (
            <ConditionEditor key={child.id} condition={child} catalogue={catalogue} onChange={(c) => replace(i, c)} onRemove={group.children.length > 1 ? () => replace(i, undefined) : undefined} />
          ),
        )}
        <Space>
          <Button size="small" icon={<PlusOutlined />} onClick={() => set({ children: [...group.children, newCondition('field')] })} data-testid="segment-add-condition">
            {t('segments.builder.addCondition')}
          </Button>
          {root && (
            <Button size="small" icon={<PlusOutlined />} onClick={() => set({ children: [...group.children, newGroup(group.mode === 'all' ? 'any' : 'all')] })}>
              {t('segments.builder.addGroup')}
            </Button>
          )}
        </Space>
      </Space>
    </Card>
  );
}

function ConditionEditor({ condition: c, catalogue, onChange, onRemove }: { condition: Condition; catalogue?: SegmentCatalogue; onChange: (c: Condition) => void; onRemove?: () => void }) {
  const { t } = useTranslation();
  const { label } = useLanguage();
  const set = (patch: Partial<Condition>) => onChange({ ...c, ...patch });
  const { field, type, ops } = conditionShape(c, catalogue);
  const names =
    c.kind === 'field'
      ? (catalogue?.fields ?? []).map((f) => ({ value: f.name, label: t(`segments.field.${f.name}`, { defaultValue: f.name }) }))
      : c.kind === 'attribute'
        ? (catalogue?.attributes ?? []).map((a) => ({ value: a.name, label: label(a) }))
        : c.kind === 'tag'
          ? (catalogue?.tags ?? []).map((x) => ({ value: x, label: x }))
          : c.kind === 'event'
            ? (catalogue?.events ?? []).map((e) => ({ value: e.name, label: e.name }))
            : [];
  const values = field?.values.map((v) => ({ value: v.value, label: label(v) })) ?? [];
  const valueInput = () => {
    if (NO_VALUE.includes(c.op)) return null;
    if (LIST_OPS.includes(c.op)) {
      // A field with known values (a stage, a tier) takes only those: typed text that is a label, not a value, would
      // count nobody. Free values are for fields without a list (a city), once the catalogue says so.
      const free = catalogue !== undefined && values.length === 0;
      return <Select mode={free ? 'tags' : 'multiple'} optionFilterProp="label" style={{ minWidth: 200 }} value={Array.isArray(c.value) ? c.value : []} options={values} onChange={(v: string[]) => set({ value: v })} data-testid="condition-values" placeholder={t('segments.builder.values')} />;
    }
    if (type === 'number' || c.kind === 'event') return <InputNumber value={typeof c.value === 'number' ? c.value : undefined} onChange={(v) => set({ value: v ?? undefined })} data-testid="condition-number" placeholder={t('segments.builder.value')} />;
    return values.length ? (
      <Select style={{ minWidth: 160 }} value={typeof c.value === 'string' ? c.value : undefined} options={values} onChange={(v: string) => set({ value: v })} placeholder={t('segments.builder.value')} />
    ) : (
      <Input style={{ width: 160 }} value={typeof c.value === 'string' ? c.value : ''} onChange={(e) => set({ value: e.target.value })} placeholder={t('segments.builder.value')} />
    );
  };
  return (
    <Flex gap={8} wrap align="center" data-testid="segment-condition">
      <Switch size="small" checked={c.negate} onChange={(negate) => set({ negate })} title={t('segments.builder.not')} />
      <Select style={{ width: 110 }} value={c.kind} onChange={(kind: ConditionKind) => onChange({ ...newCondition(kind), id: c.id })} options={KINDS.map((k) => ({ value: k, label: t(`segments.kind.${k}`) }))} data-testid="condition-kind" />
      {c.kind === 'trait' ? (
        <Input style={{ width: 160 }} value={c.name} onChange={(e) => set({ name: e.target.value })} placeholder={t('segments.builder.trait')} />
      ) : (
        <Select showSearch optionFilterProp="label" style={{ minWidth: 180 }} value={c.name || undefined} onChange={(name: string) => set({ name, value: c.kind === 'event' ? c.value : undefined })} options={names} placeholder={t('segments.builder.pick')} data-testid="condition-name" />
      )}
      {c.kind === 'event' && (
        <>
          <Select style={{ width: 110 }} value={c.aggregate} onChange={(aggregate: 'count' | 'sum') => set({ aggregate })} options={[{ value: 'count', label: t('segments.builder.count') }, { value: 'sum', label: t('segments.builder.sum') }]} />
          {c.aggregate === 'sum' && <Input style={{ width: 120 }} value={c.property} onChange={(e) => set({ property: e.target.value })} placeholder={t('segments.builder.property')} />}
          <InputNumber min={1} max={3650} value={c.withinDays} onChange={(v) => set({ withinDays: v ?? 30 })} addonAfter={t('segments.builder.days')} style={{ width: 130 }} />
        </>
      )}
      <Select style={{ width: 110 }} value={c.op} onChange={(op: Operator) => set({ op, value: LIST_OPS.includes(op) ? (Array.isArray(c.value) ? c.value : []) : Array.isArray(c.value) ? undefined : c.value })} options={ops.map((o) => ({ value: o, label: t(`segments.op.${o}`) }))} data-testid="condition-op" />
      {valueInput()}
      {onRemove && <Button size="small" icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('segments.builder.remove')} />}
    </Flex>
  );
}
