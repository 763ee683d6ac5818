import { Alert, Col, DatePicker, Divider, Form, Input, InputNumber, Radio, Row, Select, Switch, Typography } from 'antd';
import type { Rule } from 'antd/es/form';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, type ApiErrorDetail } from '../../api/client.ts';
import { useOfferMutations, type Offer } from '../../api/loyalty.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { EditorDrawer } from '../../components/EditorDrawer.tsx';
import { showFieldErrors, type FieldName } from '../../components/field-errors.ts';
import { useFormat } from '../../components/FormatProvider.tsx';
import { MoneyInput } from '../../components/MoneyInput.tsx';
import { APPLIES, fromOffer, isOfferField, newOfferForm, RULE_KINDS, ruleOf, toOfferInput, type OfferForm } from './offer-form.ts';
import { describeRule } from './rule.ts';

/**
 * Creates an offer or changes one (PUT /v1/offers/:id): the rule by kind, where it applies, the window or days from
 * claiming, stacking, budgets and limits. The checks are the server's (src/loyalty/schemas.ts), made before sending;
 * what the server still refuses is shown on the field its path names.
 */
export function OfferEditor({ offer, onClose, onSaved }: { offer?: Offer; onClose: () => void; onSaved: (offer: Offer) => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { save } = useOfferMutations();
  const [form] = Form.useForm<OfferForm>();
  const [unplaced, setUnplaced] = useState<ApiErrorDetail[]>();
  const initial = useMemo(() => (offer ? fromOffer(offer, format.timezone) : newOfferForm()), [offer, format.timezone]);
  const rule = Form.useWatch('rule', form) ?? initial.rule;
  // The rule in words once its kind's fields are filled in.
  const preview = useMemo(() => {
    const r = ruleOf(rule);
    return Object.values(r).some((v) => v === undefined || v === null) ? undefined : describeRule(r, t, format);
  }, [rule, t, format]);
  const submit = (values: OfferForm) => {
    setUnplaced(undefined);
    save.mutate(toOfferInput(values, format.timezone), { onSuccess: onSaved, onError: (error) => setUnplaced(showFieldErrors(form, error instanceof ApiError ? error.details : [], isOfferField)) });
  };

  const required = { required: true, message: t('loyalty.editor.required') };
  const positiveFen: Rule = { type: 'number', min: 1, message: t('loyalty.editor.positiveMoney') };
  const positiveInt: Rule = { type: 'integer', min: 1, message: t('loyalty.editor.positiveInt') };
  const money = (name: FieldName, label: string, rules: Rule[], extra?: string) => (
    <Form.Item name={name} label={label} rules={rules} extra={extra}>
      <MoneyInput placeholder={rules.some((r) => 'required' in r && r.required) ? undefined : t('loyalty.editor.none')} testId={`offer-${name.join('-')}`} />
    </Form.Item>
  );
  const count = (name: FieldName, label: string, extra?: string) => (
    <Form.Item name={name} label={label} rules={[positiveInt]} extra={extra}>
      <InputNumber<number> min={1} precision={0} style={{ width: '100%' }} placeholder={t('loyalty.editor.none')} data-testid={`offer-${name.join('-')}`} />
    </Form.Item>
  );
  const cap = money(['rule', 'maxOffFen'], t('loyalty.editor.maxOff'), [positiveFen], t('loyalty.editor.maxOffHint'));

  return (
    <EditorDrawer title={offer ? t('loyalty.editor.editTitle', { name: offer.name }) : t('loyalty.editor.newTitle')} testId="offer-editor" saving={save.isPending} onSave={() => form.submit()} onClose={onClose}>
      <Form<OfferForm> form={form} layout="vertical" initialValues={initial} onFinish={submit} scrollToFirstError>
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name="id" label={t('loyalty.editor.id')} extra={offer ? undefined : t('loyalty.editor.idHint')} rules={[required, { max: 120, pattern: /^[\w.:-]+$/, message: t('loyalty.editor.idRule') }]}>
              <Input disabled={Boolean(offer)} data-testid="offer-id" />
            </Form.Item>
          </Col>
          <Col span={10}>
            <Form.Item name="name" label={t('loyalty.offer.name')} rules={[{ ...required, whitespace: true }]}>
              <Input data-testid="offer-name" />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item name="campaign" label={t('loyalty.offer.campaign')}>
              <Input placeholder={t('loyalty.editor.none')} data-testid="offer-campaign" />
            </Form.Item>
          </Col>
        </Row>

        <Divider titlePlacement="start">{t('loyalty.offer.rule')}</Divider>
        <Form.Item name={['rule', 'kind']}>
          <Radio.Group optionType="button" buttonStyle="solid" options={RULE_KINDS.map((kind) => ({ value: kind, label: t(`loyalty.kind.${kind}`) }))} data-testid="offer-kind" />
        </Form.Item>
        <Row gutter={16}>
          {rule.kind === 'spend_save' && (
            <>
              <Col span={6}>{money(['rule', 'thresholdFen'], t('loyalty.editor.threshold'), [required, positiveFen])}</Col>
              <Col span={6}>{money(['rule', 'offFen'], t('loyalty.editor.off'), [required, positiveFen])}</Col>
              <Col span={6}>
                <Form.Item name={['rule', 'isRepeating']} label={t('loyalty.editor.repeating')} valuePropName="checked" extra={t('loyalty.editor.repeatingHint')}>
                  <Switch data-testid="offer-repeating" />
                </Form.Item>
              </Col>
              <Col span={6}>{cap}</Col>
            </>
          )}
          {rule.kind === 'percent' && (
            <>
              <Col span={8}>
                <Form.Item name={['rule', 'percentOff']} label={t('loyalty.editor.percentOff')} extra={t('loyalty.editor.percentHint')} rules={[required, { type: 'number', min: 0.01, max: 99.99, message: t('loyalty.editor.percentRule') }]}>
                  <InputNumber<number> min={0.01} max={99.99} suffix="%" style={{ width: '100%' }} data-testid="offer-rule-percentOff" />
                </Form.Item>
              </Col>
              <Col span={8}>{cap}</Col>
            </>
          )}
          {rule.kind === 'fixed' && <Col span={8}>{money(['rule', 'offFen'], t('loyalty.editor.off'), [required, positiveFen], t('loyalty.editor.fixedHint'))}</Col>}
          {rule.kind === 'gift' && (
            <>
              <Col span={8}>
                <Form.Item name={['rule', 'giftSku']} label={t('loyalty.editor.giftSku')} rules={[{ ...required, whitespace: true }]}>
                  <Input data-testid="offer-rule-giftSku" />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item name={['rule', 'giftQuantity']} label={t('loyalty.editor.giftQuantity')} rules={[required, positiveInt]}>
                  <InputNumber<number> min={1} precision={0} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </>
          )}
          {rule.kind === 'free_shipping' && <Col span={8}>{cap}</Col>}
        </Row>
        {preview && <Alert type="info" showIcon title={t('loyalty.editor.preview', { rule: preview })} data-testid="offer-preview" style={{ marginBottom: 16 }} />}

        <Divider titlePlacement="start">{t('loyalty.editor.applies')}</Divider>
        <Typography.Paragraph type="secondary">{t('loyalty.editor.appliesHint')}</Typography.Paragraph>
        <Row gutter={16}>
          {APPLIES.map((a) => (
            <Col span={8} key={a}>
              <Form.Item name={['applies', a]} label={t(`loyalty.applies.${a}`)}>
                <Select mode="tags" tokenSeparators={[',', '，']} notFoundContent={null} suffixIcon={null} placeholder={t('loyalty.editor.any')} data-testid={`offer-applies-${a}`} />
              </Form.Item>
            </Col>
          ))}
          <Col span={8}>{money(['minSpendFen'], t('loyalty.offer.minSpend'), [{ type: 'number', min: 0 }], t('loyalty.editor.minSpendHint'))}</Col>
        </Row>

        <Divider titlePlacement="start">{t('loyalty.editor.validity')}</Divider>
        <Typography.Paragraph type="secondary">{t('loyalty.editor.validityHint', { timezone: format.timezone })}</Typography.Paragraph>
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name="validFrom" label={t('loyalty.offer.validFrom')}>
              <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} placeholder={t('loyalty.editor.none')} data-testid="offer-validFrom" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item
              name="validTo"
              label={t('loyalty.offer.validTo')}
              dependencies={['validFrom']}
              rules={[({ getFieldValue }) => ({ validator: (_, to: OfferForm['validTo']) => (to && getFieldValue('validFrom') && !to.isAfter(getFieldValue('validFrom')) ? Promise.reject(new Error(t('loyalty.editor.windowRule'))) : Promise.resolve()) })]}
            >
              <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} placeholder={t('loyalty.editor.none')} data-testid="offer-validTo" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="validDays" label={t('loyalty.offer.validDays')} extra={t('loyalty.editor.validDaysHint')} rules={[{ type: 'integer', min: 1, max: 3650, message: t('loyalty.editor.validDaysRule') }]}>
              <InputNumber<number> min={1} max={3650} precision={0} suffix={t('loyalty.editor.daysUnit')} style={{ width: '100%' }} placeholder={t('loyalty.editor.none')} data-testid="offer-validDays" />
            </Form.Item>
          </Col>
        </Row>

        <Divider titlePlacement="start">{t('loyalty.editor.budgets')}</Divider>
        <Row gutter={16}>
          <Col span={6}>{count(['budgetCount'], t('loyalty.editor.budgetCount'))}</Col>
          <Col span={6}>{money(['budgetDiscountFen'], t('loyalty.editor.budgetDiscount'), [positiveFen])}</Col>
          <Col span={6}>{count(['perCustomerLimit'], t('loyalty.editor.perCustomer'))}</Col>
          <Col span={6}>{count(['perDayLimit'], t('loyalty.editor.perDay'))}</Col>
        </Row>
        {offer && <Typography.Paragraph type="secondary">{t('loyalty.editor.budgetHint')}</Typography.Paragraph>}

        <Divider titlePlacement="start">{t('loyalty.editor.stackingAndCode')}</Divider>
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name="stackGroup" label={t('loyalty.editor.stackGroup')} extra={t('loyalty.editor.stackGroupHint')}>
              <Input placeholder={t('loyalty.offer.alone')} data-testid="offer-stackGroup" />
            </Form.Item>
          </Col>
          <Col span={4}>
            <Form.Item name="isExclusive" label={t('loyalty.offer.exclusive')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
          <Col span={4}>
            <Form.Item name="isRefundReturning" label={t('loyalty.offer.refundReturning')} valuePropName="checked" tooltip={t('loyalty.editor.refundHint')}>
              <Switch />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item
              name="sharedCode"
              label={t('loyalty.offer.sharedCode')}
              extra={offer?.sharedCode ? t('loyalty.editor.sharedCodeFixed') : t('loyalty.editor.sharedCodeHint')}
              rules={[{ validator: (_, code: string | null | undefined) => (code?.trim() && (code.trim().length < 3 || code.trim().length > 40) ? Promise.reject(new Error(t('loyalty.editor.sharedCodeRule'))) : Promise.resolve()) }]}
            >
              <Input disabled={Boolean(offer?.sharedCode)} placeholder={t('loyalty.editor.none')} data-testid="offer-sharedCode" />
            </Form.Item>
          </Col>
        </Row>
      </Form>
      {save.error && <ApiErrorAlert error={save.error} details={unplaced} />}
    </EditorDrawer>
  );
}
