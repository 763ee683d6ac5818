import { assertNever } from '../core/errors.ts';
import { nextAnniversary, nextLocalTime, zonedInstant } from '../core/local-time.ts';
import { queueMessages } from '../channels/index.ts';
import { awardPoints, issueCoupons } from '../loyalty/index.ts';
import { openPii } from '../privacy/index.ts';
import { compileSegment, setTagsWhere } from '../segment/index.ts';
import { dialect, jsonRowsParam, type KeyRing, type Queryable } from '../store/index.ts';
import { BUCKETS, type LiveVersion } from './entry.ts';
import { durationMs, type JourneyNode } from './schemas.ts';

/**
 * The steps, each run set-based over one group of due instances: those of one journey version at one step, listed in
 * the temporary table `grp` (customer_id, instance_id, and the steps each has run). Each moves its instances on (or
 * parks them to wait) and records what it did in journey_steps, in the engine's transaction, together with its side
 * effects (messages queued to the outbox, tags, traits): a step and its effects commit or roll back as one.
 */
export interface StepContext {
  tx: Queryable;
  journey: LiveVersion;
  nodeId: string;
  now: Date;
  /** The brand timezone; a customer's own (traits.timezone) wins for local times. */
  timezone: string;
  /** The brand-local day of `now`, for conditions. */
  today: string;
  /** Hours a marketing message may wait (quiet hours, caps) before it is skipped. */
  messageTtlHours: number;
  /** The store's key ring, read through `db`: sealed birthdays are opened with it. */
  keyRing: (db: Queryable) => Promise<KeyRing>;
}

const IN_GROUP = `(customer_id, instance_id) IN (SELECT customer_id, instance_id FROM grp`;

/** Moves the group's instances (those `where` selects, over grp's columns) to `next`, due now. */
async function moveTo(c: StepContext, next: string, where = 'TRUE', params: readonly unknown[] = []): Promise<number> {
  const n = params.length;
  return c.tx.execute(
    `UPDATE journey_instances SET node = $${n + 1}, phase = 'ready', wake_at = $${n + 2}, since = $${n + 2}, steps = steps + 1, updated_at = $${n + 2}
     WHERE journey_id = $${n + 3} AND ${IN_GROUP} WHERE ${where})`,
    [...params, next, c.now, c.journey.journeyId],
  );
}

/** Records the step for the group's instances `where` selects; `outcome` and `messageId` are SQL over grp's columns. */
async function record(c: StepContext, kind: string, outcome: string, where = 'TRUE', params: readonly unknown[] = [], messageId = 'NULL'): Promise<void> {
  const n = params.length;
  await c.tx.execute(
    `INSERT INTO journey_steps (customer_id, journey_id, instance_id, node, seq, kind, ran_at, outcome, message_id)
     SELECT customer_id, $${n + 1}, instance_id, $${n + 2}, steps + 1, $${n + 3}, $${n + 4}, ${outcome}, ${messageId} FROM grp WHERE ${where}`,
    [...params, c.journey.journeyId, c.nodeId, kind, c.now],
  );
}

/** Parks the group to wait until `wakeAt` (SQL over grp, or a parameter). */
async function park(c: StepContext, wakeAt: string, params: readonly unknown[] = []): Promise<void> {
  const n = params.length;
  await c.tx.execute(
    `UPDATE journey_instances SET phase = 'waiting', wake_at = ${wakeAt}, since = $${n + 1}, updated_at = $${n + 1} WHERE journey_id = $${n + 2} AND ${IN_GROUP})`,
    [...params, c.now, c.journey.journeyId],
  );
}

/** Ends the group's instances (`where` selects) as completed or exited, with a reason; `afterStep` when a recorded step ended them. */
export async function finish(c: Pick<StepContext, 'tx' | 'journey' | 'now'>, status: 'completed' | 'exited', reason: string, where = 'TRUE', params: readonly unknown[] = [], afterStep = false): Promise<number> {
  const n = params.length;
  return c.tx.execute(
    `UPDATE journey_instances SET status = $${n + 1}, exit_reason = $${n + 2}, finished_at = $${n + 3}, phase = NULL, wake_at = NULL, steps = steps + ${afterStep ? 1 : 0}, updated_at = $${n + 3}
     WHERE journey_id = $${n + 4} AND ${IN_GROUP} WHERE ${where})`,
    [...params, status, reason, c.now, c.journey.journeyId],
  );
}

/** Runs one step for the group, in phase `phase`: `ready` runs the step, `waiting` means its wait is over. */
export async function runStep(c: StepContext, node: JourneyNode, phase: 'ready' | 'waiting'): Promise<void> {
  if (phase === 'waiting') {
    if (node.kind === 'wait') {
      await record(c, node.kind, `'waited'`);
      await moveTo(c, node.next);
    } else if (node.kind === 'wait_for_event') {
      await record(c, node.kind, `'timed out'`);
      await moveTo(c, node.on_timeout);
    }
    return;
  }
  switch (node.kind) {
    case 'wait':
      return startWait(c, node);
    case 'wait_for_event':
      return park(c, `CAST($1 AS TIMESTAMPTZ)`, [new Date(c.now.getTime() + durationMs(node.timeout))]);
    case 'condition':
      return condition(c, node);
    case 'split':
      return split(c, node);
    case 'message':
    case 'webhook':
      return message(c, node);
    case 'update':
      return update(c, node);
    case 'coupon':
      return coupon(c, node);
    case 'points':
      return points(c, node);
    case 'exit':
      await record(c, node.kind, `'exit'`);
      await finish(c, 'completed', 'reached exit', 'TRUE', [], true);
      return;
    default:
      assertNever(node);
  }
}

/**
 * A wait: a fixed duration in SQL; local times, dates and date traits per customer, in their own timezone. The
 * profile's birthday is sealed, so a birthday wait opens it here, for the instances reaching the step in this batch
 * (the group), never in SQL; 29 February falls on 28 February in other years (nextAnniversary).
 */
async function startWait(c: StepContext, node: Extract<JourneyNode, { kind: 'wait' }>): Promise<void> {
  if (node.duration) return park(c, 'CAST($1 AS TIMESTAMPTZ)', [new Date(c.now.getTime() + durationMs(node.duration))]);
  const isBirthday = node.until_trait === 'birthday';
  const trait = isBirthday ? 'c.birthday' : node.until_trait ? `(c.traits->>'${node.until_trait}')` : 'NULL';
  const rows = await c.tx.query<{ customer_id: string; instance_id: string; tz: string | null; day: string | null }>(
    `SELECT g.customer_id, g.instance_id, c.traits->>'timezone' AS tz, CAST(${trait} AS VARCHAR) AS day FROM grp g JOIN customers c ON c.customer_id = g.customer_id`,
  );
  if (isBirthday && rows.some((r) => r.day !== null)) {
    const ring = await c.keyRing(c.tx);
    for (const row of rows) row.day = openPii(ring, row.day);
  }
  const wakes: [string, string, string][] = [];
  for (const row of rows) {
    const tz = row.tz && isZone(row.tz) ? row.tz : c.timezone;
    let wake: Date | undefined;
    if (node.until_time) wake = nextLocalTime(tz, c.now, Number(node.until_time.slice(0, 2)), Number(node.until_time.slice(3)));
    else if (node.until_date) wake = zonedInstant(tz, Number(node.until_date.slice(0, 4)), Number(node.until_date.slice(5, 7)), Number(node.until_date.slice(8, 10)));
    else if (row.day && /^\d{4}-\d{2}-\d{2}/.test(row.day)) wake = nextAnniversary(tz, c.now, Number(row.day.slice(5, 7)), Number(row.day.slice(8, 10)));
    if (wake) wakes.push([row.customer_id, row.instance_id, wake.toISOString()]);
  }
  await c.tx.execute(
    `UPDATE journey_instances SET phase = 'waiting', wake_at = CAST(w.wake AS TIMESTAMPTZ), since = $2, updated_at = $2
     FROM ${dialect(c.tx.kind).jsonRows('$1', ['customer_id', 'instance_id', 'wake'])} w
     WHERE journey_instances.journey_id = $3 AND journey_instances.customer_id = w.customer_id AND journey_instances.instance_id = w.instance_id`,
    [jsonRowsParam(wakes), c.now, c.journey.journeyId],
  );
  if (wakes.length < rows.length) {
    // No date to wait for (a birthday never given): the instance ends rather than going on at the wrong time.
    const without = `customer_id NOT IN (SELECT customer_id FROM ${dialect(c.tx.kind).jsonRows('$1', ['customer_id'])} x)`;
    const ids = jsonRowsParam(wakes.map(([customer]) => [customer]));
    await record(c, 'wait', `'no ${node.until_trait}'`, without, [ids]);
    await finish(c, 'exited', `no ${node.until_trait} to wait for`, without, [ids], true);
  }
}

const zones = new Map<string, boolean>();
function isZone(tz: string): boolean {
  if (!zones.has(tz)) {
    let ok = true;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
    } catch {
      ok = false;
    }
    zones.set(tz, ok);
  }
  return zones.get(tz)!;
}

/** A condition split: the segment DSL evaluated now for the group, then and else. */
async function condition(c: StepContext, node: Extract<JourneyNode, { kind: 'condition' }>): Promise<void> {
  const { sql, params } = await compileSegment(c.tx, node.condition, c.today);
  await c.tx.execute('DROP TABLE IF EXISTS matched');
  await c.tx.execute(`CREATE TEMP TABLE matched AS SELECT m.customer_id FROM (${sql}) m WHERE m.customer_id IN (SELECT customer_id FROM grp)`, params);
  const inMatched = 'customer_id IN (SELECT customer_id FROM matched)';
  await record(c, node.kind, `CASE WHEN ${inMatched} THEN 'then' ELSE 'else' END`);
  await moveTo(c, node.then, inMatched);
  await moveTo(c, node.else, `NOT ${inMatched}`);
  await c.tx.execute('DROP TABLE matched');
}

/** A random split: a stable hash of customer, journey and step picks the arm, by the arms' weights. */
async function split(c: StepContext, node: Extract<JourneyNode, { kind: 'split' }>): Promise<void> {
  const total = node.variants.reduce((sum, v) => sum + v.weight, 0);
  const bucket = dialect(c.tx.kind).hashBucket(`customer_id || ':' || CAST($1 AS TEXT)`, BUCKETS);
  let edge = 0;
  const arms = node.variants.map((v, i) => {
    const low = edge;
    edge = i === node.variants.length - 1 ? BUCKETS : Math.round((edge + (v.weight / total) * BUCKETS));
    return { ...v, where: `${bucket} >= ${low} AND ${bucket} < ${edge}` };
  });
  const key = `${c.journey.journeyId}:${c.nodeId}`;
  for (const arm of arms) {
    await record(c, node.kind, `CAST($2 AS TEXT)`, arm.where, [key, arm.name]);
    await c.tx.execute(
      `UPDATE journey_instances SET variant = CASE WHEN variant IS NULL THEN CAST($2 AS TEXT) ELSE variant || '/' || CAST($2 AS TEXT) END
       WHERE journey_id = $3 AND ${IN_GROUP} WHERE ${arm.where})`,
      [key, arm.name, c.journey.journeyId],
    );
    await moveTo(c, arm.next, arm.where, [key]);
  }
}

/** A message or webhook step: one outbox row per instance, with a deterministic id, then on. */
async function message(c: StepContext, node: Extract<JourneyNode, { kind: 'message' | 'webhook' }>): Promise<void> {
  const d = c.journey.definition;
  const content = node.kind === 'message' ? { ...node.content, fallback: node.fallback ?? null } : { url: node.url };
  const purpose = node.kind === 'message' && node.transactional ? 'transactional' : 'marketing';
  // Unique across customers: a broadcast's or an API entry's instance id is shared by everyone it entered.
  const id = `'journey:' || CAST($1 AS TEXT) || ':' || g.customer_id || ':' || g.instance_id || ':' || CAST($2 AS TEXT)`;
  await queueMessages(
    c.tx,
    `SELECT g.customer_id, ${id} AS message_id, CAST($3 AS TEXT) AS channel, CAST($4 AS TEXT) AS purpose, CAST($1 AS TEXT) AS journey_id, g.instance_id, CAST($2 AS TEXT) AS node,
            CAST($5 AS INTEGER) AS priority, CAST($6 AS JSON) AS content, i.context, CAST($7 AS TIMESTAMPTZ) AS due_at, CAST($8 AS TIMESTAMPTZ) AS expires_at
     FROM grp g JOIN journey_instances i ON i.customer_id = g.customer_id AND i.instance_id = g.instance_id AND i.journey_id = CAST($1 AS TEXT)`,
    [c.journey.journeyId, c.nodeId, node.kind === 'message' ? node.channel : 'webhook', purpose, d.priority, JSON.stringify(content), c.now, new Date(c.now.getTime() + c.messageTtlHours * 3_600_000)],
    c.now,
  );
  await record(c, node.kind, `'queued'`, 'TRUE', [c.journey.journeyId, c.nodeId], `'journey:' || CAST($1 AS TEXT) || ':' || customer_id || ':' || instance_id || ':' || CAST($2 AS TEXT)`);
  await moveTo(c, node.next);
}

/** Tags added and removed, traits set, for every customer in the group; then on. */
async function update(c: StepContext, node: Extract<JourneyNode, { kind: 'update' }>): Promise<void> {
  const by = `journey:${c.journey.journeyId}`;
  for (const tag of node.add_tags) await setTagsWhere(c.tx, tag, 'SELECT customer_id FROM grp', [], 'add', by, c.now);
  for (const tag of node.remove_tags) await setTagsWhere(c.tx, tag, 'SELECT customer_id FROM grp', [], 'remove', by, c.now);
  if (Object.keys(node.set_traits).length > 0) {
    await c.tx.execute(`UPDATE customers SET traits = ${dialect(c.tx.kind).jsonMerge('traits', 'CAST($1 AS TEXT)')}, updated_at = $2 WHERE customer_id IN (SELECT customer_id FROM grp)`, [
      JSON.stringify(node.set_traits),
      c.now,
    ]);
  }
  await record(c, node.kind, `'updated'`);
  await moveTo(c, node.next);
}

/**
 * Records each customer's own outcome (customer → text, from a loyalty action) and moves the group on. The outcomes go
 * through a temporary table, so one statement records them all.
 */
async function recordEach(c: StepContext, kind: string, outcomes: ReadonlyMap<string, string>, next: string): Promise<void> {
  await c.tx.execute('DROP TABLE IF EXISTS step_outcomes');
  await c.tx.execute(
    `CREATE TEMP TABLE step_outcomes AS SELECT customer_id, outcome FROM ${dialect(c.tx.kind).jsonRows('$1', ['customer_id', 'outcome'])} x`,
    [jsonRowsParam([...outcomes])],
  );
  await record(c, kind, `coalesce((SELECT o.outcome FROM step_outcomes o WHERE o.customer_id = grp.customer_id), 'no outcome')`);
  await c.tx.execute('DROP TABLE step_outcomes');
  await moveTo(c, next);
}

/** Issues a coupon of the offer to every customer in the group (loyalty's issueCoupons, in this transaction); then on. */
async function coupon(c: StepContext, node: Extract<JourneyNode, { kind: 'coupon' }>): Promise<void> {
  const customers = (await c.tx.query<{ customer_id: string }>('SELECT DISTINCT customer_id FROM grp')).map((r) => r.customer_id);
  const issued = await issueCoupons(c.tx, node.offer, customers, { source: `journey:${c.journey.journeyId}:${c.nodeId}:${c.today}`, now: c.now });
  const outcomes = new Map(issued.map((o) => [o.customerId, o.outcome === 'rejected' ? `not issued: ${o.reason}` : `coupon ${o.code}`]));
  await recordEach(c, node.kind, outcomes, node.next);
}

/** Awards the points to every instance in the group, once per instance (loyalty's awardPoints); then on. */
async function points(c: StepContext, node: Extract<JourneyNode, { kind: 'points' }>): Promise<void> {
  const rows = await c.tx.query<{ customer_id: string; instance_id: string }>('SELECT customer_id, instance_id FROM grp');
  const awards = rows.map((r) => ({
    customerId: r.customer_id,
    key: `journey:${c.journey.journeyId}:${r.instance_id}:${c.nodeId}`,
    points: node.points,
    source: 'journey' as const,
    sourceId: c.journey.journeyId,
    reason: node.reason ?? `journey ${c.journey.journeyId}`,
    at: c.now,
    isImmediate: node.immediate,
  }));
  const awarded = await awardPoints(c.tx, awards, { now: c.now });
  await recordEach(c, node.kind, new Map(awarded.map((a) => [a.customerId, a.outcome === 'awarded' ? `${a.points} points` : 'already awarded'])), node.next);
}
