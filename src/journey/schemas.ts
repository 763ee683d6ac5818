import { z } from 'zod';

/** A step id: lower-case letters, digits, `_` and `-`, starting with a letter. */
export const NodeId = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a step id is lower-case letters, digits, _ or -, starting with a letter');

const DURATION = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** A duration such as `30m`, `1h`, `3d` or `2w`. */
export const Duration = z.string().regex(DURATION, 'a duration is a whole number and a unit: 30m, 1h, 3d, 2w');

/** Milliseconds of a Duration. */
export function durationMs(duration: string): number {
  const [, amount, unit] = DURATION.exec(duration)!;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

/** A filter on an event property, as in the segment DSL's event conditions. */
export const PropertyFilter = z
  .object({
    property: z.string().regex(/^[\w.-]+$/, 'a property name is letters, digits, _, . or -'),
    op: z.enum(['=', '!=', '>', '>=', '<', '<=', 'in', 'not_in', 'contains']),
    value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]),
  })
  .strict();
export type PropertyFilter = z.infer<typeof PropertyFilter>;

/** An event, by name, with optional property filters. */
const EventMatch = { event: z.string().min(1), where: z.array(PropertyFilter).default([]) };

/** How customers come in. */
export const Entry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('segment'), segment: z.string().min(1).describe('enter on each Segment Entered of this saved segment') }).strict(),
  z.object({ kind: z.literal('event'), ...EventMatch }).strict().describe('enter on each matching event, e.g. Product Added or Stage Changed with to = dormant'),
  z
    .object({
      kind: z.literal('broadcast'),
      segment: z.string().min(1),
      at: z.iso.datetime({ offset: true }).optional().describe('one-off: send to the segment\'s members at this time'),
      cron: z.string().min(1).optional().describe('recurring, in the brand timezone'),
    })
    .strict(),
  z.object({ kind: z.literal('api') }).strict().describe('enter through POST /v1/journeys/:id/enter'),
]);
export type Entry = z.infer<typeof Entry>;

/** Whether a customer may enter again. Never two live passes of one journey at once, whatever the rule. */
export const Reentry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('once') }).strict(),
  z.object({ kind: z.literal('after_exit') }).strict(),
  z.object({ kind: z.literal('after_days'), days: z.number().int().positive().max(3650) }).strict(),
]);
export type Reentry = z.infer<typeof Reentry>;

const Next = NodeId.describe('the next step');
const Channel = z.enum(['sms', 'email', 'wecom', 'miniprogram', 'webhook']);
export type ChannelName = z.infer<typeof Channel>;

/** What a message says: Liquid templates over the customer, the journey's context and recommendations. */
export const MessageContent = z
  .object({
    subject: z.string().min(1).optional().describe('email subject'),
    body: z.string().min(1).describe('Liquid template: {{ customer.name }}, {{ recommendations[0].name }}, {{ context.coupon_code }}'),
    template: z.string().min(1).optional().describe('the provider\'s template code (SMS, mini-program, WeCom)'),
    params: z.record(z.string(), z.string()).optional().describe('provider template parameters, each a Liquid template'),
  })
  .strict();
export type MessageContent = z.infer<typeof MessageContent>;

/** The steps of a journey: a tagged union on `kind`. */
export const Node = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('wait'),
      duration: Duration.optional(),
      until_time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time is HH:MM').optional().describe('the next time of day, in the customer\'s timezone'),
      until_date: z.iso.date().optional().describe('a day (00:00 in the customer\'s timezone)'),
      until_trait: z.string().regex(/^[\w.-]+$/).optional().describe('a date trait, such as birthday: its next anniversary'),
      next: Next,
    })
    .strict(),
  z.object({ kind: z.literal('wait_for_event'), ...EventMatch, timeout: Duration, on_event: Next, on_timeout: Next }).strict(),
  z.object({ kind: z.literal('condition'), condition: z.unknown().describe('a segment DSL condition, evaluated when the step runs'), then: Next, else: Next }).strict(),
  z
    .object({
      kind: z.literal('split'),
      variants: z.array(z.object({ name: z.string().min(1).max(40), weight: z.number().positive(), next: Next }).strict()).min(2).max(10),
    })
    .strict(),
  z
    .object({
      kind: z.literal('message'),
      channel: Channel,
      content: MessageContent,
      fallback: Channel.optional().describe('another channel when this one cannot reach the customer'),
      transactional: z.boolean().default(false).describe('exempt from frequency caps and quiet hours (order notices, not marketing)'),
      next: Next,
    })
    .strict(),
  z
    .object({
      kind: z.literal('update'),
      add_tags: z.array(z.string().min(1)).default([]),
      remove_tags: z.array(z.string().min(1)).default([]),
      set_traits: z.record(z.string().regex(/^[\w.-]+$/), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
      next: Next,
    })
    .strict(),
  z.object({ kind: z.literal('webhook'), url: z.url(), next: Next }).strict(),
  z
    .object({ kind: z.literal('coupon'), offer: z.string().min(1).describe('an active offer (siyu offers list): one coupon of it in each customer\'s wallet'), next: Next })
    .strict()
    .describe('issue a coupon (docs/loyalty.md); a customer gets one per step and day, however often the step runs'),
  z
    .object({
      kind: z.literal('points'),
      points: z.number().int().positive().max(1_000_000),
      reason: z.string().max(200).optional(),
      immediate: z.boolean().default(true).describe('usable at once, not after the program\'s pending period'),
      next: Next,
    })
    .strict()
    .describe('award points to each customer, once per instance'),
  z.object({ kind: z.literal('exit') }).strict(),
]);
export type JourneyNode = z.infer<typeof Node>;
export type NodeKind = JourneyNode['kind'];

/** What counts as converting: an event within some days of entering. */
export const Goal = z.object({ ...EventMatch, within_days: z.number().int().positive().max(365), revenue_property: z.string().default('total') }).strict();

/** Ends an instance wherever it is: an event, or a condition becoming true (checked as the engine runs). */
export const ExitCriterion = z.union([
  z.object({ kind: z.literal('event'), ...EventMatch }).strict(),
  z.object({ kind: z.literal('condition'), condition: z.unknown() }).strict(),
]);

/** A point on the console's canvas: a node's top-left corner, in canvas units. */
const Position = z.object({ x: z.number(), y: z.number() }).strict();

/**
 * Where the console's canvas draws the entry card and each step: presentation only, never read by the engine. A step
 * with no position here is placed by the canvas's automatic layout.
 */
export const Layout = z
  .object({
    entry: Position.optional().describe('the entry card'),
    nodes: z.record(z.string(), Position).optional().describe('by step id; a position for an id that is not a step of this definition is dropped'),
  })
  .strict()
  .describe('where the console draws the journey (presentation only; the engine ignores it)');
export type Layout = z.infer<typeof Layout>;

/**
 * A position left behind by a step renamed or removed by hand names nothing: it is dropped, not refused, because a
 * picture's leftover should not block saving a journey.
 */
function dropStrayPositions<T extends { layout?: Layout; nodes: Record<string, unknown> }>(definition: T): T {
  const positions = definition.layout?.nodes;
  if (!positions || Object.keys(positions).every((id) => Object.hasOwn(definition.nodes, id))) return definition;
  const nodes = Object.fromEntries(Object.entries(positions).filter(([id]) => Object.hasOwn(definition.nodes, id)));
  return { ...definition, layout: { ...definition.layout, nodes } };
}

/** A journey definition as operators write it (JSON). */
export const JourneyDefinition = z
  .object({
    entry: Entry,
    reentry: Reentry.default({ kind: 'once' }),
    holdout: z.number().min(0).max(0.5).default(0).describe('share of entrants held out of every message, to measure uplift'),
    priority: z.number().int().min(0).max(100).default(50).describe('higher wins when frequency caps would be exceeded'),
    goal: Goal.optional(),
    exits: z.array(ExitCriterion).default([]),
    start: NodeId,
    nodes: z.record(NodeId, Node),
    layout: Layout.optional(),
  })
  .strict()
  .overwrite(dropStrayPositions);
export type JourneyDefinition = z.infer<typeof JourneyDefinition>;
export type JourneyDefinitionInput = z.input<typeof JourneyDefinition>;

/** Creating or replacing a journey's draft. */
export const JourneyInput = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a journey id is lower-case letters, digits and -, starting with a letter'),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    definition: z.unknown(),
  })
  .strict();
export type JourneyInput = z.infer<typeof JourneyInput>;
