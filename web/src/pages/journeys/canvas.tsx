import { ApartmentOutlined } from '@ant-design/icons';
import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MarkerType,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { Alert, Button, Card, Col, Row, Space, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { branchLabel, KIND_STYLE, NODE_TYPES } from './canvas-nodes.tsx';
import { addStep, connect, remove } from './edits.ts';
import { branchesOf, ENTRY_ID, STEP_KINDS, toGraph, type StepKind } from './graph.ts';
import type { XY } from './layout.ts';
import { laidOutAgain, placeGraph, withPositions } from './positions.ts';
import { EntryPanel } from './entry-panel.tsx';
import { groupProblems, handleOf, type Problem } from './problems.ts';
import { ProblemList } from './problem-list.tsx';
import { StepPanel } from './step-panel.tsx';

type Json = Record<string, unknown>;

const DRAG_TYPE = 'application/x-siyu-step';
const FIT = { padding: 0.15, maxZoom: 1 };

/** The journey as a graph to edit: a palette of step kinds, the canvas, and the selected step's panel. */
export function JourneyCanvas(props: { definition: Json; problems: Problem[]; onChange: (definition: Json) => void }) {
  return (
    <ReactFlowProvider>
      <CanvasEditor {...props} />
    </ReactFlowProvider>
  );
}

function CanvasEditor({ definition, problems, onChange }: { definition: Json; problems: Problem[]; onChange: (definition: Json) => void }) {
  const { t } = useTranslation();
  const flow = useReactFlow();
  const graph = useMemo(() => placeGraph(toGraph(definition), definition), [definition]);
  const { byStep, general } = useMemo(() => groupProblems(problems), [problems]);
  const [selected, setSelected] = useState<string>();
  // Where the operator put nodes that stand for a missing step (not kept in the definition, whose layout holds steps).
  const placed = useRef(new Map<string, XY>());
  const [nodes, setNodes] = useState<Node[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);

  useEffect(() => {
    setNodes((before) => {
      const old = new Map(before.map((n) => [n.id, n]));
      return graph.nodes.map((n): Node => {
        const previous = old.get(n.id);
        const unlinked = n.data.role === 'step' ? branchesOf(n.data.step).filter((b) => !graph.edges.some((e) => e.source === n.id && e.sourceHandle === b.handle)).map((b) => branchLabel(b.field, b.variant?.name, t) || t('journeyCanvas.branch.next')) : [];
        const own = n.data.role === 'entry' ? general : n.data.role === 'step' ? (byStep.get(n.id) ?? []) : [];
        return {
          ...n,
          // A node being dragged stays under the pointer whatever else changes meanwhile (the server's problems arriving).
          position: previous?.dragging ? previous.position : (placed.current.get(n.id) ?? n.position),
          data: { ...n.data, problems: own, unlinked },
          selected: n.id === selected,
          deletable: n.id !== ENTRY_ID,
          ...(previous?.measured ? { measured: previous.measured } : {}),
        };
      });
    });
    setEdges((before) => {
      const chosen = new Set(before.filter((e) => e.selected).map((e) => e.id));
      return graph.edges.map((e): Edge => {
        const bad = (byStep.get(e.source) ?? (e.source === ENTRY_ID ? general : [])).some((p) => handleOf(p.path) === e.sourceHandle);
        const color = bad ? '#ff4d4f' : '#8c8c8c';
        return {
          ...e,
          label: branchLabel(e.data.field, e.data.variant, t) || undefined,
          selected: chosen.has(e.id),
          markerEnd: { type: MarkerType.ArrowClosed, color },
          style: { stroke: color, strokeWidth: bad ? 2 : 1.5 },
          labelStyle: { fontSize: 11 },
          reconnectable: true,
        };
      });
    });
  }, [graph, byStep, general, selected, t]);

  // The view follows the journey's shape (a step or link added or removed), so what changed stays in sight.
  const shape = `${graph.nodes.map((n) => n.id).join()}|${graph.edges.map((e) => `${e.id}>${e.target}`).join()}`;
  useEffect(() => {
    const timer = window.setTimeout(() => void flow.fitView(FIT), 50);
    return () => window.clearTimeout(timer);
  }, [shape, flow]);

  const onNodesChange = useCallback((changes: NodeChange[]) => {
    // Removal is a change to the definition (onDelete); selection is the panel's.
    const kept = changes.filter((c) => c.type !== 'remove' && c.type !== 'select');
    setNodes((ns) => applyNodeChanges(kept, ns));
  }, []);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => setEdges((es) => applyEdgeChanges(changes.filter((c) => c.type !== 'remove'), es)), []);
  const onConnect = useCallback((c: Connection) => c.sourceHandle && onChange(connect(definition, { source: c.source, sourceHandle: c.sourceHandle, target: c.target })), [definition, onChange]);
  const onReconnect = useCallback(
    (old: Edge, c: Connection) => {
      const moved = old.source !== c.source || old.sourceHandle !== c.sourceHandle ? remove(definition, { edges: [old.id] }) : definition;
      if (c.sourceHandle) onChange(connect(moved, { source: c.source, sourceHandle: c.sourceHandle, target: c.target }));
    },
    [definition, onChange],
  );
  const add = (kind: StepKind, at?: XY) => {
    const made = addStep(definition, kind);
    onChange(at ? withPositions(made.definition, [[made.id, at]]) : made.definition);
    setSelected(made.id);
  };
  // Where the operator leaves a step or the entry card is kept in the definition's layout, and saved with it.
  const onNodeDragStop = (dragged: Node[]) => {
    const kept = dragged.filter((n) => n.type !== 'missing');
    for (const n of dragged) if (n.type === 'missing') placed.current.set(n.id, n.position);
    if (kept.length) onChange(withPositions(definition, kept.map((n) => [n.id, n.position] as const)));
  };
  const onDrop = (event: DragEvent) => {
    const kind = event.dataTransfer.getData(DRAG_TYPE) as StepKind;
    if (!STEP_KINDS.includes(kind)) return;
    event.preventDefault();
    add(kind, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };
  const relayout = () => {
    placed.current.clear();
    onChange(laidOutAgain(definition));
    window.setTimeout(() => void flow.fitView(FIT), 50);
  };
  const steps = (definition.nodes ?? {}) as Json;
  const selectedStep = selected && Object.hasOwn(steps, selected) ? selected : undefined;
  const missing = selected && !selectedStep && selected !== ENTRY_ID ? graph.nodes.find((n) => n.id === selected) : undefined;

  return (
    <Row gutter={16}>
      <Col xs={24} xl={16}>
        <Card
          size="small"
          title={
            <Space wrap size={4} data-testid="canvas-palette">
              {STEP_KINDS.map((kind) => (
                <Button key={kind} size="small" icon={KIND_STYLE[kind].icon} style={{ color: KIND_STYLE[kind].color }} draggable onDragStart={(e) => e.dataTransfer.setData(DRAG_TYPE, kind)} onClick={() => add(kind)} data-testid={`palette-${kind}`}>
                  {t(`journeyCanvas.kind.${kind}`)}
                </Button>
              ))}
            </Space>
          }
          extra={
            <Button size="small" icon={<ApartmentOutlined />} onClick={relayout} data-testid="canvas-layout">
              {t('journeyCanvas.layout')}
            </Button>
          }
          styles={{ body: { padding: 0 } }}
        >
          <div style={{ height: 560 }} onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="journey-canvas">
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={NODE_TYPES}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onReconnect={onReconnect}
              onDelete={({ nodes: ns, edges: es }) => {
                onChange(remove(definition, { nodes: ns.map((n) => n.id), edges: es.map((e) => e.id) }));
                if (ns.some((n) => n.id === selected)) setSelected(undefined);
              }}
              onNodeClick={(_, node) => setSelected(node.id)}
              onNodeDragStop={(_, __, dragged) => onNodeDragStop(dragged)}
              onEdgeClick={() => setSelected(undefined)}
              onPaneClick={() => setSelected(undefined)}
              isValidConnection={(c) => c.target !== ENTRY_ID && c.source !== c.target}
              deleteKeyCode={['Backspace', 'Delete']}
              fitView
              fitViewOptions={FIT}
              minZoom={0.2}
              ariaLabelConfig={{
                'controls.ariaLabel': t('journeyCanvas.aria.controls'),
                'controls.zoomIn.ariaLabel': t('journeyCanvas.aria.zoomIn'),
                'controls.zoomOut.ariaLabel': t('journeyCanvas.aria.zoomOut'),
                'controls.fitView.ariaLabel': t('journeyCanvas.aria.fitView'),
                'controls.interactive.ariaLabel': t('journeyCanvas.aria.interactive'),
                'handle.ariaLabel': t('journeyCanvas.aria.handle'),
              }}
            >
              <Background gap={16} />
              <Controls showInteractive={false} />
            </ReactFlow>
          </div>
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card size="small" title={selectedStep ? <code>{selectedStep}</code> : selected === ENTRY_ID ? t('journeyCanvas.entryTitle') : t('journeyCanvas.panelTitle')} data-testid="canvas-panel">
          {selectedStep ? (
            <StepPanel id={selectedStep} definition={definition} problems={byStep.get(selectedStep) ?? []} onChange={onChange} onSelect={setSelected} />
          ) : selected === ENTRY_ID ? (
            <EntryPanel definition={definition} problems={general} onChange={onChange} />
          ) : missing?.data.role === 'missing' ? (
            <Alert type="warning" showIcon title={t('journeyCanvas.missingHelp', { name: missing.data.name })} />
          ) : (
            <>
              <ProblemList problems={general} />
              <Typography.Paragraph type="secondary">{t('journeyCanvas.help')}</Typography.Paragraph>
            </>
          )}
        </Card>
      </Col>
    </Row>
  );
}
