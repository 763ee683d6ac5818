import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Form, Input, InputNumber, Select, Space, Switch } from 'antd';
import { useTranslation } from 'react-i18next';
import type { StepKind } from './graph.ts';
import { ConditionInput } from '../segments/condition-input.tsx';
import { CHANNELS, LIQUID_EXAMPLES, WAIT_MODES } from './forms.ts';
import { JsonInput } from '../../components/JsonInput.tsx';

/** The form items of each kind of step (docs/journeys.md, steps). */
export function StepFields({ kind }: { kind: StepKind }) {
  const { t } = useTranslation();
  const f = (key: string, values?: Record<string, unknown>) => t(`journeyCanvas.field.${key}`, values);
  const channels = CHANNELS.map((c) => ({ value: c, label: t(`journeys.channel.${c}`) }));
  switch (kind) {
    case 'wait':
      return (
        <>
          <Form.Item name="mode" label={f('waitMode')}>
            <Select options={WAIT_MODES.map((m) => ({ value: m, label: t(`journeyCanvas.waitMode.${m}`) }))} data-testid="field-wait-mode" />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.mode !== b.mode}>
            {({ getFieldValue }) => (
              <Form.Item name="target" label={t(`journeyCanvas.waitMode.${(getFieldValue('mode') as string) ?? 'duration'}`)} extra={t(`journeyCanvas.waitHint.${(getFieldValue('mode') as string) ?? 'duration'}`)}>
                <Input data-testid="field-wait-target" />
              </Form.Item>
            )}
          </Form.Item>
        </>
      );
    case 'wait_for_event':
      return (
        <>
          <Form.Item name="event" label={f('event')}>
            <Input data-testid="field-event" />
          </Form.Item>
          <Form.Item name="where" label={f('where')} extra={f('whereHint')}>
            <JsonInput rows={2} />
          </Form.Item>
          <Form.Item name="timeout" label={f('timeout')} extra={t('journeyCanvas.waitHint.duration')}>
            <Input data-testid="field-timeout" />
          </Form.Item>
        </>
      );
    case 'condition':
      return (
        <Form.Item name="condition" label={f('condition')} extra={f('conditionHint')}>
          <ConditionInput testId="field-condition" />
        </Form.Item>
      );
    case 'split':
      return (
        <Form.List name="variants">
          {(items, { add, remove }) => (
            <>
              {items.map((item) => (
                <Space key={item.key} align="baseline">
                  <Form.Item name={[item.name, 'name']} label={f('variantName')}>
                    <Input style={{ width: 90 }} />
                  </Form.Item>
                  <Form.Item name={[item.name, 'weight']} label={f('weight')}>
                    <InputNumber min={0} style={{ width: 80 }} />
                  </Form.Item>
                  <Form.Item name={[item.name, 'next']} hidden>
                    <Input />
                  </Form.Item>
                  <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(item.name)} aria-label={f('removeVariant')} disabled={items.length <= 2} />
                </Space>
              ))}
              <Button icon={<PlusOutlined />} onClick={() => add({ name: String.fromCharCode(65 + items.length), weight: 1 })} disabled={items.length >= 10}>
                {f('addVariant')}
              </Button>
            </>
          )}
        </Form.List>
      );
    case 'message':
      return (
        <>
          <Form.Item name="channel" label={f('channel')}>
            <Select options={channels} data-testid="field-channel" />
          </Form.Item>
          <Form.Item name={['content', 'body']} label={f('body')} extra={f('bodyHint', { examples: LIQUID_EXAMPLES })}>
            <Input.TextArea autoSize={{ minRows: 3, maxRows: 8 }} data-testid="field-body" />
          </Form.Item>
          <Form.Item name={['content', 'subject']} label={f('subject')}>
            <Input />
          </Form.Item>
          <Form.Item name={['content', 'template']} label={f('template')} extra={f('templateHint')}>
            <Input data-testid="field-template" />
          </Form.Item>
          <Form.Item name={['content', 'params']} label={f('params')}>
            <JsonInput rows={2} />
          </Form.Item>
          <Form.Item name="fallback" label={f('fallback')}>
            <Select allowClear options={channels} />
          </Form.Item>
          <Form.Item name="transactional" label={f('transactional')} valuePropName="checked" extra={f('transactionalHint')}>
            <Switch />
          </Form.Item>
        </>
      );
    case 'update':
      return (
        <>
          <Form.Item name="add_tags" label={f('addTags')}>
            <Select mode="tags" open={false} />
          </Form.Item>
          <Form.Item name="remove_tags" label={f('removeTags')}>
            <Select mode="tags" open={false} />
          </Form.Item>
          <Form.Item name="set_traits" label={f('setTraits')} extra={f('setTraitsHint')}>
            <JsonInput rows={3} />
          </Form.Item>
        </>
      );
    case 'webhook':
      return (
        <Form.Item name="url" label={f('url')}>
          <Input data-testid="field-url" />
        </Form.Item>
      );
    case 'coupon':
      return (
        <Form.Item name="offer" label={f('offer')} extra={f('offerHint')}>
          <Input data-testid="field-offer" />
        </Form.Item>
      );
    case 'points':
      return (
        <>
          <Form.Item name="points" label={f('points')}>
            <InputNumber min={1} max={1_000_000} style={{ width: '100%' }} data-testid="field-points" />
          </Form.Item>
          <Form.Item name="reason" label={f('reason')}>
            <Input />
          </Form.Item>
          <Form.Item name="immediate" label={f('immediate')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </>
      );
    case 'exit':
      return null;
  }
}
