import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Flex, Input, Select, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ConditionInput } from '../segments/condition-input.tsx';
import { EXIT_KINDS, isReadableExits, NEW_EXIT, type ExitKind } from './forms.ts';
import { JsonInput } from '../../components/JsonInput.tsx';

type Json = Record<string, unknown>;

/**
 * The journey's exit criteria as a list: an event (with property filters) or a condition, which the condition editor
 * shows as the condition step's does. A list it cannot show whole stays JSON, saying so.
 */
export function ExitsInput({ value, onChange }: { value?: unknown; onChange?: (value: unknown) => void }) {
  const { t } = useTranslation();
  if (!isReadableExits(value)) {
    return (
      <>
        <Alert type="info" showIcon style={{ marginBottom: 8 }} title={t('journeyCanvas.exit.jsonOnly')} data-testid="exits-why" />
        <JsonInput value={value} onChange={onChange} rows={3} testId="exits-json" />
      </>
    );
  }
  const exits = value ?? [];
  const set = (next: Json[]) => onChange?.(next.length ? next : undefined);
  const update = (i: number, exit: Json) => set(exits.map((e, j) => (j === i ? exit : e)));
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="exits">
      {exits.map((exit, i) => (
        <Card key={i} size="small" data-testid={`exit-${i}`}>
          <Flex gap={8} align="center" style={{ marginBottom: 8 }}>
            <Select<ExitKind>
              size="small"
              style={{ width: 140 }}
              value={exit.kind as ExitKind}
              onChange={(kind) => update(i, NEW_EXIT[kind]())}
              options={EXIT_KINDS.map((k) => ({ value: k, label: t(`journeyCanvas.exit.${k}`) }))}
              data-testid={`exit-${i}-kind`}
            />
            <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => set(exits.filter((_, j) => j !== i))} aria-label={t('journeyCanvas.exit.remove')} />
          </Flex>
          {exit.kind === 'event' ? (
            <Space direction="vertical" style={{ width: '100%' }}>
              <Typography.Text type="secondary">{t('journeyCanvas.field.event')}</Typography.Text>
              <Input size="small" value={typeof exit.event === 'string' ? exit.event : ''} onChange={(e) => update(i, { ...exit, event: e.target.value })} data-testid={`exit-${i}-event`} />
              <Typography.Text type="secondary">{t('journeyCanvas.field.where')}</Typography.Text>
              <JsonInput
                rows={2}
                value={exit.where}
                onChange={(where) => {
                  const { where: _, ...rest } = exit;
                  update(i, where === undefined ? rest : { ...exit, where });
                }}
              />
            </Space>
          ) : (
            <ConditionInput value={exit.condition} onChange={(condition) => update(i, { ...exit, condition })} testId={`exit-${i}-condition`} />
          )}
        </Card>
      ))}
      <Button size="small" icon={<PlusOutlined />} onClick={() => set([...exits, NEW_EXIT.event()])} data-testid="exit-add">
        {t('journeyCanvas.exit.add')}
      </Button>
    </Space>
  );
}
