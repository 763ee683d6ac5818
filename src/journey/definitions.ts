import { SiyuError, type ErrorDetail } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import { localActor, recordAudit } from '../access/index.ts';
import { checkTemplate } from '../channels/index.ts';
import { findOffer } from '../loyalty/index.ts';
import { attributeDefinitions, compileSegment, tagKinds } from '../segment/index.ts';
import { readBrandSettings, type Queryable, type Store } from '../store/index.ts';
import { JourneyInput, type JourneyDefinition } from './schemas.ts';
import { parseJourneyDefinition } from './validate.ts';

export type JourneyStatus = 'draft' | 'active' | 'paused' | 'archived';

/** A journey as operators see it: its draft, its published version and what state it is in. */
export interface Journey {
  id: string;
  name: string;
  description: string | null;
  status: JourneyStatus;
  /** The definition being edited; null when there is no change since the published version. */
  draft: unknown;
  publishedVersion: number | null;
  /** The published definition customers enter now. */
  definition: JourneyDefinition | null;
  createdAt: Date;
  updatedAt: Date;
}

interface JourneyRow {
  journey_id: string;
  name: string;
  description: string | null;
  status: JourneyStatus;
  draft: unknown;
  published_version: number | null;
  definition: JourneyDefinition | null;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `SELECT j.journey_id, j.name, j.description, j.status, j.draft, j.published_version, v.definition, j.created_at, j.updated_at
  FROM journeys j LEFT JOIN journey_versions v ON v.journey_id = j.journey_id AND v.version = j.published_version`;

function toJourney(row: JourneyRow): Journey {
  return {
    id: row.journey_id,
    name: row.name,
    description: row.description,
    status: row.status,
    draft: row.draft,
    publishedVersion: row.published_version,
    definition: row.definition,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A journey by id, or undefined. */
export async function findJourney(db: Queryable, id: string): Promise<Journey | undefined> {
  const [row] = await db.query<JourneyRow>(`${SELECT} WHERE j.journey_id = $1`, [id]);
  return row ? toJourney(row) : undefined;
}

/** A journey by id; NotFound when there is none. */
export async function getJourney(db: Queryable, id: string): Promise<Journey> {
  const journey = await findJourney(db, id);
  if (!journey) throw new SiyuError('not_found', 'journey_not_found', `no journey ${JSON.stringify(id)} (siyu journey list)`);
  return journey;
}

/** Every journey, archived ones last. */
export async function listJourneys(db: Queryable): Promise<Journey[]> {
  const rows = await db.query<JourneyRow>(`${SELECT} ORDER BY j.status = 'archived', j.journey_id`);
  return rows.map(toJourney);
}

/**
 * Creates a journey, or replaces the draft of an existing one; the definition is checked as a draft (shape and
 * references), and the stricter checks that need the store (conditions, templates, tags) run at publish.
 */
export async function saveJourneyDraft(store: Store, input: unknown, options: { now?: Date; actor?: string } = {}): Promise<Journey> {
  const now = options.now ?? new Date();
  const { id, name, description, definition } = parseOrThrow(JourneyInput, input, 'journey');
  parseJourneyDefinition(definition, (await readBrandSettings(store)).timezone);
  const existing = await findJourney(store, id);
  if (existing?.status === 'archived') throw new SiyuError('conflict', 'journey_archived', `journey ${id} is archived; create a new one`);
  await store.transaction(async (tx) => {
    if (existing) {
      await tx.execute('UPDATE journeys SET name = $2, description = $3, draft = $4, updated_at = $5 WHERE journey_id = $1', [id, name, description ?? null, JSON.stringify(definition), now]);
    } else {
      await tx.execute(`INSERT INTO journeys (journey_id, name, description, status, draft, published_version, created_at, updated_at) VALUES ($1, $2, $3, 'draft', $4, NULL, $5, $5)`, [
        id,
        name,
        description ?? null,
        JSON.stringify(definition),
        now,
      ]);
    }
    await recordAudit(tx, { actor: options.actor ?? localActor(), action: existing ? 'journey.update' : 'journey.create', target: id, at: now });
  });
  return getJourney(store, id);
}

/**
 * The checks a journey passes before customers may enter it, beyond its shape: each condition compiles against the
 * store (known attributes and fields), each template uses only variables that exist, tags it sets are not rule tags.
 * Returns every problem, with the step and field.
 */
export async function checkPublishable(db: Queryable, definition: JourneyDefinition): Promise<ErrorDetail[]> {
  const problems: ErrorDetail[] = [];
  const attributes = new Set((await attributeDefinitions(db)).map((a) => a.name));
  const conditions: [string, unknown][] = [
    ...Object.entries(definition.nodes).flatMap(([id, n]): [string, unknown][] => (n.kind === 'condition' ? [[`nodes.${id}.condition`, n.condition]] : [])),
    ...definition.exits.flatMap((e, i): [string, unknown][] => (e.kind === 'condition' ? [[`exits[${i}].condition`, e.condition]] : [])),
  ];
  for (const [path, condition] of conditions) {
    try {
      await compileSegment(db, condition, '2000-01-01');
    } catch (error) {
      const details = error instanceof SiyuError ? error.details : [];
      problems.push(...(details.length ? details.map((d) => ({ path: `${path}${d.path && d.path !== '(root)' ? `.${d.path}` : ''}`, message: d.message })) : [{ path, message: (error as Error).message }]));
    }
  }
  const kinds = await tagKinds(db);
  for (const [id, node] of Object.entries(definition.nodes)) {
    if (node.kind === 'message') {
      const fields = { body: node.content.body, ...(node.content.subject ? { subject: node.content.subject } : {}), ...Object.fromEntries(Object.entries(node.content.params ?? {}).map(([k, v]) => [`params.${k}`, v])) };
      for (const [field, source] of Object.entries(fields)) problems.push(...checkTemplate(source, attributes).map((message) => ({ path: `nodes.${id}.content.${field}`, message })));
    }
    if (node.kind === 'coupon') {
      const offer = await findOffer(db, node.offer);
      if (!offer) problems.push({ path: `nodes.${id}.offer`, message: `no offer ${JSON.stringify(node.offer)} (siyu offers list)` });
      else if (offer.status !== 'active') problems.push({ path: `nodes.${id}.offer`, message: `offer ${node.offer} is ${offer.status}, not active` });
    }
    if (node.kind === 'update') {
      [...node.add_tags, ...node.remove_tags].forEach((tag) => {
        const kind = kinds.get(tag);
        if (kind && kind !== 'manual') problems.push({ path: `nodes.${id}`, message: `${tag} is a ${kind} tag, set by its rule; a journey may set only manual tags` });
      });
    }
  }
  return problems;
}

/**
 * Publishes the draft as a new version: customers who enter from now on follow it, while running instances finish on
 * the version they entered. A journey that was paused stays paused. Fails, changing nothing, with every problem found.
 */
export async function publishJourney(store: Store, id: string, options: { actor?: string; now?: Date } = {}): Promise<Journey> {
  const now = options.now ?? new Date();
  const journey = await getJourney(store, id);
  if (journey.status === 'archived') throw new SiyuError('conflict', 'journey_archived', `journey ${id} is archived`);
  if (journey.draft === null) throw new SiyuError('conflict', 'nothing_to_publish', `journey ${id} has no draft changes since version ${journey.publishedVersion}`);
  const definition = parseJourneyDefinition(journey.draft, (await readBrandSettings(store)).timezone);
  const problems = await checkPublishable(store, definition);
  if (problems.length) throw new SiyuError('validation', 'invalid_journey', `journey ${id} cannot be published: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { details: problems });
  const version = (journey.publishedVersion ?? 0) + 1;
  await store.transaction(async (tx) => {
    const actor = options.actor ?? localActor();
    await tx.execute('INSERT INTO journey_versions (journey_id, version, definition, published_at, published_by) VALUES ($1, $2, $3, $4, $5)', [id, version, JSON.stringify(definition), now, actor]);
    await recordAudit(tx, { actor, action: 'journey.publish', target: id, details: { version }, at: now });
    await tx.execute(`UPDATE journeys SET draft = NULL, published_version = $2, status = CASE WHEN status = 'paused' THEN 'paused' ELSE 'active' END, updated_at = $3 WHERE journey_id = $1`, [id, version, now]);
    await refreshWatchedEvents(tx);
  });
  return getJourney(store, id);
}

/**
 * Pauses (no new entrants, running instances hold where they are), resumes, or archives a journey (no entrants, and
 * every running instance exits).
 */
export async function setJourneyStatus(store: Store, id: string, status: 'active' | 'paused' | 'archived', options: { now?: Date; actor?: string } = {}): Promise<Journey> {
  const now = options.now ?? new Date();
  const journey = await getJourney(store, id);
  if (journey.status === 'archived') throw new SiyuError('conflict', 'journey_archived', `journey ${id} is archived`);
  if (status !== 'archived' && journey.publishedVersion === null) throw new SiyuError('conflict', 'not_published', `journey ${id} has never been published (siyu journey publish ${id})`);
  await store.transaction(async (tx) => {
    await tx.execute('UPDATE journeys SET status = $2, updated_at = $3 WHERE journey_id = $1', [id, status, now]);
    await recordAudit(tx, { actor: options.actor ?? localActor(), action: `journey.${status === 'active' ? 'resume' : status === 'paused' ? 'pause' : 'archive'}`, target: id, at: now });
    if (status === 'archived') {
      await tx.execute(`UPDATE journey_instances SET status = 'exited', exit_reason = 'journey archived', finished_at = $2, updated_at = $2 WHERE journey_id = $1 AND status IN ('active', 'holdout')`, [id, now]);
    }
    await refreshWatchedEvents(tx);
  });
  return getJourney(store, id);
}

/** The event names the live journeys react to: entries, waits for an event, exits and goals (watched_events). */
export async function refreshWatchedEvents(tx: Queryable): Promise<void> {
  const rows = await tx.query<{ definition: JourneyDefinition }>(
    `SELECT v.definition FROM journeys j JOIN journey_versions v ON v.journey_id = j.journey_id WHERE j.status IN ('active', 'paused')`,
  );
  const names = new Set<string>();
  for (const { definition: d } of rows) {
    if (d.entry.kind === 'event') names.add(d.entry.event);
    if (d.entry.kind === 'segment') names.add('Segment Entered');
    if (d.goal) names.add(d.goal.event);
    for (const exit of d.exits) if (exit.kind === 'event') names.add(exit.event);
    for (const node of Object.values(d.nodes)) if (node.kind === 'wait_for_event') names.add(node.event);
  }
  await tx.execute('DELETE FROM watched_events');
  await tx.insertRows('watched_events', ['name'], [...names].map((n) => [n]));
}
