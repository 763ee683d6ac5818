import { SiyuError } from '../core/errors.ts';
import type { Queryable } from '../store/index.ts';
import { attributeDefinitions } from './attributes.ts';
import { SEGMENT_FIELDS } from './builder.ts';
import { RFM_CLASSES } from './rfm.ts';
import { STAGES } from './lifecycle.ts';
import { TIERS } from './tiers.ts';

/** What a segment definition can be built from, for a visual builder: every condition's name, type and known values. */
export interface SegmentCatalogue {
  /** Layer and profile fields (`{ field }` conditions), with the values a text field takes now. */
  fields: { name: string; type: 'number' | 'text'; values: { value: string; zh: string; en: string }[] }[];
  /** Computed attributes (`{ attribute }` conditions), built-in and the brand's own. */
  attributes: { name: string; zh: string; en: string; type: 'number' | 'text' | 'date'; description: string }[];
  /** Tags in use or defined (`{ tag }` conditions). */
  tags: string[];
  /** Tracked event names, most frequent first (`{ event }` conditions). */
  events: { name: string; events: number }[];
}

const label = (value: string) => ({ value, zh: value, en: value });

/**
 * The building blocks of segment definitions as they stand in the store: the fields of SEGMENT_FIELDS with their
 * codes and names (stages, tiers, RFM classes) or the values in use (clusters, cities, channels, genders), the
 * attribute definitions, the tags and the 50 most frequent tracked events.
 */
export async function segmentCatalogue(db: Queryable): Promise<SegmentCatalogue> {
  const inUse = async (sql: string) => (await db.query<{ value: string }>(sql)).map((r) => label(String(r.value)));
  const known: Record<string, () => Promise<{ value: string; zh: string; en: string }[]>> = {
    rfm_class: async () => RFM_CLASSES.map((c) => ({ value: c.code, zh: c.zh, en: c.en })),
    stage: async () => STAGES.map((s) => ({ value: s.code, zh: s.zh, en: s.en })),
    tier: async () => TIERS.map((t) => ({ value: t.code, zh: t.zh, en: t.en })),
    cluster: () => inUse('SELECT DISTINCT name AS value FROM customer_clusters ORDER BY 1'),
    city: () => inUse('SELECT city AS value FROM customers WHERE city IS NOT NULL GROUP BY city ORDER BY count(*) DESC, city LIMIT 100'),
    channel: () => inUse('SELECT channel AS value FROM customers WHERE channel IS NOT NULL GROUP BY channel ORDER BY count(*) DESC, channel LIMIT 100'),
    gender: () => inUse('SELECT DISTINCT gender AS value FROM customers WHERE gender IS NOT NULL ORDER BY 1'),
  };
  const fields = [];
  for (const [name, field] of Object.entries(SEGMENT_FIELDS)) fields.push({ name, type: field.type, values: field.type === 'text' ? ((await known[name]?.()) ?? []) : [] });
  const attributes = (await attributeDefinitions(db)).map((a) => ({ name: a.name, zh: a.zh, en: a.en, type: a.type, description: a.description }));
  const tags = (await db.query<{ tag: string }>('SELECT name AS tag FROM tag_definitions UNION SELECT DISTINCT tag FROM customer_tags ORDER BY 1')).map((r) => r.tag);
  const events = await db.query<{ name: string; n: number }>("SELECT name, count(*) AS n FROM events WHERE type = 'track' AND name IS NOT NULL GROUP BY name ORDER BY n DESC, name LIMIT 50");
  return { fields, attributes, tags, events: events.map((e) => ({ name: e.name, events: Number(e.n) })) };
}

export interface SegmentRefresh {
  asOf: string;
  members: number;
  entered: number;
  exited: number;
  refreshedAt: Date;
}

/** A saved segment's membership over time: one row per refreshed day, oldest first (segment_refreshes). */
export async function segmentRefreshes(db: Queryable, name: string): Promise<SegmentRefresh[]> {
  const [segment] = await db.query('SELECT name FROM segments WHERE name = $1', [name]);
  if (!segment) throw new SiyuError('not_found', 'unknown_segment', `no segment named ${JSON.stringify(name)}; see \`siyu segment list\``);
  const rows = await db.query<{ as_of: string; members: number; entered: number; exited: number; refreshed_at: Date }>(
    'SELECT as_of, members, entered, exited, refreshed_at FROM segment_refreshes WHERE segment = $1 ORDER BY as_of',
    [name],
  );
  return rows.map((r) => ({ asOf: r.as_of, members: Number(r.members), entered: Number(r.entered), exited: Number(r.exited), refreshedAt: r.refreshed_at }));
}
