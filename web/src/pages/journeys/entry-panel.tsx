import { Divider, Form, Input, InputNumber, Select, Switch } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { updateSettings } from './edits.ts';
import { ExitsInput } from './exits-input.tsx';
import { ENTRY_KINDS, entryFormValues, REENTRY_KINDS, settingsFromForm } from './forms.ts';
import { JsonInput } from '../../components/JsonInput.tsx';
import type { Problem } from './problems.ts';
import { ProblemList } from './problem-list.tsx';

type Json = Record<string, unknown>;

/** The entry card's panel: how customers enter and may enter again, the holdout, the priority, the goal and the exits. */
export function EntryPanel({ definition, problems, onChange }: { definition: Json; problems: Problem[]; onChange: (definition: Json) => void }) {
  const { t } = useTranslation();
  const f = (key: string) => t(`journeyCanvas.field.${key}`);
  const [version, setVersion] = useState(0);
  const settingsJson = JSON.stringify(entryFormValues(definition));
  const mine = useRef(settingsJson);
  useEffect(() => {
    if (settingsJson !== mine.current) {
      mine.current = settingsJson;
      setVersion((v) => v + 1);
    }
  }, [settingsJson]);
  return (
    <div data-testid="entry-panel">
      <ProblemList problems={problems} />
      <Form
        key={version}
        layout="vertical"
        size="small"
        initialValues={entryFormValues(definition)}
        onValuesChange={(_, values: Json) => {
          const next = updateSettings(definition, settingsFromForm(values, definition));
          mine.current = JSON.stringify(entryFormValues(next));
          onChange(next);
        }}
      >
        <Form.Item name={['entry', 'kind']} label={f('entryKind')}>
          <Select options={ENTRY_KINDS.map((k) => ({ value: k, label: t(`journeys.entry.${k}`) }))} data-testid="entry-kind" />
        </Form.Item>
        <Form.Item noStyle shouldUpdate>
          {({ getFieldValue }) => {
            const kind = getFieldValue(['entry', 'kind']) as string;
            return (
              <>
                {kind === 'event' && (
                  <>
                    <Form.Item name={['entry', 'event']} label={f('event')}>
                      <Input data-testid="entry-event" />
                    </Form.Item>
                    <Form.Item name={['entry', 'where']} label={f('where')} extra={f('whereHint')}>
                      <JsonInput rows={2} />
                    </Form.Item>
                  </>
                )}
                {(kind === 'segment' || kind === 'broadcast') && (
                  <Form.Item name={['entry', 'segment']} label={f('segment')}>
                    <Input />
                  </Form.Item>
                )}
                {kind === 'broadcast' && (
                  <>
                    <Form.Item name={['entry', 'at']} label={f('at')} extra={f('atHint')}>
                      <Input />
                    </Form.Item>
                    <Form.Item name={['entry', 'cron']} label={f('cron')} extra={f('cronHint')}>
                      <Input />
                    </Form.Item>
                  </>
                )}
                <Form.Item name={['reentry', 'kind']} label={f('reentry')}>
                  <Select options={REENTRY_KINDS.map((k) => ({ value: k, label: t(`journeyCanvas.reentry.${k}`) }))} />
                </Form.Item>
                {getFieldValue(['reentry', 'kind']) === 'after_days' && (
                  <Form.Item name={['reentry', 'days']} label={f('reentryDays')}>
                    <InputNumber min={1} max={3650} />
                  </Form.Item>
                )}
                <Form.Item name="holdoutPercent" label={f('holdout')} extra={f('holdoutHint')}>
                  <InputNumber min={0} max={50} step={1} suffix="%" data-testid="entry-holdout" />
                </Form.Item>
                <Form.Item name="priority" label={f('priority')} extra={f('priorityHint')}>
                  <InputNumber min={0} max={100} />
                </Form.Item>
                <Divider size="small" />
                <Form.Item name="hasGoal" label={f('goal')} valuePropName="checked">
                  <Switch />
                </Form.Item>
                {getFieldValue('hasGoal') && (
                  <>
                    <Form.Item name={['goal', 'event']} label={f('goalEvent')}>
                      <Input />
                    </Form.Item>
                    <Form.Item name={['goal', 'within_days']} label={f('goalDays')}>
                      <InputNumber min={1} max={365} />
                    </Form.Item>
                    <Form.Item name={['goal', 'revenue_property']} label={f('revenueProperty')} extra={f('revenuePropertyHint')}>
                      <Input />
                    </Form.Item>
                  </>
                )}
                <Form.Item name="exits" label={f('exits')} extra={f('exitsHint')}>
                  <ExitsInput />
                </Form.Item>
              </>
            );
          }}
        </Form.Item>
      </Form>
    </div>
  );
}
