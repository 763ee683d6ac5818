import { Alert, Badge, Button, Card, Col, Form, Input, List, Row, Skeleton, Space, Tabs, Tag, Typography } from 'antd';
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { ApiError } from '../../api/client.ts';
import { useJourney, useJourneyMutations, validateJourney, type Journey } from '../../api/journeys.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { QueryView } from '../../components/QueryView.tsx';
import { branchesOf, isObject, isStepKind } from './graph.ts';
import { ProblemList } from './problem-list.tsx';
import { groupProblems, type Problem } from './problems.ts';

// The canvas (React Flow) is a chunk of its own, fetched when the editor opens: the route's chunk stays small, and so
// does the list of chunks the console's entry preloads for it.
const JourneyCanvas = lazy(async () => ({ default: (await import('./canvas.tsx')).JourneyCanvas }));

/** A new journey starts from this: a welcome message to new members, with a 10% holdout and a 30-day goal. */
const TEMPLATE = {
  entry: { kind: 'event', event: 'Signed Up' },
  reentry: { kind: 'once' },
  holdout: 0.1,
  goal: { event: 'Order Completed', within_days: 30 },
  start: 'welcome',
  nodes: {
    welcome: { kind: 'message', channel: 'sms', content: { body: '{{ customer.name }}，欢迎加入会员！' }, next: 'done' },
    done: { kind: 'exit' },
  },
};

/**
 * Create a journey or edit its draft, on a canvas or as JSON (two views of one definition), checked by the server as
 * you type, each problem shown on the step it names.
 */
export default function JourneyEditorPage() {
  const { id } = useParams();
  const journey = useJourney(id);
  if (!id) return <Editor />;
  return <QueryView query={journey}>{(j) => <Editor journey={j} />}</QueryView>;
}

function Editor({ journey }: { journey?: Journey }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [meta] = Form.useForm<{ id: string; name: string; description?: string }>();
  const [text, setText] = useState(() => JSON.stringify(journey ? (journey.draft ?? journey.definition) : TEMPLATE, null, 2));
  const [problems, setProblems] = useState<Problem[] | undefined>();
  const [checking, setChecking] = useState(false);
  const m = useJourneyMutations(journey?.id ?? '');
  const parsed = useMemo((): { value?: unknown; error?: string } => {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }, [text]);
  // The server checks the definition (debounced): shape, step references, reachability, loops, condition syntax.
  useEffect(() => {
    if (parsed.error) return;
    let stale = false;
    setChecking(true);
    const timer = setTimeout(() => {
      validateJourney(parsed.value)
        .then(() => !stale && setProblems([]))
        .catch((e: unknown) => !stale && setProblems(e instanceof ApiError ? (e.details.length ? e.details.map((d) => ({ path: d.path ?? '', message: d.message })) : [{ path: '', message: e.message }]) : [{ path: '', message: String(e) }]))
        .finally(() => !stale && setChecking(false));
    }, 400);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [parsed]);
  const nodes = useMemo(() => {
    const value = parsed.value as { start?: string; nodes?: Record<string, { kind?: string }> } | undefined;
    return Object.entries(value?.nodes ?? {}).map(([name, node]) => ({
      name,
      kind: String(node?.kind ?? '?'),
      isStart: value?.start === name,
      next: branchesOf(node).flatMap((b) => (typeof b.target === 'string' ? [`${b.variant?.name ?? b.field} → ${b.target}`] : [])),
    }));
  }, [parsed]);
  const { byStep, general } = useMemo(() => groupProblems(problems ?? []), [problems]);
  const problemsOf = (step: string) => byStep.get(step) ?? [];
  const definition = isObject(parsed.value) ? parsed.value : undefined;
  const [tab, setTab] = useState('canvas');
  const save = async () => {
    const values = await meta.validateFields();
    const saved = await m.save.mutateAsync({ id: journey?.id ?? values.id, name: values.name, description: values.description, definition: parsed.value });
    navigate(`/journeys/${encodeURIComponent(saved.id)}`);
  };
  return (
    <>
      <PageHeader
        title={journey ? t('journeyCanvas.editor.editTitle', { name: journey.name }) : t('journeys.new')}
        subtitle={t('journeyCanvas.editorHint')}
        extra={
          <>
            <Button onClick={() => navigate(journey ? `/journeys/${encodeURIComponent(journey.id)}` : '/journeys')}>{t('common.cancel')}</Button>
            <Button type="primary" onClick={() => void save().catch(() => undefined)} loading={m.save.isPending} disabled={Boolean(parsed.error)} data-testid="journey-save">
              {t('journeyCanvas.editor.saveDraft')}
            </Button>
          </>
        }
      />
      {m.save.error && <ApiErrorAlert error={m.save.error} />}
      <Form form={meta} layout="inline" style={{ marginBottom: 16 }} initialValues={{ id: journey?.id, name: journey?.name, description: journey?.description ?? undefined }}>
        <Form.Item name="id" label={t('journeyCanvas.editor.id')} rules={[{ required: true, pattern: /^[a-z][a-z0-9-]{0,62}$/, message: t('journeyCanvas.editor.idRule') }]}>
          <Input disabled={Boolean(journey)} style={{ width: 180 }} data-testid="journey-id" />
        </Form.Item>
        <Form.Item name="name" label={t('journeyCanvas.editor.name')} rules={[{ required: true, whitespace: true, message: t('journeyCanvas.editor.nameRule') }]}>
          <Input style={{ width: 220 }} data-testid="journey-name" />
        </Form.Item>
        <Form.Item name="description" label={t('journeyCanvas.editor.description')}>
          <Input style={{ width: 320 }} />
        </Form.Item>
      </Form>
      <Tabs
        activeKey={tab}
        onChange={setTab}
        tabBarExtraContent={checking ? <Tag>{t('journeyCanvas.editor.checking')}</Tag> : parsed.error ? <Tag color="red">{t('journeyCanvas.editor.invalidJson')}</Tag> : problems?.length === 0 ? <Tag color="green" data-testid="journey-valid">{t('journeyCanvas.editor.valid')}</Tag> : problems ? <Tag color="red" data-testid="journey-invalid">{t('journeyCanvas.editor.problems', { count: problems.length })}</Tag> : null}
        items={[
          {
            key: 'canvas',
            label: <span data-testid="tab-canvas">{t('journeyCanvas.tab')}</span>,
            children: definition ? (
              <Suspense fallback={<Skeleton active paragraph={{ rows: 8 }} />}>
                <JourneyCanvas definition={definition} problems={problems ?? []} onChange={(d) => setText(JSON.stringify(d, null, 2))} />
              </Suspense>
            ) : (
              <Alert type="error" showIcon title={t('journeyCanvas.needsJson')} description={parsed.error} data-testid="canvas-needs-json" />
            ),
          },
          {
            key: 'json',
            label: <span data-testid="tab-json">{t('journeyCanvas.tabJson')}</span>,
            children: (
                  <Row gutter={16}>
                    <Col xs={24} lg={14}>
                      <Card size="small" title={t('journeyCanvas.editor.definitionJson')}>
                        <Input.TextArea value={text} onChange={(e) => setText(e.target.value)} autoSize={{ minRows: 24, maxRows: 48 }} spellCheck={false} className="siyu-json" data-testid="journey-json" />
                        {parsed.error && <Alert type="error" showIcon title={parsed.error} style={{ marginTop: 8 }} />}
                      </Card>
                    </Col>
                    <Col xs={24} lg={10}>
                      <Card size="small" title={t('journeyCanvas.editor.stepsOverview')}>
                        <ProblemList problems={general} testId="journey-general-problems" />
                        <List
                          size="small"
                          dataSource={nodes}
                          data-testid="journey-nodes"
                          renderItem={(n) => {
                            const own = problemsOf(n.name);
                            return (
                              <List.Item data-testid={`node-${n.name}`}>
                                <Space direction="vertical" size={2} style={{ width: '100%' }}>
                                  <Space>
                                    <Badge status={own.length ? 'error' : 'success'} />
                                    <code>{n.name}</code>
                                    <Tag>{t(`journeyCanvas.kind.${isStepKind(n.kind) ? n.kind : 'unknown'}`)}</Tag>
                                    {n.isStart && <Tag color="blue">{t('journeyCanvas.start')}</Tag>}
                                  </Space>
                                  {n.next.length > 0 && <Typography.Text type="secondary">{n.next.join(' · ')}</Typography.Text>}
                                  {own.map((p, i) => (
                                    <Typography.Text key={i} type="danger">
                                      <code>{p.path}</code> {p.message}
                                    </Typography.Text>
                                  ))}
                                </Space>
                              </List.Item>
                            );
                          }}
                        />
                      </Card>
                    </Col>
                  </Row>
            ),
          },
        ]}
      />
    </>
  );
}
