import { assertNever, SiyuError, type ErrorDetail } from '../core/errors.ts';
import { zodDetails } from '../core/validation.ts';
import { parseSchedule } from '../core/cron.ts';
import { parseSegmentDefinition } from '../segment/index.ts';
import { JourneyDefinition, type JourneyNode } from './schemas.ts';

/** The steps a step leads to, with the field that names each. */
export function successors(node: JourneyNode): { field: string; id: string }[] {
  switch (node.kind) {
    case 'wait':
    case 'message':
    case 'update':
    case 'webhook':
    case 'coupon':
    case 'points':
      return [{ field: 'next', id: node.next }];
    case 'wait_for_event':
      return [
        { field: 'on_event', id: node.on_event },
        { field: 'on_timeout', id: node.on_timeout },
      ];
    case 'condition':
      return [
        { field: 'then', id: node.then },
        { field: 'else', id: node.else },
      ];
    case 'split':
      return node.variants.map((v, i) => ({ field: `variants[${i}].next`, id: v.next }));
    case 'exit':
      return [];
    default:
      return assertNever(node);
  }
}

/** Problems zod cannot see: references, reachability, cycles, one wait target, conditions, schedules. */
function graphProblems(definition: JourneyDefinition, timezone: string): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const { nodes } = definition;
  if (!nodes[definition.start]) problems.push({ path: 'start', message: `no step ${JSON.stringify(definition.start)} in nodes` });
  for (const [id, node] of Object.entries(nodes)) {
    const at = `nodes.${id}`;
    for (const { field, id: target } of successors(node)) {
      if (!nodes[target]) problems.push({ path: `${at}.${field}`, message: `no step ${JSON.stringify(target)} in nodes` });
    }
    if (node.kind === 'wait') {
      const targets = [node.duration, node.until_time, node.until_date, node.until_trait].filter((t) => t !== undefined);
      if (targets.length !== 1) problems.push({ path: at, message: 'a wait has exactly one of duration, until_time, until_date or until_trait' });
    }
    if (node.kind === 'condition') problems.push(...conditionProblems(node.condition, `${at}.condition`));
    if (node.kind === 'split') {
      const names = node.variants.map((v) => v.name);
      if (new Set(names).size !== names.length) problems.push({ path: `${at}.variants`, message: 'variant names must differ' });
    }
  }
  definition.exits.forEach((exit, i) => {
    if (exit.kind === 'condition') problems.push(...conditionProblems(exit.condition, `exits[${i}].condition`));
  });
  if (definition.entry.kind === 'broadcast') {
    const { at, cron } = definition.entry;
    if ((at === undefined) === (cron === undefined)) problems.push({ path: 'entry', message: 'a broadcast has exactly one of at (one-off) or cron (recurring)' });
    if (cron !== undefined) {
      try {
        parseSchedule(cron, timezone, 'entry.cron');
      } catch (error) {
        problems.push({ path: 'entry.cron', message: (error as Error).message });
      }
    }
  }
  if (problems.length === 0) problems.push(...shapeProblems(definition));
  return problems;
}

function conditionProblems(condition: unknown, path: string): ErrorDetail[] {
  try {
    parseSegmentDefinition(condition);
    return [];
  } catch (error) {
    const details = error instanceof SiyuError ? error.details : [{ message: (error as Error).message }];
    return details.map((d) => ({ path: d.path && d.path !== '(root)' ? `${path}.${d.path}` : path, message: d.message }));
  }
}

/** Steps not reachable from start, and cycles (a journey is a directed acyclic graph: each step runs once). */
function shapeProblems(definition: JourneyDefinition): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'open') {
      problems.push({ path: `nodes.${id}`, message: `a loop: ${[...trail.slice(trail.indexOf(id)), id].join(' → ')}; a journey's steps may not lead back` });
      return;
    }
    state.set(id, 'open');
    for (const next of successors(definition.nodes[id]!)) visit(next.id, [...trail, id]);
    state.set(id, 'done');
  };
  visit(definition.start, []);
  for (const id of Object.keys(definition.nodes)) if (!state.has(id)) problems.push({ path: `nodes.${id}`, message: 'not reachable from start' });
  return problems;
}

/**
 * Parses a definition and checks it whole: every problem is reported with the path of the step and field, for
 * example `nodes.send_a.content.body: Required` or `nodes.check.then: no step "gone" in nodes`.
 */
export function parseJourneyDefinition(value: unknown, timezone = 'Asia/Shanghai'): JourneyDefinition {
  const parsed = JourneyDefinition.safeParse(value);
  const problems = parsed.success ? graphProblems(parsed.data, timezone) : zodDetails(parsed.error);
  if (problems.length > 0) {
    throw new SiyuError('validation', 'invalid_journey', `invalid journey: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { details: problems });
  }
  return parsed.data!;
}
