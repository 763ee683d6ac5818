import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { latestOrderDay, type Queryable, type Store } from '../store/index.ts';
import { compileSegment, parseSegmentDefinition, type SegmentNode } from './builder.ts';

export interface SavedSegment {
  name: string;
  description: string | null;
  definition: SegmentNode;
}

/** Saves (or replaces) a named segment after checking its definition compiles. */
export async function saveSegment(store: Store, segment: { name: string; description?: string; definition: unknown }): Promise<SavedSegment> {
  if (!/^[\p{L}\p{N}_.-]{1,64}$/u.test(segment.name)) throw new SiyuError('validation', 'invalid_segment_name', `a segment name is 1-64 letters, digits, '_', '.' or '-', not ${JSON.stringify(segment.name)}`);
  const definition = parseSegmentDefinition(segment.definition);
  await compileSegment(store, definition, '2000-01-01');
  const now = new Date();
  await store.transaction(async (tx) => {
    const [existing] = await tx.query<{ created_at: Date }>('SELECT created_at FROM segments WHERE name = $1', [segment.name]);
    await tx.execute('DELETE FROM segments WHERE name = $1', [segment.name]);
    await tx.insertRows('segments', ['name', 'description', 'definition', 'created_at', 'updated_at'], [[segment.name, segment.description ?? null, JSON.stringify(definition), existing?.created_at ?? now, now]]);
  });
  return { name: segment.name, description: segment.description ?? null, definition };
}

export async function listSegments(db: Queryable): Promise<(SavedSegment & { members: number | null; asOf: string | null })[]> {
  const rows = await db.query<{ name: string; description: string | null; definition: SegmentNode; as_of: string | null; members: number | null }>(
    `SELECT s.name, s.description, s.definition, l.as_of, l.members FROM segments s
     LEFT JOIN (SELECT segment, as_of, count(*) AS members FROM segment_snapshots x
                WHERE as_of = (SELECT max(y.as_of) FROM segment_snapshots y WHERE y.segment = x.segment) GROUP BY segment, as_of) l ON l.segment = s.name
     ORDER BY s.name`,
  );
  return rows.map((r) => ({ name: r.name, description: r.description, definition: r.definition, asOf: r.as_of, members: r.members === null ? null : Number(r.members) }));
}

export interface RefreshReport {
  segment: string;
  asOf: string;
  members: number;
  entered: number;
  exited: number;
  /** The earlier snapshot the changes are counted against, if any. */
  previous: string | null;
}

/**
 * Recomputes a saved segment as of a day (default: the latest order day) and stores its members as that day's
 * snapshot. Customers new since the previous snapshot get a `Segment Entered` event and those gone a `Segment
 * Exited` event, with properties { segment, as_of }. Refreshing the same day again replaces its snapshot and events.
 */
export async function refreshSegment(store: Store, name: string, options: { asOf?: string } = {}): Promise<RefreshReport> {
  const [saved] = await store.query<{ definition: unknown }>('SELECT definition FROM segments WHERE name = $1', [name]);
  if (!saved) throw new SiyuError('not_found', 'unknown_segment', `no segment named ${JSON.stringify(name)}; see \`siyu segment list\``);
  const asOf = parseDay(options.asOf ?? (await latestOrderDay(store)) ?? new Date().toISOString().slice(0, 10), '--as-of');
  const { sql, params } = await compileSegment(store, typeof saved.definition === 'string' ? JSON.parse(saved.definition) : saved.definition, asOf);
  const members = (await store.query<{ customer_id: string }>(sql, params)).map((r) => r.customer_id);
  const [prev] = await store.query<{ as_of: string | null }>('SELECT max(as_of) AS as_of FROM segment_snapshots WHERE segment = $1 AND as_of < CAST($2 AS DATE)', [name, asOf]);
  const previous = prev?.as_of ?? null;
  const before = new Set(previous ? (await store.query<{ customer_id: string }>('SELECT customer_id FROM segment_snapshots WHERE segment = $1 AND as_of = CAST($2 AS DATE)', [name, previous])).map((r) => r.customer_id) : []);
  const now = new Set(members);
  const at = new Date(`${asOf}T23:59:59Z`);
  const received = new Date();
  const event = (id: string, kind: 'Entered' | 'Exited') => [id, `segment:${name}:${asOf}:${kind}:${id}`, 'track', `Segment ${kind}`, { segment: name, as_of: asOf }, at, received, 'siyu segment'];
  const entered = members.filter((id) => !before.has(id)).map((id) => event(id, 'Entered'));
  const exited = [...before].filter((id) => !now.has(id)).map((id) => event(id, 'Exited'));
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM segment_snapshots WHERE segment = $1 AND as_of = CAST($2 AS DATE)', [name, asOf]);
    await tx.execute(`DELETE FROM events WHERE source = 'siyu segment' AND message_id LIKE $1`, [`segment:${name}:${asOf}:%`]);
    await tx.appendRows('segment_snapshots', ['customer_id', 'segment', 'as_of'], members.map((id) => [id, name, asOf]));
    await tx.insertRows('events', ['customer_id', 'message_id', 'type', 'name', 'properties', 'ts', 'received_at', 'source'], [...entered, ...exited]);
  });
  return { segment: name, asOf, members: members.length, entered: entered.length, exited: exited.length, previous };
}

export interface MigrationMatrix {
  layer: string;
  from: string;
  to: string;
  /** Sankey-ready links: customers who were in `source` on `from` and in `target` on `to`. */
  links: { source: string; target: string; customers: number }[];
}

/**
 * How customers moved between two days: for lifecycle stages (from lifecycle_history: each customer's stage on a
 * day is their last change on or before it) or for a segment (in/out, from its snapshots).
 */
export async function layerMigration(db: Queryable, layer: { stage: true } | { segment: string }, from: string, to: string): Promise<MigrationMatrix> {
  parseDay(from, '--from');
  parseDay(to, '--to');
  if (to <= from) throw new SiyuError('validation', 'invalid_window', `--to (${to}) must be after --from (${from})`);
  const rows =
    'stage' in layer
      ? await db.query<{ source: string; target: string; customers: number }>(
          `WITH at_day AS (
             SELECT customer_id, to_stage, changed_on, row_number() OVER (PARTITION BY customer_id ORDER BY changed_on DESC) AS k
             FROM lifecycle_history WHERE changed_on <= CAST($1 AS DATE)
           ), a AS (SELECT customer_id, to_stage AS stage FROM at_day WHERE k = 1),
           later AS (
             SELECT customer_id, to_stage, row_number() OVER (PARTITION BY customer_id ORDER BY changed_on DESC) AS k
             FROM lifecycle_history WHERE changed_on <= CAST($2 AS DATE)
           ), b AS (SELECT customer_id, to_stage AS stage FROM later WHERE k = 1)
           SELECT coalesce(a.stage, '(none)') AS source, b.stage AS target, count(*) AS customers
           FROM b LEFT JOIN a ON a.customer_id = b.customer_id GROUP BY 1, 2 ORDER BY 1, 2`,
          [from, to],
        )
      : await db.query<{ source: string; target: string; customers: number }>(
          `WITH a AS (SELECT customer_id FROM segment_snapshots WHERE segment = $3 AND as_of = CAST($1 AS DATE)),
                b AS (SELECT customer_id FROM segment_snapshots WHERE segment = $3 AND as_of = CAST($2 AS DATE))
           SELECT CASE WHEN a.customer_id IS NULL THEN 'out' ELSE 'in' END AS source, CASE WHEN b.customer_id IS NULL THEN 'out' ELSE 'in' END AS target, count(*) AS customers
           FROM a FULL OUTER JOIN b ON a.customer_id = b.customer_id GROUP BY 1, 2 ORDER BY 1, 2`,
          [from, to, layer.segment],
        );
  return { layer: 'stage' in layer ? 'stage' : `segment:${layer.segment}`, from, to, links: rows.map((r) => ({ source: r.source, target: r.target, customers: Number(r.customers) })) };
}
