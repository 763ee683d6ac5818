import { DeleteOutlined, FlagOutlined } from '@ant-design/icons';
import { Button, Divider, Form, Input, Select, Space, Tag, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { KIND_STYLE, branchLabel } from './canvas-nodes.tsx';
import { connect, linksOf, remove, renameStep, updateStep } from './edits.ts';
import { branchesOf, ENTRY_ID, isStepKind } from './graph.ts';
import { ProblemList } from './problem-list.tsx';
import type { Problem } from './problems.ts';
import { formValuesOf, stepFromForm } from './forms.ts';
import { StepFields } from './step-fields.tsx';

type Json = Record<string, unknown>;

const STEP_ID = /^[a-z][a-z0-9_-]{0,63}$/;

/** The side panel of a selected step: its id, whether it starts the journey, where each branch leads, and its fields per kind. */
export function StepPanel({ id, definition, problems, onChange, onSelect }: { id: string; definition: Json; problems: Problem[]; onChange: (definition: Json) => void; onSelect: (id: string | undefined) => void }) {
  const { t } = useTranslation();
  const steps = definition.nodes as Json;
  const step = (steps[id] ?? {}) as Json;
  const kind = isStepKind(step.kind) ? step.kind : undefined;
  // The form is made anew when the step changes from elsewhere (the JSON, a link drawn on the canvas), not on its own edits.
  const [version, setVersion] = useState(0);
  const mine = useRef(JSON.stringify(step));
  useEffect(() => {
    const json = JSON.stringify(step);
    if (json !== mine.current) {
      mine.current = json;
      setVersion((v) => v + 1);
    }
  }, [step]);
  const [name, setName] = useState(id);
  useEffect(() => setName(id), [id]);
  const nameProblem = name === id ? undefined : !STEP_ID.test(name) ? t('journeyCanvas.idRule') : Object.hasOwn(steps, name) ? t('journeyCanvas.idTaken') : undefined;
  const rename = () => {
    if (name === id || nameProblem) return;
    onChange(renameStep(definition, id, name));
    onSelect(name);
  };
  const others = Object.keys(steps).filter((s) => s !== id);
  const branches = branchesOf(step);
  const links = linksOf(definition, id);
  return (
    <div data-testid="step-panel">
      <Space style={{ marginBottom: 12, justifyContent: 'space-between', width: '100%' }}>
        <Typography.Text strong style={{ color: kind ? KIND_STYLE[kind].color : undefined }}>
          {kind && KIND_STYLE[kind].icon} {t(`journeyCanvas.kind.${kind ?? 'unknown'}`)}
        </Typography.Text>
        <Button danger size="small" icon={<DeleteOutlined />} onClick={() => (onChange(remove(definition, { nodes: [id] })), onSelect(undefined))} data-testid="step-delete">
          {t('journeyCanvas.deleteStep')}
        </Button>
      </Space>
      <ProblemList problems={problems} />
      <Form layout="vertical" size="small">
        <Form.Item label={t('journeyCanvas.stepId')} validateStatus={nameProblem ? 'error' : undefined} help={nameProblem}>
          <Input value={name} onChange={(e) => setName(e.target.value)} onBlur={rename} onPressEnter={rename} data-testid="step-id" />
        </Form.Item>
        {definition.start === id ? (
          <Tag color="blue" icon={<FlagOutlined />} style={{ marginBottom: 12 }}>
            {t('journeyCanvas.isStart')}
          </Tag>
        ) : (
          <Button size="small" icon={<FlagOutlined />} style={{ marginBottom: 12 }} onClick={() => onChange(connect(definition, { source: ENTRY_ID, sourceHandle: 'start', target: id }))} data-testid="step-make-start">
            {t('journeyCanvas.makeStart')}
          </Button>
        )}
        {branches.map((b) => (
          <Form.Item key={b.handle} label={t('journeyCanvas.linkLabel', { branch: branchLabel(b.field, b.variant?.name, t) || t('journeyCanvas.branch.next') })}>
            <Select
              allowClear
              placeholder={t('journeyCanvas.notLinked')}
              value={links.find((l) => l.handle === b.handle)?.target}
              options={others.map((s) => ({ value: s, label: s }))}
              onChange={(target?: string) => onChange(target ? connect(definition, { source: id, sourceHandle: b.handle, target }) : remove(definition, { edges: [`${id}→${b.handle}`] }))}
              data-testid={`step-link-${b.handle}`}
            />
          </Form.Item>
        ))}
      </Form>
      {kind && kind !== 'exit' && <Divider size="small" />}
      {kind && (
        <Form
          key={`${id}:${version}`}
          layout="vertical"
          size="small"
          initialValues={formValuesOf(step)}
          onValuesChange={(_, values: Json) => {
            const next = stepFromForm(kind, values, step);
            mine.current = JSON.stringify(next);
            onChange(updateStep(definition, id, next));
          }}
          data-testid="step-form"
        >
          <StepFields kind={kind} />
        </Form>
      )}
    </div>
  );
}
