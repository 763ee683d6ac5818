import { renderTemplate } from '../channels/index.ts';
import { assertNever, SiyuError } from '../core/errors.ts';
import { stableBucket } from '../core/hash.ts';
import { localParts, nextAnniversary, nextLocalTime, zonedInstant } from '../core/local-time.ts';
import { compileSegment, customerSummaries, type CustomerSummary } from '../segment/index.ts';
import { readBrandSettings, type Store } from '../store/index.ts';
import { getJourney } from './definitions.ts';
import { BUCKETS } from './entry.ts';
import { matchesFilters } from './filters.ts';
import { durationMs, type JourneyDefinition, type JourneyNode } from './schemas.ts';

/** One step of a dry run: when, which step, what happened, and the message it would queue. */
export interface SimulatedStep {
  at: Date;
  node: string;
  kind: JourneyNode['kind'];
  outcome: string;
  message?: { channel: string; subject?: string; body: string; params?: Record<string, string> };
}

export interface Simulation {
  journeyId: string;
  version: number;
  customerId: string;
  heldOut: boolean;
  steps: SimulatedStep[];
  /** Where the path ended: completed, exited, or still waiting at the end of the window. */
  end: string;
  /** The goal event within its window, if the customer's recorded events hold one. */
  convertedAt: Date | null;
}

const MAX_STEPS = 200;

/**
 * A dry run of one customer through a journey's published version, entering at `from`, over `days` days: waits move
 * a simulated clock; a wait for an event looks at the customer's recorded events; conditions are evaluated on the
 * store as it is now (as of each step's day); splits and the holdout use the engine's stable hash; messages are
 * rendered but neither queued nor sent. Nothing is written.
 */
export async function simulateJourney(store: Store, journeyId: string, options: { customerId: string; from: Date; days: number }): Promise<Simulation> {
  const journey = await getJourney(store, journeyId);
  const d = journey.definition;
  if (!d || journey.publishedVersion === null) throw new SiyuError('conflict', 'not_published', `journey ${journeyId} has never been published`);
  const summary = (await customerSummaries(store, [options.customerId])).get(options.customerId);
  if (!summary) throw new SiyuError('not_found', 'customer_not_found', `no customer ${JSON.stringify(options.customerId)}`);
  const { timezone: brandZone } = await readBrandSettings(store);
  const tz = typeof summary.traits.timezone === 'string' ? summary.traits.timezone : brandZone;
  const until = new Date(options.from.getTime() + options.days * 86_400_000);
  const events = await store.query<{ name: string; properties: Record<string, unknown> | null; ts: Date }>(
    'SELECT name, properties, ts FROM events WHERE customer_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts',
    [options.customerId, options.from, until],
  );
  const firstEvent = (match: { event: string; where: Parameters<typeof matchesFilters>[1] }, after: Date, before: Date) =>
    events.find((e) => e.name === match.event && e.ts >= after && e.ts < before && matchesFilters(e.properties, match.where));
  const goal = d.goal ? firstEvent(d.goal, options.from, new Date(options.from.getTime() + d.goal.within_days * 86_400_000)) : undefined;
  const result: Simulation = { journeyId, version: journey.publishedVersion, customerId: options.customerId, heldOut: false, steps: [], end: '', convertedAt: goal?.ts ?? null };
  if (stableBucket(`${options.customerId}:${journeyId}`, BUCKETS) < Math.round(d.holdout * BUCKETS)) {
    return { ...result, heldOut: true, end: 'held out: no steps, no messages; tracked for the goal' };
  }
  let at = options.from;
  let id = d.start;
  for (let n = 0; n < MAX_STEPS; n++) {
    const node = d.nodes[id]!;
    const step = (outcome: string, extra: Partial<SimulatedStep> = {}) => result.steps.push({ at, node: id, kind: node.kind, outcome, ...extra });
    const next = await walk(store, d, node, { journeyId, nodeId: id, customerId: options.customerId, at, tz, until, summary, firstEvent });
    if (next.wake && next.wake >= until) return { ...result, end: `waiting at ${id} until ${next.wake.toISOString()} (after the window)` };
    if (next.wake) at = next.wake;
    step(next.outcome, next.message ? { message: next.message } : {});
    if (!next.to) return { ...result, end: node.kind === 'exit' ? 'completed' : `exited: ${next.outcome}` };
    id = next.to;
  }
  return { ...result, end: `stopped after ${MAX_STEPS} steps` };
}

interface WalkContext {
  journeyId: string;
  nodeId: string;
  customerId: string;
  at: Date;
  tz: string;
  until: Date;
  summary: CustomerSummary;
  firstEvent: (match: { event: string; where: Parameters<typeof matchesFilters>[1] }, after: Date, before: Date) => { ts: Date } | undefined;
}

/** Where one step leads in the dry run: the outcome, the next step (none: the end), when, and a rendered message. */
async function walk(store: Store, d: JourneyDefinition, node: JourneyNode, c: WalkContext): Promise<{ outcome: string; to?: string; wake?: Date; message?: SimulatedStep['message'] }> {
  switch (node.kind) {
    case 'wait': {
      let wake: Date | undefined;
      if (node.duration) wake = new Date(c.at.getTime() + durationMs(node.duration));
      else if (node.until_time) wake = nextLocalTime(c.tz, c.at, Number(node.until_time.slice(0, 2)), Number(node.until_time.slice(3)));
      else if (node.until_date) wake = zonedInstant(c.tz, Number(node.until_date.slice(0, 4)), Number(node.until_date.slice(5, 7)), Number(node.until_date.slice(8, 10)));
      else {
        const day = node.until_trait === 'birthday' ? c.summary.birthday : c.summary.traits[node.until_trait!];
        if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(day)) return { outcome: `no ${node.until_trait}` };
        wake = nextAnniversary(c.tz, c.at, Number(day.slice(5, 7)), Number(day.slice(8, 10)));
      }
      return { outcome: 'waited', to: node.next, wake };
    }
    case 'wait_for_event': {
      const timeout = new Date(c.at.getTime() + durationMs(node.timeout));
      const event = c.firstEvent(node, c.at, timeout);
      return event ? { outcome: 'event', to: node.on_event, wake: event.ts } : { outcome: 'timed out', to: node.on_timeout, wake: timeout };
    }
    case 'condition': {
      const local = localParts(c.tz, c.at);
      const day = `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
      const { sql, params } = await compileSegment(store, node.condition, day);
      const [hit] = await store.query(`SELECT 1 AS hit FROM (${sql}) m WHERE m.customer_id = $${params.length + 1}`, [...params, c.customerId]);
      return hit ? { outcome: 'then', to: node.then } : { outcome: 'else', to: node.else };
    }
    case 'split': {
      const bucket = stableBucket(`${c.customerId}:${c.journeyId}:${c.nodeId}`, BUCKETS);
      const total = node.variants.reduce((s, v) => s + v.weight, 0);
      let edge = 0;
      const arm = node.variants.find((v, i) => bucket < (edge = i === node.variants.length - 1 ? BUCKETS : Math.round(edge + (v.weight / total) * BUCKETS))) ?? node.variants.at(-1)!;
      return { outcome: arm.name, to: arm.next };
    }
    case 'message': {
      const variables = { customer: c.summary, recommendations: [], context: {}, journey: { id: c.journeyId } };
      const render = (source: string) => renderTemplate(source, variables);
      const params = node.content.params ? Object.fromEntries(Object.entries(node.content.params).map(([k, v]) => [k, render(v)])) : undefined;
      return { outcome: 'would queue', to: node.next, message: { channel: node.channel, subject: node.content.subject ? render(node.content.subject) : undefined, body: render(node.content.body), params } };
    }
    case 'update':
      return { outcome: `would tag +[${node.add_tags.join(', ')}] −[${node.remove_tags.join(', ')}]${Object.keys(node.set_traits).length ? `, set ${Object.keys(node.set_traits).join(', ')}` : ''}`, to: node.next };
    case 'webhook':
      return { outcome: `would call ${node.url}`, to: node.next };
    case 'coupon':
      return { outcome: `would issue a coupon of ${node.offer}`, to: node.next };
    case 'points':
      return { outcome: `would award ${node.points} points`, to: node.next };
    case 'exit':
      return { outcome: 'exit' };
    default:
      return assertNever(node);
  }
}
