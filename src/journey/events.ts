import { createTempTable, dialect, type Queryable, type Store } from '../store/index.ts';
import { DUE_COLUMNS, runClaimed, type AdvanceReport, type RunContext } from './advance.ts';
import { enterCustomers, type LiveVersion } from './entry.ts';
import { propertyFiltersSql } from './filters.ts';
import type { PropertyFilter } from './schemas.ts';

/** What one pass over the event queue did. */
export interface EventQueueReport {
  events: number;
  entered: number;
  arrived: number;
  exited: number;
  converted: number;
}

/** Events whose trigger time is older than this, before a journey's publication, never enter it (a bulk import of history, say). */
const ENTRY_SLACK_MS = 86_400_000;
const BATCH = 20_000;

/**
 * Processes the queued events (store/event-queue.ts) for every live journey, in one transaction per batch, set-based:
 * entries (event and segment triggers of active journeys), arrivals at waits for an event (the instance moves to its
 * on_event step, due now), exit events, and goal conversions (the first goal event within the window, with its
 * revenue). Then, in the same transaction, the batch's customers' instances that are due now (those it entered or
 * moved on) run their steps as far as they go (advance.ts), their steps added to `advanced`; so a trigger reaches
 * its first message in one pass, without a look over every instance for due ones. Then the batch is deleted from the
 * queue. On PostgreSQL the batch's rows and the instances it runs are locked (SKIP LOCKED), so servers running the
 * engine side by side take different events and instances; and a batch processed twice changes nothing the second time.
 */
export async function processEventQueue(store: Store, versions: readonly LiveVersion[], at: RunContext, advanced: AdvanceReport): Promise<EventQueueReport> {
  const report: EventQueueReport = { events: 0, entered: 0, arrived: 0, exited: 0, converted: 0 };
  const { now } = at;
  for (;;) {
    const batch = await store.transaction(async (tx) => {
      await createTempTable(
        tx,
        'evq',
        `SELECT q.customer_id AS queued_id, coalesce(c.merged_into, q.customer_id) AS customer_id, q.message_id, q.name, q.properties, q.ts
         FROM (SELECT * FROM event_queue ORDER BY queued_at LIMIT ${BATCH}${dialect(tx.kind).skipLocked}) q LEFT JOIN customers c ON c.customer_id = q.customer_id`,
      );
      // Only the statements whose event is in this batch run: most batches hold one or two names.
      const counts = await tx.query<{ name: string; n: number }>('SELECT name, count(*) AS n FROM evq GROUP BY name');
      const n = counts.reduce((sum, c) => sum + Number(c.n), 0);
      if (n === 0) return 0;
      const names = new Set(counts.map((r) => r.name));
      for (const journey of versions) {
        const d = journey.definition;
        const entryEvent = d.entry.kind === 'event' ? d.entry.event : d.entry.kind === 'segment' ? 'Segment Entered' : undefined;
        if (journey.isCurrent && journey.status === 'active' && entryEvent && names.has(entryEvent)) report.entered += await enterFromEvents(tx, journey, now);
        for (const [id, node] of Object.entries(d.nodes)) {
          if (node.kind === 'wait_for_event' && names.has(node.event)) report.arrived += await arrive(tx, journey, id, node, now);
        }
        for (const exit of d.exits) if (exit.kind === 'event' && names.has(exit.event)) report.exited += await exitOn(tx, journey, exit, now);
        if (d.goal && names.has(d.goal.event)) report.converted += await convert(tx, journey, d.goal, now);
      }
      await createTempTable(
        tx,
        'due',
        `SELECT ${DUE_COLUMNS} FROM journey_instances
         WHERE status IN ('active', 'holdout') AND wake_at <= $1 AND customer_id IN (SELECT customer_id FROM evq)
           AND journey_id IN (SELECT journey_id FROM journeys WHERE status = 'active')${dialect(tx.kind).skipLocked}`,
        [now],
      );
      await runClaimed(tx, versions, at, advanced);
      await tx.execute('DELETE FROM event_queue WHERE (customer_id, message_id) IN (SELECT queued_id, message_id FROM evq)');
      await tx.execute('DROP TABLE evq');
      return n;
    });
    report.events += batch;
    if (batch < BATCH) return report;
  }
}

/** A WHERE clause over `evq e` for one event name and its filters, with its parameters after `params`. */
function matching(match: { event: string; where: readonly PropertyFilter[] }, params: unknown[]): string {
  const param = (value: unknown) => `$${params.push(value)}`;
  return `e.name = ${param(match.event)} AND ${propertyFiltersSql('e', match.where, param)}`;
}

async function enterFromEvents(tx: Queryable, journey: LiveVersion, now: Date): Promise<number> {
  const entry = journey.definition.entry;
  if (entry.kind !== 'event' && entry.kind !== 'segment') return 0;
  const params: unknown[] = [new Date(journey.publishedAt.getTime() - ENTRY_SLACK_MS)];
  const where =
    entry.kind === 'event'
      ? matching(entry, params)
      : matching({ event: 'Segment Entered', where: [{ property: 'segment', op: '=', value: entry.segment }] }, params);
  return enterCustomers(tx, journey, `SELECT e.customer_id, e.message_id AS instance_id, e.properties AS context, e.ts AS at FROM evq e WHERE e.ts >= CAST($1 AS TIMESTAMPTZ) AND ${where}`, params, now);
}

/** Instances waiting at `nodeId` whose event came (after they reached the step) move on to its on_event step. */
async function arrive(tx: Queryable, journey: LiveVersion, nodeId: string, node: { event: string; where: PropertyFilter[]; on_event: string }, now: Date): Promise<number> {
  const params: unknown[] = [journey.journeyId, journey.version, nodeId];
  const where = matching(node, params);
  await createTempTable(
    tx,
    'arrived',
    `SELECT i.customer_id, i.instance_id FROM journey_instances i
     WHERE i.journey_id = $1 AND i.version = $2 AND i.node = $3 AND i.status = 'active' AND i.phase = 'waiting'
       AND EXISTS (SELECT 1 FROM evq e WHERE e.customer_id = i.customer_id AND e.ts >= i.since AND ${where})`,
    params,
  );
  await tx.execute(
    `INSERT INTO journey_steps (customer_id, journey_id, instance_id, node, seq, kind, ran_at, outcome, message_id)
     SELECT a.customer_id, $1, a.instance_id, $2, i.steps + 1, 'wait_for_event', $3, 'event', NULL
     FROM arrived a JOIN journey_instances i ON i.customer_id = a.customer_id AND i.instance_id = a.instance_id AND i.journey_id = $1`,
    [journey.journeyId, nodeId, now],
  );
  return tx.execute(
    `UPDATE journey_instances SET node = $2, phase = 'ready', wake_at = $3, since = $3, steps = steps + 1, updated_at = $3
     WHERE journey_id = $1 AND (customer_id, instance_id) IN (SELECT customer_id, instance_id FROM arrived)`,
    [journey.journeyId, node.on_event, now],
  );
}

/** Live instances (active or held out) of this version with a matching event after they entered end, exited. */
async function exitOn(tx: Queryable, journey: LiveVersion, exit: { event: string; where: PropertyFilter[] }, now: Date): Promise<number> {
  const params: unknown[] = [journey.journeyId, journey.version, now, `exit event: ${exit.event}`];
  const where = matching(exit, params);
  return tx.execute(
    `UPDATE journey_instances SET status = 'exited', exit_reason = $4, finished_at = $3, phase = NULL, wake_at = NULL, updated_at = $3
     WHERE journey_id = $1 AND version = $2 AND status IN ('active', 'holdout')
       AND EXISTS (SELECT 1 FROM evq e WHERE e.customer_id = journey_instances.customer_id AND e.ts >= journey_instances.entered_at AND ${where})`,
    params,
  );
}

/** Instances of this version not yet converted whose goal event came within the window: the first such event counts. */
async function convert(tx: Queryable, journey: LiveVersion, goal: { event: string; where: PropertyFilter[]; within_days: number; revenue_property: string }, now: Date): Promise<number> {
  const params: unknown[] = [journey.journeyId, journey.version];
  const where = matching(goal, params);
  const revenue = `CAST(round(coalesce(CAST(e.properties->>${`$${params.push(goal.revenue_property)}`} AS DOUBLE PRECISION), 0) * 100) AS BIGINT)`;
  await createTempTable(
    tx,
    'converted',
    `SELECT customer_id, instance_id, ts, revenue_fen FROM (
       SELECT i.customer_id, i.instance_id, e.ts, ${revenue} AS revenue_fen, row_number() OVER (PARTITION BY i.customer_id, i.instance_id ORDER BY e.ts) AS k
       FROM journey_instances i JOIN evq e ON e.customer_id = i.customer_id
       WHERE i.journey_id = $1 AND i.version = $2 AND i.converted_at IS NULL AND e.ts >= i.entered_at
         AND e.ts < i.entered_at + INTERVAL '${goal.within_days} days' AND ${where}
     ) t WHERE k = 1`,
    params,
  );
  return tx.execute(
    `UPDATE journey_instances SET converted_at = c.ts, revenue_fen = c.revenue_fen, updated_at = $2
     FROM converted c WHERE journey_instances.journey_id = $1 AND journey_instances.customer_id = c.customer_id AND journey_instances.instance_id = c.instance_id`,
    [journey.journeyId, now],
  );
}
