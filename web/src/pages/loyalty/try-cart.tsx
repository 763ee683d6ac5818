import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Col, Descriptions, Form, Input, InputNumber, Row, Select, Space, Table, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useValidateCart, type CartBody, type CouponRefusal, type Pricing } from '../../api/loyalty.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { MoneyInput } from '../../components/MoneyInput.tsx';
import { describeRefusal } from './refusal.ts';

interface TryCartForm {
  customerId?: string;
  channel?: string;
  storeId?: string;
  shippingFen?: number | null;
  codes: string[];
  lines: { sku?: string; category?: string; quantity?: number | null; unitPriceFen?: number | null }[];
}

const text = (value: string | undefined) => value?.trim() || undefined;

/** The form as the cart POST /v1/coupons/validate takes; the form's rules have made sure every line is whole. */
function toCart(v: TryCartForm): CartBody {
  return {
    customerId: text(v.customerId),
    channel: text(v.channel),
    storeId: text(v.storeId),
    shippingFen: v.shippingFen ?? 0,
    codes: v.codes.map((c) => c.trim()).filter(Boolean),
    lines: v.lines.map((l, i) => ({ line: i + 1, sku: l.sku!.trim(), category: text(l.category), quantity: l.quantity!, unitPriceFen: l.unitPriceFen! })),
  };
}

/**
 * 券试算: a cart priced as the mall or POS would have it priced, without redeeming anything: the coupons that apply,
 * the discount per line, and why each other coupon does not, in the operator's language (refusal.ts).
 */
export function TryCartPanel() {
  const { t } = useTranslation();
  const validate = useValidateCart();
  const required = { required: true, message: t('loyalty.editor.required') };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary">{t('loyalty.tryCart.hint')}</Typography.Paragraph>
      <Card size="small">
        <Form<TryCartForm> layout="vertical" initialValues={{ shippingFen: 0, codes: [], lines: [{ quantity: 1 }] }} onFinish={(v) => validate.mutate(toCart(v))} data-testid="try-cart-form">
          <Row gutter={16}>
            <Col xs={24} md={6}>
              <Form.Item name="customerId" label={t('loyalty.tryCart.customerId')} extra={t('loyalty.tryCart.customerHint')}>
                <Input data-testid="try-cart-customer" />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="channel" label={t('loyalty.tryCart.channel')}>
                <Input data-testid="try-cart-channel" />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="storeId" label={t('loyalty.tryCart.storeId')}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={24} md={6}>
              <Form.Item name="shippingFen" label={t('loyalty.tryCart.shipping')}>
                <MoneyInput />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="codes" label={t('loyalty.tryCart.codes')}>
            <Select mode="tags" tokenSeparators={[' ', ',']} placeholder={t('loyalty.tryCart.codesPlaceholder')} data-testid="try-cart-codes" />
          </Form.Item>
          <Typography.Text strong>{t('loyalty.tryCart.lines')}</Typography.Text>
          <Form.List name="lines">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field, i) => (
                  <Row key={field.key} gutter={8} align="top" style={{ marginTop: 8 }}>
                    <Col span={6}>
                      <Form.Item name={[field.name, 'sku']} rules={[required]}>
                        <Input placeholder={t('loyalty.tryCart.sku')} data-testid={`try-cart-sku-${i}`} />
                      </Form.Item>
                    </Col>
                    <Col span={6}>
                      <Form.Item name={[field.name, 'category']}>
                        <Input placeholder={t('loyalty.tryCart.category')} data-testid={`try-cart-category-${i}`} />
                      </Form.Item>
                    </Col>
                    <Col span={4}>
                      <Form.Item name={[field.name, 'quantity']} rules={[required]}>
                        <InputNumber<number> min={1} precision={0} style={{ width: '100%' }} placeholder={t('loyalty.tryCart.quantity')} data-testid={`try-cart-quantity-${i}`} />
                      </Form.Item>
                    </Col>
                    <Col span={6}>
                      <Form.Item name={[field.name, 'unitPriceFen']} rules={[required]}>
                        <MoneyInput placeholder={t('loyalty.tryCart.unitPrice')} testId={`try-cart-price-${i}`} />
                      </Form.Item>
                    </Col>
                    <Col span={2}>
                      <Button icon={<DeleteOutlined />} disabled={fields.length === 1} onClick={() => remove(field.name)} aria-label={t('loyalty.tryCart.removeLine')} />
                    </Col>
                  </Row>
                ))}
                <Space>
                  <Button icon={<PlusOutlined />} onClick={() => add({ quantity: 1 })}>
                    {t('loyalty.tryCart.addLine')}
                  </Button>
                  <Button type="primary" htmlType="submit" loading={validate.isPending} data-testid="try-cart-submit">
                    {t('loyalty.tryCart.submit')}
                  </Button>
                </Space>
              </>
            )}
          </Form.List>
        </Form>
      </Card>
      {validate.error && <ApiErrorAlert error={validate.error} />}
      {validate.data && <PricingResult pricing={validate.data} />}
    </Space>
  );
}

/** The API's pricing of the cart: the totals, the coupons that apply, those that do not with why, and each line. */
function PricingResult({ pricing }: { pricing: Pricing }) {
  const { t } = useTranslation();
  const format = useFormat();
  const money = (v: number) => format.money(v);
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="try-cart-result">
      <Descriptions size="small" bordered column={2}>
        <Descriptions.Item label={t('loyalty.tryCart.totalDiscount')}>{format.money(pricing.totalDiscountFen)}</Descriptions.Item>
        <Descriptions.Item label={t('loyalty.tryCart.shippingDiscount')}>{format.money(pricing.shippingDiscountFen)}</Descriptions.Item>
      </Descriptions>
      <Card size="small" title={t('loyalty.tryCart.applied')}>
        <Table
          data-testid="try-cart-applied"
          size="small"
          rowKey="code"
          pagination={false}
          dataSource={pricing.applied}
          locale={{ emptyText: t('loyalty.tryCart.noneApplied') }}
          columns={[
            { title: t('loyalty.tryCart.code'), dataIndex: 'code', render: (v: string) => <code>{v}</code> },
            { title: t('loyalty.tryCart.offer'), dataIndex: 'offerId' },
            { title: t('loyalty.tryCart.kind'), dataIndex: 'kind', render: (v: string) => t(`loyalty.kind.${v}`, { defaultValue: v }) },
            {
              title: t('loyalty.tryCart.discount'),
              align: 'right',
              render: (_, a) => (a.gift ? t('loyalty.rule.gift', { sku: a.gift.sku, quantity: a.gift.quantity }) : money(a.discountFen + a.shippingDiscountFen)),
            },
          ]}
        />
      </Card>
      <Card size="small" title={t('loyalty.tryCart.rejected')}>
        <Table<CouponRefusal>
          data-testid="try-cart-rejected"
          size="small"
          rowKey="code"
          pagination={false}
          dataSource={pricing.rejected}
          locale={{ emptyText: t('loyalty.tryCart.noneRejected') }}
          columns={[
            { title: t('loyalty.tryCart.code'), dataIndex: 'code', render: (v: string) => <code>{v}</code> },
            { title: t('loyalty.tryCart.offer'), dataIndex: 'offerId', render: (v: string | undefined) => v ?? '—' },
            {
              title: t('loyalty.tryCart.reason'),
              key: 'reason',
              // The operator's language; the API's own sentence on hover, as the CLI prints it.
              render: (_, r) => (
                <Tooltip title={r.reason}>
                  <span data-testid="refusal-reason" data-reason-code={r.reasonCode}>{describeRefusal(r, t, format)}</span>
                </Tooltip>
              ),
            },
          ]}
        />
      </Card>
      <Table
        data-testid="try-cart-lines"
        size="small"
        rowKey="line"
        pagination={false}
        dataSource={pricing.lines}
        columns={[
          { title: t('loyalty.tryCart.line'), dataIndex: 'line' },
          { title: t('loyalty.tryCart.sku'), dataIndex: 'sku' },
          { title: t('loyalty.tryCart.amount'), dataIndex: 'amountFen', align: 'right', render: money },
          { title: t('loyalty.tryCart.discount'), dataIndex: 'discountFen', align: 'right', render: money },
          { title: t('loyalty.tryCart.pay'), dataIndex: 'payFen', align: 'right', render: money },
        ]}
      />
    </Space>
  );
}
