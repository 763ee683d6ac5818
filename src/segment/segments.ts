import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { dialect, jsonRowsParam, latestOrderDay, type BackendKind, type Queryable, type Store } from '../store/index.ts';
import { attributeDefinitions } from './attributes.ts';
import { compileSegment, parseSegmentDefinition, type SegmentNode } from './builder.ts';
import { PII_PROFILE_FIELDS, type PiiPolicy } from './profile.ts';
import { copyToScope, scoped } from './scope.ts';

/** How often a saved segment refreshes on its own while `siyu serve` runs; null: only on demand. */
export const REFRESH_SCHEDULES = ['hourly', 'daily', 'weekly'] as const;
export type RefreshSchedule = (typeof REFRESH_SCHEDULES)[number];
export const REFRESH_INTERVAL_MS: Record<RefreshSchedule, number> = { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000 };

export interface SavedSegment {
  name: string;
  description: string | null;
  definition: SegmentNode;
  refreshEvery: RefreshSchedule | null;
}

/**
 * Saves (or replaces) a named segment after checking its definition compiles. `refreshEvery` sets its schedule
 * (null: on demand only); left out, a replaced segment keeps the schedule it had.
 */
export async function saveSegment(store: Store, segment: { name: string; description?: string; definition: unknown; refreshEvery?: RefreshSchedule | null }): Promise<SavedSegment> {
  if (!/^[\p{L}\p{N}_.-]{1,64}$/u.test(segment.name)) throw new SiyuError('validation', 'invalid_segment_name', `a segment name is 1-64 letters, digits, '_', '.' or '-', not ${JSON.stringify(segment.name)}`);
  if (segment.refreshEvery != null && !(REFRESH_SCHEDULES as readonly string[]).includes(segment.refreshEvery)) {
    throw new SiyuError('validation', 'invalid_schedule', `a refresh schedule is one of ${REFRESH_SCHEDULES.join(', ')} (or none), not ${JSON.stringify(segment.refreshEvery)}`, { details: [{ path: 'refreshEvery', message: 'unknown schedule' }] });
  }
  const definition = parseSegmentDefinition(segment.definition);
  await compileSegment(store, definition, '2000-01-01');
  const now = new Date();
  const refreshEvery = await store.transaction(async (tx) => {
    const [existing] = await tx.query<{ created_at: Date; refresh_every: RefreshSchedule | null; refreshed_at: Date | null }>('SELECT created_at, refresh_every, refreshed_at FROM segments WHERE name = $1', [segment.name]);
    const schedule = segment.refreshEvery === undefined ? (existing?.refresh_every ?? null) : segment.refreshEvery;
    await tx.execute('DELETE FROM segments WHERE name = $1', [segment.name]);
    await tx.insertRows(
      'segments',
      ['name', 'description', 'definition', 'created_at', 'updated_at', 'refresh_every', 'refreshed_at'],
      [[segment.name, segment.description ?? null, JSON.stringify(definition), existing?.created_at ?? now, now, schedule, existing?.refreshed_at ?? null]],
    );
    return schedule;
  });
  return { name: segment.name, description: segment.description ?? null, definition, refreshEvery };
}

export async function listSegments(db: Queryable): Promise<(SavedSegment & { members: number | null; asOf: string | null; refreshedAt: Date | null })[]> {
  const rows = await db.query<{ name: string; description: string | null; definition: SegmentNode; refresh_every: RefreshSchedule | null; refreshed_at: Date | null; as_of: string | null; members: number | null }>(
    `SELECT s.name, s.description, s.definition, s.refresh_every, s.refreshed_at, l.as_of, l.members FROM segments s
     LEFT JOIN (SELECT segment, as_of, count(*) AS members FROM segment_snapshots x
                WHERE as_of = (SELECT max(y.as_of) FROM segment_snapshots y WHERE y.segment = x.segment) GROUP BY segment, as_of) l ON l.segment = s.name
     ORDER BY s.name`,
  );
  return rows.map((r) => ({
    name: r.name,
    description: r.description,
    definition: r.definition,
    refreshEvery: r.refresh_every,
    refreshedAt: r.refreshed_at,
    asOf: r.as_of,
    members: r.members === null ? null : Number(r.members),
  }));
}

/** The scheduled segments whose interval has passed since their last refresh (or that were never refreshed), by name. */
export async function dueSegments(db: Queryable, now: Date = new Date()): Promise<string[]> {
  const rows = await db.query<{ name: string; refresh_every: RefreshSchedule; refreshed_at: Date | null }>('SELECT name, refresh_every, refreshed_at FROM segments WHERE refresh_every IS NOT NULL ORDER BY name');
  return rows.filter((r) => REFRESH_INTERVAL_MS[r.refresh_every] !== undefined && (!r.refreshed_at || now.getTime() - new Date(r.refreshed_at).getTime() >= REFRESH_INTERVAL_MS[r.refresh_every])).map((r) => r.name);
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
 * Everything runs inside the engine, in one transaction: members go from the segment's query straight into
 * segment_snapshots, and the events are the differences between two snapshots.
 */
export async function refreshSegment(store: Store, name: string, options: { asOf?: string } = {}): Promise<RefreshReport> {
  return (await refreshSegments(store, [name], options))[0]!;
}

/**
 * Refreshes several saved segments as refreshSegment does, as of one day, in one transaction (one commit for all,
 * which on the embedded store is one checkpoint instead of one per segment). `onSegment` hears each as it is written.
 */
export async function refreshSegments(store: Store, names: readonly string[], options: { asOf?: string; onSegment?: (report: RefreshReport, seconds: number) => void } = {}): Promise<RefreshReport[]> {
  const asOf = parseDay(options.asOf ?? (await latestOrderDay(store)) ?? new Date().toISOString().slice(0, 10), '--as-of');
  const planned: { name: string; sql: string; params: unknown[]; previous: string | null }[] = [];
  for (const name of names) {
    const definition = await savedDefinition(store, name);
    planned.push({ name, ...(await compileSegment(store, definition, asOf)), previous: await previousSnapshot(store, name, asOf) });
  }
  return store.transaction(async (tx) => {
    const reports: RefreshReport[] = [];
    for (const { name, sql, params, previous } of planned) {
      const started = performance.now();
      const counts = await writeSnapshot(tx, name, sql, params, asOf, previous);
      await tx.execute('UPDATE segments SET refreshed_at = CAST($2 AS TIMESTAMPTZ) WHERE name = $1', [name, new Date()]);
      reports.push({ segment: name, asOf, ...counts, previous });
      options.onSegment?.(reports.at(-1)!, (performance.now() - started) / 1000);
    }
    return reports;
  });
}

async function savedDefinition(db: Queryable, name: string): Promise<unknown> {
  const [saved] = await db.query<{ definition: unknown }>('SELECT definition FROM segments WHERE name = $1', [name]);
  if (!saved) throw new SiyuError('not_found', 'unknown_segment', `no segment named ${JSON.stringify(name)}; see \`siyu segment list\``);
  return storedDefinition(saved.definition);
}

/** A definition as the segments table returns it: JSON text on one engine, parsed on the other. */
const storedDefinition = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

/** The day of the segment's latest snapshot before `asOf`, or null. */
async function previousSnapshot(db: Queryable, name: string, asOf: string): Promise<string | null> {
  const [prev] = await db.query<{ as_of: string | null }>('SELECT max(as_of) AS as_of FROM segment_snapshots WHERE segment = $1 AND as_of < CAST($2 AS DATE)', [name, asOf]);
  return prev?.as_of ?? null;
}

/**
 * Replaces the segment's snapshot for `asOf` with the members the compiled query `sql` finds, and that day's
 * Entered/Exited events with the differences from the `previous` snapshot.
 */
async function writeSnapshot(tx: Queryable, name: string, sql: string, params: unknown[], asOf: string, previous: string | null): Promise<{ members: number; entered: number; exited: number }> {
  // The events' parameters: $1 segment, $2 this day, $3 the previous snapshot's day (none: a day no snapshot has),
  // $4 the events' time, $5 when they were recorded, $6 their properties.
  const eventParams = [name, asOf, previous ?? '0001-01-01', new Date(`${asOf}T23:59:59Z`), new Date(), JSON.stringify({ segment: name, as_of: asOf })];
  const events = (kind: 'Entered' | 'Exited', from: string, against: string) =>
    `INSERT INTO events (customer_id, message_id, type, name, properties, ts, received_at, source)
     SELECT s.customer_id, 'segment:' || $1 || ':' || CAST(CAST($2 AS DATE) AS VARCHAR) || ':${kind}:' || s.customer_id, 'track', 'Segment ${kind}',
            CAST($6 AS JSON), CAST($4 AS TIMESTAMPTZ), CAST($5 AS TIMESTAMPTZ), 'siyu segment'
     FROM segment_snapshots s
     WHERE s.segment = $1 AND s.as_of = CAST(${from} AS DATE)
       AND NOT EXISTS (SELECT 1 FROM segment_snapshots o WHERE o.segment = $1 AND o.as_of = CAST(${against} AS DATE) AND o.customer_id = s.customer_id)`;
  await tx.execute('DELETE FROM segment_snapshots WHERE segment = $1 AND as_of = CAST($2 AS DATE)', [name, asOf]);
  await tx.execute(`DELETE FROM events WHERE source = 'siyu segment' AND message_id LIKE $1`, [`segment:${name}:${asOf}:%`]);
  const members = await tx.execute(
    `INSERT INTO segment_snapshots (customer_id, segment, as_of) SELECT m.customer_id, $${params.length + 1}, CAST($${params.length + 2} AS DATE) FROM (${sql}) AS m`,
    [...params, name, asOf],
  );
  const entered = await tx.execute(events('Entered', '$2', '$3'), eventParams);
  const exited = await tx.execute(events('Exited', '$3', '$2'), eventParams);
  return { members, entered, exited };
}

/**
 * Incremental segments: for every saved segment refreshed before, re-evaluates the customers in `scope` as of
 * `asOf` and updates that day's snapshot and its Entered/Exited events for them alone. The first update of a new
 * day starts the day's snapshot as a copy of the latest one; a segment with a snapshot after `asOf` is left alone.
 * Each segment's query runs on the scope alone, and the snapshots and events of all segments are then replaced in
 * a few set-based statements. In the caller's transaction; returns each segment's members and changes.
 */
export async function updateSegmentSnapshots(tx: Queryable, kind: BackendKind, scope: string, asOf: string, copied: ReadonlySet<string> = new Set()): Promise<RefreshReport[]> {
  // Each segment with its latest snapshot day and its latest before asOf, in one pass over the snapshots.
  const segments = await tx.query<{ name: string; definition: unknown; latest: string | null; previous: string | null }>(
    `SELECT s.name, s.definition, x.latest, x.previous FROM segments s
     LEFT JOIN (SELECT segment, max(as_of) AS latest, max(as_of) FILTER (WHERE as_of < CAST($1 AS DATE)) AS previous FROM segment_snapshots GROUP BY segment) x ON x.segment = s.name
     ORDER BY s.name`,
    [asOf],
  );
  const due = segments.filter((s) => s.latest && s.latest <= asOf);
  if (due.length === 0) return [];
  await tx.execute('DROP TABLE IF EXISTS segment_update');
  await tx.execute('DROP TABLE IF EXISTS segment_days');
  await tx.execute('CREATE TEMP TABLE segment_update (segment TEXT, customer_id TEXT)');
  // Each segment's snapshot day before asOf: the one Entered and Exited are counted against.
  await tx.execute('CREATE TEMP TABLE segment_days (segment TEXT, previous DATE)');
  const days: [string, string | null][] = [];
  const compiled = [];
  for (const { name, definition, latest, previous } of due) {
    if (latest! < asOf) {
      await tx.execute('INSERT INTO segment_snapshots (customer_id, segment, as_of) SELECT customer_id, segment, CAST($3 AS DATE) FROM segment_snapshots WHERE segment = $1 AND as_of = CAST($2 AS DATE)', [name, latest, asOf]);
    }
    days.push([name, previous]);
    compiled.push({ name, ...(await compileSegment(tx, storedDefinition(definition), asOf, scope)) });
  }
  // The scope's rows of every layer table some segment reads, copied once for all the segments (unless the update's
  // earlier steps left a copy of their new rows).
  const tables = [...new Set(compiled.flatMap((c) => c.tables))].filter((table) => !copied.has(table));
  const attributes = [...new Set(compiled.flatMap((c) => c.attributes))];
  for (const table of tables) await copyToScope(tx, scope, table, table === 'customer_attributes' ? attributes : undefined);
  for (const { name, sql, params } of compiled) {
    await tx.execute(`INSERT INTO segment_update (segment, customer_id) SELECT $${params.length + 1}, m.customer_id FROM (${sql}) AS m`, [...params, name]);
  }
  await tx.insertRows('segment_days', ['segment', 'previous'], days);
  const inScope = (alias: string) => `${alias}customer_id IN (SELECT customer_id FROM ${scope})`;
  await tx.execute(`DELETE FROM segment_snapshots WHERE as_of = CAST($1 AS DATE) AND segment IN (SELECT segment FROM segment_days) AND ${inScope('')}`, [asOf]);
  await tx.execute('INSERT INTO segment_snapshots (customer_id, segment, as_of) SELECT customer_id, segment, CAST($1 AS DATE) FROM segment_update', [asOf]);
  // The day's Entered and Exited events these customers should have (message ids segment:NAME:DAY:CHANGE:CUSTOMER),
  // against those they have, from the scope's copy of events: only the differences are written, so an update that
  // changes no membership scans no events.
  await tx.execute('DROP TABLE IF EXISTS segment_events');
  await tx.execute('CREATE TEMP TABLE segment_events (segment TEXT, customer_id TEXT, change TEXT, message_id TEXT)');
  const eventRows = (change: 'Entered' | 'Exited', from: string) =>
    `INSERT INTO segment_events SELECT m.segment, m.customer_id, '${change}', 'segment:' || m.segment || ':' || CAST(CAST($1 AS DATE) AS VARCHAR) || ':${change}:' || m.customer_id FROM ${from} m`;
  await tx.execute(
    eventRows('Entered', `(SELECT u.segment, u.customer_id FROM segment_update u JOIN segment_days d ON d.segment = u.segment
       WHERE NOT EXISTS (SELECT 1 FROM segment_snapshots p WHERE p.segment = u.segment AND p.as_of = d.previous AND p.customer_id = u.customer_id))`),
    [asOf],
  );
  await tx.execute(
    eventRows('Exited', `(SELECT p.segment, p.customer_id FROM segment_snapshots p JOIN segment_days d ON d.segment = p.segment AND p.as_of = d.previous
       WHERE ${inScope('p.')} AND NOT EXISTS (SELECT 1 FROM segment_update u WHERE u.segment = p.segment AND u.customer_id = p.customer_id))`),
    [asOf],
  );
  const existing = `(SELECT message_id FROM ${scoped('events', scope)} WHERE source = 'siyu segment' AND split_part(message_id, ':', 3) = CAST(CAST($1 AS DATE) AS VARCHAR)
       AND split_part(message_id, ':', 2) IN (SELECT segment FROM segment_days))`;
  const [stale] = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${existing} x WHERE x.message_id NOT IN (SELECT message_id FROM segment_events)`, [asOf]);
  if (Number(stale?.n) > 0) {
    await tx.execute(
      `DELETE FROM events WHERE source = 'siyu segment' AND ${inScope('')} AND message_id IN (SELECT x.message_id FROM ${existing} x WHERE x.message_id NOT IN (SELECT message_id FROM segment_events))`,
      [asOf],
    );
  }
  await tx.execute(
    `INSERT INTO events (customer_id, message_id, type, name, properties, ts, received_at, source)
     SELECT m.customer_id, m.message_id, 'track', 'Segment ' || m.change,
            ${dialect(kind).jsonObject([['segment', 'm.segment'], ['as_of', 'CAST(CAST($1 AS DATE) AS VARCHAR)']])},
            CAST($2 AS TIMESTAMPTZ), CAST($3 AS TIMESTAMPTZ), 'siyu segment'
     FROM segment_events m WHERE m.message_id NOT IN ${existing}`,
    [asOf, new Date(`${asOf}T23:59:59Z`), new Date()],
  );
  const changes = await tx.query<{ segment: string; change: string; n: number }>('SELECT segment, change, count(*) AS n FROM segment_events GROUP BY segment, change');
  const entered = changes.filter((c) => c.change === 'Entered');
  const exited = changes.filter((c) => c.change === 'Exited');
  const members = await tx.query<{ segment: string; n: number }>(
    'SELECT s.segment, count(*) AS n FROM segment_snapshots s JOIN segment_days d ON d.segment = s.segment WHERE s.as_of = CAST($1 AS DATE) GROUP BY s.segment',
    [asOf],
  );
  await tx.execute('DROP TABLE segment_update');
  await tx.execute('DROP TABLE segment_days');
  await tx.execute('DROP TABLE segment_events');
  for (const table of tables) await tx.execute(`DROP TABLE ${scoped(table, scope)}`);
  const count = (rows: { segment: string; n: number }[], name: string) => Number(rows.find((r) => r.segment === name)?.n ?? 0);
  return days.map(([name, previous]) => ({ segment: name, asOf, members: count(members, name), entered: count(entered, name), exited: count(exited, name), previous }));
}

/** Profile columns an audience export can include; anything else is taken as an attribute name. */
export const EXPORT_PROFILE_FIELDS = ['name', 'phone', 'email', 'gender', 'birthday', 'city', 'channel'] as const;

/**
 * Writes a saved segment's members as of a day, with the chosen profile fields and attributes, to CSV or JSONL,
 * a thousand customers at a time (`onProgress(done, total)`). Unknown fields are refused before anything is
 * written; the file is written to a temporary name and renamed at the end, so it is never half there. Name, phone,
 * email and birthday are masked when `pii` says the caller may not see them (the HTTP route); the CLI, for analysts
 * with the database in hand, writes them as stored.
 */
export async function exportSegment(
  store: Store,
  name: string,
  options: { out: string; format: 'csv' | 'jsonl'; fields: readonly string[]; asOf?: string; pii?: PiiPolicy; onProgress?: (done: number, total: number) => void },
): Promise<{ rows: number; asOf: string }> {
  const definition = await savedDefinition(store, name);
  const attributes = new Set((await attributeDefinitions(store)).map((a) => a.name));
  const unknown = options.fields.filter((f) => !(EXPORT_PROFILE_FIELDS as readonly string[]).includes(f) && !attributes.has(f));
  if (unknown.length) throw new SiyuError('validation', 'unknown_field', `unknown export field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: use profile fields (${EXPORT_PROFILE_FIELDS.join(', ')}) or attribute names`, { details: unknown.map((f) => ({ path: 'fields', message: `unknown field ${f}` })) });
  const asOf = parseDay(options.asOf ?? (await latestOrderDay(store)) ?? new Date().toISOString().slice(0, 10), '--as-of');
  const { sql, params } = await compileSegment(store, definition, asOf);
  const ids = (await store.query<{ customer_id: string }>(`${sql} ORDER BY u.customer_id`, params)).map((r) => r.customer_id);
  const reveal = options.pii?.reveal ?? true;
  const masked = (field: string, value: unknown) => (reveal || typeof value !== 'string' || !PII_PROFILE_FIELDS[field] ? value : PII_PROFILE_FIELDS[field]!(value));
  const temporary = `${options.out}.partial`;
  const out = openSync(temporary, 'w');
  try {
    const columns = ['customer_id', ...options.fields];
    const cell = (v: unknown) => {
      const text = v === null || v === undefined ? '' : String(v);
      return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    };
    if (options.format === 'csv') writeSync(out, `${columns.join(',')}\n`);
    options.onProgress?.(0, ids.length);
    for (let from = 0; from < ids.length; from += 1000) {
      const chunk = ids.slice(from, from + 1000);
      // Profile fields from customers, attributes from their columns; every name was checked above.
      const rows = await store.query<Record<string, unknown>>(
        `SELECT c.customer_id${options.fields.map((f) => (attributes.has(f) ? `, a."${f}"` : `, c.${f}`)).join('')}
         FROM customers c JOIN ${dialect(store.kind).jsonRows('$1', ['id'])} ids ON ids.id = c.customer_id LEFT JOIN customer_attributes a ON a.customer_id = c.customer_id
         ORDER BY c.customer_id`,
        [jsonRowsParam(chunk.map((id) => [id]))],
      );
      let text = '';
      for (const r of rows) {
        const values = Object.fromEntries(columns.map((f) => [f, attributes.has(f) ? (r[f] ?? null) : masked(f, r[f] ?? null)]));
        text += options.format === 'csv' ? `${columns.map((f) => cell(values[f])).join(',')}\n` : `${JSON.stringify(values)}\n`;
      }
      writeSync(out, text);
      options.onProgress?.(Math.min(from + 1000, ids.length), ids.length);
    }
  } catch (error) {
    closeSync(out);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(out);
  renameSync(temporary, options.out);
  return { rows: ids.length, asOf };
}
