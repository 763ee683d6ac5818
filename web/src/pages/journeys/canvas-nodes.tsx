import {
  ApiOutlined,
  BranchesOutlined,
  ClockCircleOutlined,
  DisconnectOutlined,
  ExperimentOutlined,
  FieldTimeOutlined,
  GiftOutlined,
  LoginOutlined,
  LogoutOutlined,
  MessageOutlined,
  QuestionOutlined,
  TagsOutlined,
  TrophyOutlined,
  WarningOutlined,
} from '@ant-design/icons';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { Tag, Tooltip } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../components/FormatProvider.tsx';
import { branchesOf, isStepKind, type EntryData, type MissingData, type StepData, type StepKind } from './graph.ts';
import { NODE_WIDTH } from './layout.ts';
import { ProblemItems } from './problem-list.tsx';
import type { Problem } from './problems.ts';
import { entrySummary, stepSummary } from './summary.ts';

/** Each kind's icon and colour, on its nodes and in the palette. */
export const KIND_STYLE: Record<StepKind, { icon: ReactNode; color: string }> = {
  wait: { icon: <ClockCircleOutlined />, color: '#1677ff' },
  wait_for_event: { icon: <FieldTimeOutlined />, color: '#13c2c2' },
  condition: { icon: <BranchesOutlined />, color: '#fa8c16' },
  split: { icon: <ExperimentOutlined />, color: '#722ed1' },
  message: { icon: <MessageOutlined />, color: '#52c41a' },
  update: { icon: <TagsOutlined />, color: '#2f54eb' },
  webhook: { icon: <ApiOutlined />, color: '#595959' },
  coupon: { icon: <GiftOutlined />, color: '#eb2f96' },
  points: { icon: <TrophyOutlined />, color: '#faad14' },
  exit: { icon: <LogoutOutlined />, color: '#8c8c8c' },
};
const UNKNOWN_STYLE = { icon: <QuestionOutlined />, color: '#bfbfbf' };

/** What the canvas adds to a graph node for drawing: the server's problems on it, and its links not made yet. */
export type Decorated<D> = D & { problems: Problem[] };
export type EntryNode = Node<Decorated<EntryData>, 'entry'>;
export type StepNode = Node<Decorated<StepData> & { unlinked: string[] }, 'step'>;
export type MissingNode = Node<Decorated<MissingData>, 'missing'>;

const box = (color: string, selected: boolean, problems: number, dashed = false) => ({
  width: NODE_WIDTH,
  background: '#fff',
  borderRadius: 8,
  border: `${selected ? 2 : 1}px ${dashed ? 'dashed' : 'solid'} ${problems ? '#ff4d4f' : selected ? '#1677ff' : '#d9d9d9'}`,
  borderTop: `4px solid ${problems ? '#ff4d4f' : color}`,
  boxShadow: problems ? '0 0 0 3px rgba(255, 77, 79, 0.15)' : '0 1px 2px rgba(0, 0, 0, 0.06)',
  padding: '8px 10px',
  fontSize: 12,
});

function ProblemBadge({ problems }: { problems: Problem[] }) {
  const { t } = useTranslation();
  if (!problems.length) return null;
  return (
    <Tooltip
      title={<ProblemItems problems={problems} />}
    >
      <Tag color="error" icon={<WarningOutlined />} style={{ marginInlineEnd: 0 }} data-testid="node-problems">
        {t('journeyCanvas.problemCount', { count: problems.length })}
      </Tag>
    </Tooltip>
  );
}

/** The entry card: how customers enter, re-entry, holdout, goal; its handle is `start`. */
export function EntryCard({ data, selected }: NodeProps<EntryNode>) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <div style={box('#1677ff', selected, data.problems.length)} data-testid="canvas-entry" data-problems={data.problems.length}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: 4 }}>
        <strong>
          <LoginOutlined /> {t('journeyCanvas.entryTitle')}
        </strong>
        <ProblemBadge problems={data.problems} />
      </div>
      {entrySummary(data.settings, (k, v) => t(k, v), format).map((line) => (
        <div key={line.label} style={{ whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}>
          <span className="siyu-hint">{line.label}</span> {line.value}
        </div>
      ))}
      <Handle type="source" position={Position.Bottom} id="start" data-testid="handle-entry-start" />
    </div>
  );
}

/** A step: its kind's icon and colour, its id, a one-line summary; a handle per branch along the bottom. */
export function StepCard({ id, data, selected }: NodeProps<StepNode>) {
  const { t } = useTranslation();
  const format = useFormat();
  const step = data.step as { kind?: unknown };
  const kind = isStepKind(step?.kind) ? step.kind : undefined;
  const style = kind ? KIND_STYLE[kind] : UNKNOWN_STYLE;
  const branches = branchesOf(data.step);
  return (
    <div style={{ ...box(style.color, selected, data.problems.length, !data.isReachable), opacity: data.isReachable ? 1 : 0.75 }} data-testid={`canvas-node-${id}`} data-problems={data.problems.length}>
      <Handle type="target" position={Position.Top} />
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 4 }}>
        <span style={{ color: style.color, whiteSpace: 'nowrap' }}>
          {style.icon} {t(`journeyCanvas.kind.${kind ?? 'unknown'}`)}
        </span>
        <span>
          {data.isStart && (
            <Tag color="blue" data-testid="node-start">
              {t('journeyCanvas.start')}
            </Tag>
          )}
          {!data.isReachable && <Tag>{t('journeyCanvas.unreachable')}</Tag>}
          <ProblemBadge problems={data.problems} />
        </span>
      </div>
      <div style={{ fontWeight: 600, margin: '2px 0' }}>
        <code>{id}</code>
      </div>
      <div style={{ whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }} data-testid="node-summary">
        {stepSummary(data.step, (k, v) => t(k, v), format)}
      </div>
      {data.unlinked.length > 0 && (
        <div style={{ color: '#fa8c16' }} data-testid="node-unlinked">
          <DisconnectOutlined /> {t('journeyCanvas.unlinked', { branches: data.unlinked.join(t('journeyCanvas.listSeparator')) })}
        </div>
      )}
      {branches.length > 0 && <div style={{ height: 12 }} />}
      {branches.map((b, i) => {
        const left = `${((i + 1) * 100) / (branches.length + 1)}%`;
        return (
          <div key={b.handle}>
            {branches.length > 1 && <span style={{ position: 'absolute', bottom: 2, left, transform: 'translateX(-50%)', fontSize: 10, color: '#8c8c8c', whiteSpace: 'nowrap' }}>{branchLabel(b.field, b.variant?.name, t)}</span>}
            <Handle type="source" position={Position.Bottom} id={b.handle} style={{ left, background: style.color, width: 10, height: 10 }} data-testid={`handle-${id}-${b.handle}`} />
          </div>
        );
      })}
    </div>
  );
}

/** A link's name on its edge and under its handle: 事件发生 / 超时, 是 / 否, a split arm's name; `next` has none. */
export function branchLabel(field: string, variant: string | undefined, t: (key: string) => string): string {
  if (field === 'variant') return variant ?? '';
  return field === 'next' || field === 'start' ? '' : t(`journeyCanvas.branch.${field}`);
}

/** A step a link names but the journey lacks. */
export function MissingCard({ data, selected }: NodeProps<MissingNode>) {
  const { t } = useTranslation();
  return (
    <div style={{ ...box('#ff4d4f', selected, 1, true), background: '#fff1f0' }} data-testid={`canvas-missing-${data.name}`}>
      <Handle type="target" position={Position.Top} />
      <WarningOutlined style={{ color: '#ff4d4f' }} /> {t('journeyCanvas.missing', { name: data.name })}
    </div>
  );
}

export const NODE_TYPES = { entry: EntryCard, step: StepCard, missing: MissingCard };
