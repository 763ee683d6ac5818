import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Form, Input, InputNumber, Row, Select, Table, Tag, Typography } from 'antd';
import type { Rule } from 'antd/es/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, type ApiErrorDetail } from '../../api/client.ts';
import { useSaveTierSettings, type TierReport, type TierSettings } from '../../api/loyalty.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { EditorDrawer } from '../../components/EditorDrawer.tsx';
import { showFieldErrors } from '../../components/field-errors.ts';
import { useFormat } from '../../components/FormatProvider.tsx';
import { droppedTiers, isTierField, tierProblem, toTierSettings, type Tier } from './tier-form.ts';

const BENEFITS = ['free_shipping', 'exclusive_coupons'];

/** A share held as a fraction (0.8) and typed as a percentage (80%). */
function ShareInput({ value, onChange }: { value?: number | null; onChange?: (share: number | null) => void }) {
  return (
    <InputNumber<number>
      min={0}
      max={100}
      precision={1}
      suffix="%"
      style={{ width: '100%' }}
      data-testid="tier-keepShare"
      value={value === null || value === undefined ? null : Math.round(value * 1000) / 10}
      onChange={(percent) => onChange?.(percent === null ? null : Math.round(percent * 10) / 1000)}
    />
  );
}

/**
 * Edits the member tier rules (PUT /v1/loyalty/settings/tiers): the ladder of tiers by growth threshold, each with its
 * points multiplier and benefits, and how growth is counted and a tier kept. The preview says the rules in words.
 */
export function TierEditor({ settings, report, onClose }: { settings: TierSettings; report?: TierReport; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useSaveTierSettings();
  const [form] = Form.useForm<TierSettings>();
  const [unplaced, setUnplaced] = useState<ApiErrorDetail[]>();
  const watched = Form.useWatch((values: TierSettings) => values, form);
  const draft = watched?.tiers ? watched : settings;
  const dropped = droppedTiers(draft, report?.distribution ?? []);
  const submit = (values: TierSettings) => {
    setUnplaced(undefined);
    save.mutate(toTierSettings(values), { onSuccess: onClose, onError: (error) => setUnplaced(showFieldErrors(form, error instanceof ApiError ? error.details : [], isTierField)) });
  };
  const required = { required: true, message: t('loyalty.editor.required') };
  // The ladder's checks look at the other rows: each row's fields are checked again when a neighbour changes.
  const ladder = (index: number, field: 'name' | 'threshold'): Rule => ({ getFieldValue }) => ({
    validator: () => {
      const problem = tierProblem(getFieldValue('tiers') ?? [], index, field);
      return problem ? Promise.reject(new Error(t(`loyalty.tierEditor.problem.${problem}`))) : Promise.resolve();
    },
  });
  return (
    <EditorDrawer title={t('loyalty.tierEditor.title')} testId="tier-editor" saving={save.isPending} onSave={() => form.submit()} onClose={onClose}>
      <Form<TierSettings> form={form} layout="vertical" initialValues={settings} onFinish={submit}>
        <Typography.Paragraph type="secondary">{t('loyalty.tierEditor.explain')}</Typography.Paragraph>
        <Form.List name="tiers" rules={[{ validator: (_, tiers: Tier[]) => (tiers?.length ? Promise.resolve() : Promise.reject(new Error(t('loyalty.tierEditor.problem.none')))) }]}>
          {(fields, { add, remove }, { errors }) => (
            <>
              {fields.map((field, index) => (
                <Row gutter={8} key={field.key} align="top" data-testid={`tier-row-${index}`}>
                  <Col span={5}>
                    <Form.Item name={[field.name, 'name']} label={index === 0 ? t('loyalty.tier.name') : undefined} dependencies={fields.map((f) => ['tiers', f.name, 'name'])} rules={[{ ...required, whitespace: true }, ladder(index, 'name')]}>
                      <Input data-testid={`tier-name-${index}`} />
                    </Form.Item>
                  </Col>
                  <Col span={5}>
                    <Form.Item
                      name={[field.name, 'threshold']}
                      label={index === 0 ? t('loyalty.tier.threshold') : undefined}
                      dependencies={index > 0 ? [['tiers', index - 1, 'threshold']] : []}
                      rules={[required, { type: 'integer', min: 0, message: t('loyalty.tierEditor.thresholdRule') }, ladder(index, 'threshold')]}
                    >
                      <InputNumber<number> min={0} precision={0} style={{ width: '100%' }} data-testid={`tier-threshold-${index}`} />
                    </Form.Item>
                  </Col>
                  <Col span={4}>
                    <Form.Item name={[field.name, 'pointsMultiplier']} label={index === 0 ? t('loyalty.tier.multiplier') : undefined} rules={[required, { type: 'number', min: 0.01, message: t('loyalty.tierEditor.multiplierRule') }]}>
                      <InputNumber<number> min={0.01} step={0.1} prefix="×" style={{ width: '100%' }} data-testid={`tier-multiplier-${index}`} />
                    </Form.Item>
                  </Col>
                  <Col span={9}>
                    <Form.Item name={[field.name, 'benefits']} label={index === 0 ? t('loyalty.tier.benefits') : undefined}>
                      <Select mode="tags" options={BENEFITS.map((b) => ({ value: b, label: t(`loyalty.benefit.${b}`) }))} placeholder={t('loyalty.tierEditor.noBenefits')} />
                    </Form.Item>
                  </Col>
                  <Col span={1}>
                    <Button type="text" icon={<DeleteOutlined />} disabled={fields.length === 1} onClick={() => remove(field.name)} aria-label={t('loyalty.tierEditor.remove')} style={index === 0 ? { marginTop: 30 } : undefined} data-testid={`tier-remove-${index}`} />
                  </Col>
                </Row>
              ))}
              <Form.ErrorList errors={errors} />
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ name: '', threshold: undefined, pointsMultiplier: 1, benefits: [] })} style={{ marginBottom: 16 }} data-testid="tier-add">
                {t('loyalty.tierEditor.add')}
              </Button>
            </>
          )}
        </Form.List>
        <Row gutter={16}>
          <Col span={6}>
            <Form.Item name="growthPerYuan" label={t('loyalty.tier.growthPerYuan')} rules={[required, { type: 'number', min: 0, message: t('loyalty.tierEditor.growthRule') }]}>
              <InputNumber<number> min={0} step={0.5} style={{ width: '100%' }} data-testid="tier-growthPerYuan" />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item name="windowDays" label={t('loyalty.tier.window')} rules={[required, { type: 'integer', min: 1, message: t('loyalty.editor.positiveInt') }]}>
              <InputNumber<number> min={1} precision={0} suffix={t('loyalty.editor.daysUnit')} style={{ width: '100%' }} data-testid="tier-windowDays" />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item name="keepShare" label={t('loyalty.tier.keepShare')} tooltip={t('loyalty.tierEditor.keepShareHint')} rules={[required, { type: 'number', min: 0, max: 1, message: t('loyalty.tierEditor.keepShareRule') }]}>
              <ShareInput />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item name="graceDays" label={t('loyalty.tier.grace')} rules={[required, { type: 'integer', min: 0, message: t('loyalty.tierEditor.graceRule') }]}>
              <InputNumber<number> min={0} precision={0} suffix={t('loyalty.editor.daysUnit')} style={{ width: '100%' }} data-testid="tier-graceDays" />
            </Form.Item>
          </Col>
        </Row>
      </Form>
      {dropped.length > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid="tier-dropped"
          title={t('loyalty.tierEditor.dropped', { tiers: dropped.map((d) => t('loyalty.tierEditor.droppedTier', { tier: d.tier, members: d.members })).join(t('common.listSeparator')) })}
        />
      )}
      {save.error && <ApiErrorAlert error={save.error} details={unplaced} />}
      <TierPreview settings={draft} />
    </EditorDrawer>
  );
}

/** The rules in words, as the evaluation applies them (docs/loyalty.md, Member tiers). */
export function TierPreview({ settings }: { settings: TierSettings }) {
  const { t } = useTranslation();
  const format = useFormat();
  const tiers = (settings.tiers ?? []).filter((tier): tier is Tier => Boolean(tier));
  const spend = (growth: number) => (settings.growthPerYuan > 0 ? format.money(Math.ceil((growth / settings.growthPerYuan) * 100)) : '—');
  return (
    <Card size="small" title={t('loyalty.tierEditor.preview')} data-testid="tier-preview">
      <Table
        size="small"
        pagination={false}
        rowKey={(_, i) => String(i)}
        dataSource={tiers}
        columns={[
          { title: t('loyalty.tier.name'), dataIndex: 'name', render: (v: string) => v || '—' },
          {
            title: t('loyalty.tierEditor.range'),
            render: (_, tier, i) => {
              const next = tiers[i + 1]?.threshold;
              return typeof next === 'number' && next > tier.threshold ? t('loyalty.tierEditor.rangeBetween', { from: format.count(tier.threshold), to: format.count(next - 1) }) : t('loyalty.tierEditor.rangeFrom', { from: format.count(tier.threshold) });
            },
          },
          { title: t('loyalty.tierEditor.spend'), render: (_, tier) => t('loyalty.tierEditor.spendText', { spend: spend(tier.threshold ?? 0) }) },
          { title: t('loyalty.tier.multiplier'), dataIndex: 'pointsMultiplier', render: (v: number | null) => (typeof v === 'number' ? `×${format.decimal(v, 1)}` : '—') },
          { title: t('loyalty.tierEditor.keepAt'), render: (_, tier, i) => (i === 0 ? '—' : format.count(Math.ceil((tier.threshold ?? 0) * settings.keepShare))) },
          { title: t('loyalty.tier.benefits'), dataIndex: 'benefits', render: (v: string[] | undefined) => (v?.length ? v.map((b) => <Tag key={b}>{t(`loyalty.benefit.${b}`, { defaultValue: b })}</Tag>) : '—') },
        ]}
      />
      <Typography.Paragraph style={{ marginTop: 12, marginBottom: 0 }} data-testid="tier-preview-text">
        {t('loyalty.tierEditor.summary', {
          growth: format.decimal(settings.growthPerYuan, 1),
          window: format.count(settings.windowDays),
          keep: format.percent(settings.keepShare, 0),
          grace: format.count(settings.graceDays),
        })}
      </Typography.Paragraph>
    </Card>
  );
}
