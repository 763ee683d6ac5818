import { Button, Card, Col, Form, Input, List, Modal, Row, Select, Skeleton, Space, Statistic, Tooltip, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { useSaveSegment, useSegmentCatalogue, useSegmentPreview, useSegments, type RefreshSchedule } from '../../api/segments.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { useFormat } from '../../components/FormatProvider.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { ConditionInput } from './condition-input.tsx';
import { newCondition, newGroup, toDefinition } from './definition.ts';
import { conditionToSend } from './read-condition.ts';

/** Waits until a value has stopped changing for `ms` before passing it on. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * The segment builder: conditions on the left, the live count on the right, save with a schedule. A saved definition
 * the visual editor cannot show whole opens as JSON, naming the part it cannot show, and is saved with every part.
 */
export default function BuilderPage() {
  const { t } = useTranslation();
  const { name } = useParams();
  const segments = useSegments();
  const saved = name ? segments.data?.segments.find((s) => s.name === name) : undefined;
  if (name && segments.isPending) return <Skeleton active />;
  return <Builder key={name ?? 'new'} name={name} initial={saved ? saved.definition : toDefinition(newGroup('all', [newCondition('field')]))} description={saved?.description ?? undefined} schedule={saved?.refreshEvery ?? 'daily'} title={name ? t('segments.builder.editTitle', { name }) : t('segments.builder.title')} />;
}

function Builder({ name, initial, description, schedule, title }: { name?: string; initial: unknown; description?: string; schedule: RefreshSchedule | null; title: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const catalogue = useSegmentCatalogue();
  const [value, setValue] = useState<unknown>(initial);
  // Which inputs the visual rows take depends on the catalogue's types: nothing is counted or saved before it is read.
  const definition = useMemo(() => (catalogue.isPending ? undefined : conditionToSend(value, catalogue.data)), [value, catalogue.isPending, catalogue.data]);
  const settled = useDebounced(definition, 400);
  const preview = useSegmentPreview(settled);
  const save = useSaveSegment();
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<{ name: string; description?: string; refreshEvery: RefreshSchedule | 'off' }>();
  const submit = async () => {
    const values = await form.validateFields();
    save.mutate(
      { name: values.name, description: values.description || undefined, definition, refreshEvery: values.refreshEvery === 'off' ? null : values.refreshEvery },
      { onSuccess: () => navigate('/segments') },
    );
  };
  return (
    <>
      <PageHeader
        title={title}
        subtitle={t('segments.builder.subtitle')}
        extra={
          <>
            <Button onClick={() => navigate('/segments')}>{t('common.cancel')}</Button>
            <Button type="primary" disabled={!definition} onClick={() => setSaving(true)} data-testid="segment-save">
              {t('segments.builder.save')}
            </Button>
          </>
        }
      />
      <Row gutter={16}>
        <Col xs={24} xl={16}>
          <Card size="small">
            <ConditionInput value={value} onChange={setValue} testId="segment-definition" />
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          <Card size="small" title={t('segments.builder.preview')} data-testid="segment-preview">
            {!settled ? (
              <Typography.Text type="secondary">{t('segments.builder.incomplete')}</Typography.Text>
            ) : preview.isError ? (
              <ApiErrorAlert error={preview.error} />
            ) : (
              <Space direction="vertical" style={{ width: '100%' }}>
                <Row gutter={8}>
                  <Col span={12}>
                    <Statistic title={t('segments.builder.matching')} value={preview.data ? format.count(preview.data.count) : '…'} loading={preview.isPending} valueStyle={{ opacity: preview.isFetching ? 0.5 : 1 }} data-testid="segment-count" />
                  </Col>
                  <Col span={12}>
                    <Tooltip title={t('segments.builder.reachableLater')}>
                      <Statistic title={t('segments.builder.reachable')} value="—" />
                    </Tooltip>
                  </Col>
                </Row>
                {preview.data && <Typography.Text type="secondary">{t('segments.builder.asOf', { day: format.day(preview.data.asOf) })}</Typography.Text>}
                <List size="small" header={t('segments.builder.sample')} dataSource={preview.data?.sample ?? []} renderItem={(s) => <List.Item>{`${s.customerId} · ${s.city ?? '—'}`}</List.Item>} />
              </Space>
            )}
          </Card>
        </Col>
      </Row>
      <Modal open={saving} title={t('segments.builder.save')} onCancel={() => setSaving(false)} onOk={submit} confirmLoading={save.isPending} okButtonProps={{ id: 'segment-save-confirm' }} destroyOnHidden>
        <Form form={form} layout="vertical" initialValues={{ name, description, refreshEvery: schedule ?? 'off' }}>
          <Form.Item name="name" label={t('segments.builder.name')} rules={[{ required: true, message: t('segments.builder.nameRequired') }, { pattern: /^[\p{L}\p{N}_.-]{1,64}$/u, message: t('segments.builder.nameRule') }]}>
            <Input disabled={Boolean(name)} data-testid="segment-name" />
          </Form.Item>
          <Form.Item name="description" label={t('segments.builder.description')}>
            <Input.TextArea rows={2} maxLength={500} />
          </Form.Item>
          <Form.Item name="refreshEvery" label={t('segments.builder.schedule')}>
            <Select options={(['off', 'hourly', 'daily', 'weekly'] as const).map((s) => ({ value: s, label: t(`segments.schedule.${s}`) }))} />
          </Form.Item>
        </Form>
        {save.error && <ApiErrorAlert error={save.error} />}
      </Modal>
    </>
  );
}
