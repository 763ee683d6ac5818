import { z } from 'zod';

// Segment spec messages (https://segment.com/docs/connections/spec/). Ingest accepts unknown keys,
// because the spec allows them, and keeps them in `context`/`properties`/`traits` as sent.

const Id = z.union([z.string().min(1).max(512), z.number().transform(String)]);
const Timestamp = z.union([z.string(), z.date()]).transform((value, ctx) => {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: `not an ISO-8601 timestamp: ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return date;
});
const Dict = z.record(z.string(), z.unknown());

const Common = {
  messageId: z.string().min(1).max(512).optional(),
  userId: Id.nullish(),
  anonymousId: Id.nullish(),
  timestamp: Timestamp.optional(),
  originalTimestamp: Timestamp.optional(),
  sentAt: Timestamp.optional(),
  context: Dict.optional(),
  integrations: Dict.optional(),
};

export const IdentifyMessage = z.looseObject({ ...Common, type: z.literal('identify'), traits: Dict.optional() });
export const TrackMessage = z.looseObject({ ...Common, type: z.literal('track'), event: z.string().min(1).max(200), properties: Dict.optional() });
const Viewed = { ...Common, name: z.string().nullish(), category: z.string().nullish(), properties: Dict.optional() };
export const PageMessage = z.looseObject({ ...Viewed, type: z.literal('page') });
export const ScreenMessage = z.looseObject({ ...Viewed, type: z.literal('screen') });
export const GroupMessage = z.looseObject({ ...Common, type: z.literal('group'), groupId: Id, traits: Dict.optional() });
export const AliasMessage = z.looseObject({ ...Common, type: z.literal('alias'), previousId: Id, userId: Id });

export const MessageTypes = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MessageTypes)[number];

// Every type but alias needs userId or anonymousId; prepareMessage checks that beside the schema, so the
// problem is reported together with any other (a zod refinement would only run once the rest is valid).
export const Message = z.discriminatedUnion('type', [IdentifyMessage, TrackMessage, PageMessage, ScreenMessage, GroupMessage, AliasMessage]);
export type Message = z.output<typeof Message>;

/** `POST /v1/batch`: the array is checked here; each element is validated on its own so good ones are kept. */
export const BatchBody = z.looseObject({
  batch: z.array(z.unknown()).max(10_000),
  context: Dict.optional(),
  sentAt: z.unknown().optional(),
  writeKey: z.string().optional(),
});

/** The schemas the single-message routes are documented with, keyed by route. */
export const RouteSchemas: Record<MessageType, z.ZodType> = {
  identify: IdentifyMessage,
  track: TrackMessage,
  page: PageMessage,
  screen: ScreenMessage,
  group: GroupMessage,
  alias: AliasMessage,
};
