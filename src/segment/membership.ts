import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { dialect, latestOrderDay, queueWatchedEvents, type BackendKind, type Queryable, type Store } from '../store/index.ts';
import { compileSegment } from './builder.ts';
import { copyToScope, createTempTable, deleteScopedEvents } from './scope.ts';
import { savedDefinition, storedDefinition } from './segments.ts';

/**
 * Segment membership is kept as intervals (migration 019): a customer is in a segment from `entered_on` up to the
 * day before `left_on`, which is NULL while they are still a member as of the segment's latest refresh. A refresh
 * as of a day writes who entered (a new interval) and who left (its interval closed) since the segment's previous
 * refresh, with a Segment Entered or Segment Exited event each, and logs the day in segment_refreshes. A segment's
 * membership on any day is then one condition (memberOn), and refreshing a million-member segment writes only its
 * changes.
 */
export interface RefreshReport {
  segment: string;
  asOf: string;
  members: number;
  /** Customers who entered and left in this refresh (in an incremental update, of its customers only). */
  entered: number;
  exited: number;
  /** The refresh day before this one that the changes are counted against, if any. */
  previous: string | null;
}

/** SQL true when the segment_membership row `alias` holds its customer on the SQL day `day`. */
export const memberOn = (alias: string, day: string): string =>
  `${alias}.entered_on <= CAST(${day} AS DATE) AND (${alias}.left_on IS NULL OR ${alias}.left_on > CAST(${day} AS DATE))`;

/** Each segment's latest refresh day and its latest before `asOf`, by segment name. */
export async function refreshDays(db: Queryable, asOf: string): Promise<Map<string, { latest: string; previous: string | null }>> {
  const rows = await db.query<{ segment: string; latest: string; previous: string | null }>(
    'SELECT segment, max(as_of) AS latest, max(as_of) FILTER (WHERE as_of < CAST($1 AS DATE)) AS previous FROM segment_refreshes GROUP BY segment',
    [asOf],
  );
  return new Map(rows.map((r) => [r.segment, { latest: r.latest, previous: r.previous }]));
}

/** Recomputes a saved segment as of a day (default: the latest order day); see refreshSegments. */
export async function refreshSegment(store: Store, name: string, options: { asOf?: string } = {}): Promise<RefreshReport> {
  return (await refreshSegments(store, [name], options))[0]!;
}

/**
 * Refreshes saved segments as of one day (default: the latest order day), in one transaction. Each segment's members
 * are compared with its membership as of its previous refresh: newcomers enter, the missing leave, each with an
 * event { segment, as_of }. Refreshing the latest refreshed day again first undoes that day's changes and events, so
 * a rerun replaces them; an earlier day than a segment's latest refresh is refused, as it would rewrite the history
 * after it. Everything runs in the engine. `onSegment` hears each segment as it is written.
 */
export async function refreshSegments(store: Store, names: readonly string[], options: { asOf?: string; onSegment?: (report: RefreshReport, seconds: number) => void } = {}): Promise<RefreshReport[]> {
  const asOf = parseDay(options.asOf ?? (await latestOrderDay(store)) ?? new Date().toISOString().slice(0, 10), '--as-of');
  const days = await refreshDays(store, asOf);
  const planned: { name: string; sql: string; params: unknown[]; rerun: boolean; previous: string | null }[] = [];
  for (const name of names) {
    const definition = await savedDefinition(store, name);
    const latest = days.get(name)?.latest ?? null;
    if (latest && latest > asOf) {
      throw new SiyuError('validation', 'refresh_before_latest', `segment ${name} was last refreshed as of ${latest}; it can be refreshed as of that day or later, not ${asOf}`, { details: [{ path: 'as_of', message: `before ${latest}` }] });
    }
    planned.push({ name, ...(await compileSegment(store, definition, asOf)), rerun: latest === asOf, previous: days.get(name)?.previous ?? null });
  }
  return store.transaction(async (tx) => {
    const reports: RefreshReport[] = [];
    for (const { name, sql, params, rerun, previous } of planned) {
      const started = performance.now();
      if (rerun) await undoDay(tx, asOf, { segment: name });
      await createTempTable(tx, 'segment_update', `SELECT CAST($${params.length + 1} AS TEXT) AS segment, m.customer_id FROM (${sql}) AS m`, [...params, name]);
      const changes = await applyChanges(tx, store.kind, asOf, `SELECT segment, customer_id FROM segment_membership WHERE segment = '${name.replaceAll("'", "''")}' AND left_on IS NULL`);
      const [members] = await tx.query<{ n: number }>('SELECT count(*) AS n FROM segment_update');
      await tx.execute('UPDATE segments SET refreshed_at = CAST($2 AS TIMESTAMPTZ) WHERE name = $1', [name, new Date()]);
      reports.push({ segment: name, asOf, members: Number(members?.n ?? 0), entered: changes.get(name)?.entered ?? 0, exited: changes.get(name)?.exited ?? 0, previous });
      options.onSegment?.(reports.at(-1)!, (performance.now() - started) / 1000);
    }
    await tx.execute('DROP TABLE IF EXISTS segment_update');
    await logRefreshes(tx, asOf, planned.map((p) => p.name));
    return reports;
  });
}

/**
 * Takes back the changes of the day `asOf` (its last refresh day) for one segment, or for the customers in `scope`
 * in every segment listed in the table segment_days: intervals that began that day go, those that ended that day
 * are open again, and the day's Segment Entered and Exited events are deleted (an update's by key, from its copy of
 * the events).
 */
async function undoDay(tx: Queryable, asOf: string, which: { segment: string } | { scope: string }): Promise<void> {
  const where = 'segment' in which ? 'segment = $2' : `segment IN (SELECT segment FROM segment_days WHERE rerun) AND customer_id IN (SELECT customer_id FROM ${which.scope})`;
  const params = 'segment' in which ? [asOf, which.segment] : [asOf];
  await tx.execute(`DELETE FROM segment_membership WHERE entered_on = CAST($1 AS DATE) AND ${where}`, params);
  await tx.execute(`UPDATE segment_membership SET left_on = NULL WHERE left_on = CAST($1 AS DATE) AND ${where}`, params);
  if ('segment' in which) {
    await tx.execute(`DELETE FROM events WHERE source = 'siyu segment' AND message_id LIKE $1`, [`segment:${which.segment}:${asOf}:%`]);
    return;
  }
  await deleteScopedEvents(
    tx,
    which.scope,
    (x) => `${x}source = 'siyu segment' AND split_part(${x}message_id, ':', 3) = CAST(CAST($1 AS DATE) AS VARCHAR) AND split_part(${x}message_id, ':', 2) IN (SELECT segment FROM segment_days WHERE rerun)`,
    [asOf],
  );
}

/**
 * Brings segment_membership to the members in the temporary table segment_update (segment, customer_id) as of
 * `asOf`, against `open` (a query of the open intervals of the same segments and customers): newcomers get an
 * interval from asOf, the missing have theirs closed at asOf, and each change gets its event. Returns the changes
 * per segment.
 */
async function applyChanges(tx: Queryable, kind: BackendKind, asOf: string, open: string): Promise<Map<string, { entered: number; exited: number }>> {
  // The open intervals go to a temporary table first, analysed on PostgreSQL: as a CTE over a segment_membership
  // just written (its statistics not yet gathered), PostgreSQL estimated one row and chose a nested-loop anti-join,
  // 100 s for 38,000 members against 0.05 s with the estimate right (docs/operations.md, "Running on PostgreSQL").
  await createTempTable(tx, 'segment_open', open);
  await createTempTable(
    tx,
    'segment_changes',
    `SELECT u.segment, u.customer_id, 'Entered' AS change FROM segment_update u
     WHERE NOT EXISTS (SELECT 1 FROM segment_open o WHERE o.segment = u.segment AND o.customer_id = u.customer_id)
     UNION ALL
     SELECT DISTINCT o.segment, o.customer_id, 'Exited' FROM segment_open o
     WHERE NOT EXISTS (SELECT 1 FROM segment_update u WHERE u.segment = o.segment AND u.customer_id = o.customer_id)`,
  );
  await tx.execute('DROP TABLE segment_open');
  await tx.execute(
    // A row-valued IN, not a correlated EXISTS: DuckDB took 0.25–0.4 s for the EXISTS over 2M memberships, 0.013 s for this.
    `UPDATE segment_membership SET left_on = CAST($1 AS DATE)
     WHERE left_on IS NULL AND (segment, customer_id) IN (SELECT segment, customer_id FROM segment_changes WHERE change = 'Exited')`,
    [asOf],
  );
  await tx.execute(`INSERT INTO segment_membership (customer_id, segment, entered_on, left_on) SELECT customer_id, segment, CAST($1 AS DATE), NULL FROM segment_changes WHERE change = 'Entered'`, [asOf]);
  const segmentEvents = `SELECT c.customer_id, 'segment:' || c.segment || ':' || CAST(CAST($1 AS DATE) AS VARCHAR) || ':' || c.change || ':' || c.customer_id AS message_id, 'Segment ' || c.change AS name,
            ${dialect(kind).jsonObject([['segment', 'c.segment'], ['as_of', 'CAST(CAST($1 AS DATE) AS VARCHAR)']])} AS properties, CAST($2 AS TIMESTAMPTZ) AS ts FROM segment_changes c`;
  const at = [asOf, new Date(`${asOf}T23:59:59Z`)];
  await tx.execute(
    `INSERT INTO events (customer_id, message_id, type, name, properties, ts, received_at, source)
     SELECT customer_id, message_id, 'track', name, properties, ts, CAST($3 AS TIMESTAMPTZ), 'siyu segment' FROM (${segmentEvents}) e`,
    [...at, new Date()],
  );
  await queueWatchedEvents(tx, segmentEvents, at);
  const counts = await tx.query<{ segment: string; change: string; n: number }>('SELECT segment, change, count(*) AS n FROM segment_changes GROUP BY segment, change');
  await tx.execute('DROP TABLE segment_changes');
  const changes = new Map<string, { entered: number; exited: number }>();
  for (const { segment, change, n } of counts) {
    const entry = changes.get(segment) ?? { entered: 0, exited: 0 };
    entry[change === 'Entered' ? 'entered' : 'exited'] = Number(n);
    changes.set(segment, entry);
  }
  return changes;
}

/** Writes the day `asOf` of `segments` to segment_refreshes from their membership: members, and who entered and left that day. */
async function logRefreshes(tx: Queryable, asOf: string, segments: readonly string[]): Promise<Map<string, number>> {
  if (segments.length === 0) return new Map();
  const names = segments.map((s) => `'${s.replaceAll("'", "''")}'`).join(', ');
  await tx.execute(`DELETE FROM segment_refreshes WHERE as_of = CAST($1 AS DATE) AND segment IN (${names})`, [asOf]);
  await tx.execute(
    `INSERT INTO segment_refreshes (segment, as_of, members, entered, exited, refreshed_at)
     SELECT s.segment, CAST($1 AS DATE), count(m.segment) FILTER (WHERE m.left_on IS NULL), count(m.segment) FILTER (WHERE m.entered_on = CAST($1 AS DATE)),
            count(m.segment) FILTER (WHERE m.left_on = CAST($1 AS DATE)), CAST($2 AS TIMESTAMPTZ)
     FROM (SELECT name AS segment FROM segments WHERE name IN (${names})) s LEFT JOIN segment_membership m ON m.segment = s.segment
     GROUP BY s.segment`,
    [asOf, new Date()],
  );
  const rows = await tx.query<{ segment: string; members: number }>(`SELECT segment, members FROM segment_refreshes WHERE as_of = CAST($1 AS DATE) AND segment IN (${names})`, [asOf]);
  return new Map(rows.map((r) => [r.segment, Number(r.members)]));
}

/**
 * Incremental segments: for every saved segment refreshed before, re-evaluates the customers in `scope` as of
 * `asOf` and brings their membership up to date, as a refresh would for them alone. A segment whose latest refresh
 * was `asOf` first has the day's changes of these customers undone; a segment refreshed after `asOf` is left
 * alone. Each segment's query runs on the scope's copies of the tables it reads (`copied` names those the update's
 * earlier steps made; the rest are copied here), and the changes of all segments are applied together. `only`, when
 * given, limits it to those segments. In the caller's transaction; returns each segment's members and this update's
 * changes.
 */
export async function updateSegmentMembership(tx: Queryable, kind: BackendKind, scope: string, asOf: string, copied: ReadonlySet<string> = new Set(), only?: ReadonlySet<string>): Promise<RefreshReport[]> {
  const days = await refreshDays(tx, asOf);
  const segments = await tx.query<{ name: string; definition: unknown }>('SELECT name, definition FROM segments ORDER BY name');
  const due = segments.filter((s) => days.has(s.name) && days.get(s.name)!.latest <= asOf && (!only || only.has(s.name)));
  if (due.length === 0) return [];
  const compiled = [];
  for (const { name, definition } of due) compiled.push({ name, ...(await compileSegment(tx, storedDefinition(definition), asOf, scope)) });
  for (const table of new Set(compiled.flatMap((c) => c.tables))) {
    if (!copied.has(table)) await copyToScope(tx, scope, table, table === 'customer_attributes' ? [...new Set(compiled.flatMap((c) => c.attributes))] : undefined);
  }
  await tx.execute('DROP TABLE IF EXISTS segment_days');
  await tx.execute('CREATE TEMP TABLE segment_days (segment TEXT, rerun BOOLEAN)');
  await tx.insertRows('segment_days', ['segment', 'rerun'], due.map((s) => [s.name, days.get(s.name)!.latest === asOf]));
  await tx.execute('ANALYZE segment_days');
  await undoDay(tx, asOf, { scope });
  await tx.execute('DROP TABLE IF EXISTS segment_update');
  await tx.execute('CREATE TEMP TABLE segment_update (segment TEXT, customer_id TEXT)');
  for (const { name, sql, params } of compiled) {
    await tx.execute(`INSERT INTO segment_update (segment, customer_id) SELECT $${params.length + 1}, m.customer_id FROM (${sql}) AS m`, [...params, name]);
  }
  await tx.execute('ANALYZE segment_update');
  const changes = await applyChanges(
    tx,
    kind,
    asOf,
    `SELECT segment, customer_id FROM segment_membership WHERE left_on IS NULL AND segment IN (SELECT segment FROM segment_days) AND customer_id IN (SELECT customer_id FROM ${scope})`,
  );
  const members = await logRefreshes(tx, asOf, due.map((s) => s.name));
  for (const table of ['segment_update', 'segment_days']) await tx.execute(`DROP TABLE ${table}`);
  return due.map(({ name }) => ({ segment: name, asOf, members: members.get(name) ?? 0, entered: changes.get(name)?.entered ?? 0, exited: changes.get(name)?.exited ?? 0, previous: days.get(name)!.previous }));
}
