import { SiyuError } from '../core/errors.ts';
import { parseSchedule } from '../core/cron.ts';
import { dialect, jsonRowsParam, keyRingFor, readBrandSettings, type Store } from '../store/index.ts';
import { advanceInstances, type AdvanceOptions, type AdvanceReport, type RunContext } from './advance.ts';
import { getJourney } from './definitions.ts';
import { enterCustomers, liveVersions, type LiveVersion } from './entry.ts';
import { processEventQueue, type EventQueueReport } from './events.ts';

export interface JourneyRunReport {
  events: EventQueueReport;
  broadcasts: { journeyId: string; slot: Date; entered: number }[];
  /** Every step run: those the queued events made due, and those due by time. */
  advanced: AdvanceReport;
}

export interface RunJourneysOptions extends AdvanceOptions {
  now?: Date;
  /**
   * Only the queued events and the steps they made due (true when `siyu serve` runs the engine right after an
   * ingest batch: no look over every instance for waits that ended, nor for broadcasts, which its run every second
   * does). Off by default.
   */
  isEventsOnly?: boolean;
}

/**
 * One run of the journey engine at `now` (an injectable clock: tests and the demo move it): the queued events
 * (entries, arrivals, exits, goals, and the steps these made due), then the broadcasts that are due, then every other
 * due step. `siyu serve` runs it after each ingest batch (events only) and every second; the `journeys` job runs it
 * too. Runs on one database take turns within a process: the server's and the job's may use different connections.
 */
export async function runJourneys(store: Store, options: RunJourneysOptions = {}): Promise<JourneyRunReport> {
  return oneAtATime(store.location, async () => {
    const now = options.now ?? new Date();
    const advanced: AdvanceReport = { steps: 0, holdoutsClosed: 0, exited: 0 };
    const versions = await liveVersions(store);
    if (versions.length === 0) {
      // Nothing live: what is queued concerns no journey.
      await store.execute('DELETE FROM event_queue');
      return { events: { events: 0, entered: 0, arrived: 0, exited: 0, converted: 0 }, broadcasts: [], advanced };
    }
    const { timezone } = await readBrandSettings(store);
    const at: RunContext = { now, timezone, messageTtlHours: options.messageTtlHours ?? 72, keyRing: (db) => keyRingFor(store, db) };
    const events = await processEventQueue(store, versions, at, advanced);
    if (options.isEventsOnly) return { events, broadcasts: [], advanced };
    const broadcasts = await runBroadcasts(store, versions, at);
    const due = await advanceInstances(store, versions, at, options);
    return { events, broadcasts, advanced: { steps: advanced.steps + due.steps, holdoutsClosed: advanced.holdoutsClosed + due.holdoutsClosed, exited: advanced.exited + due.exited } };
  });
}

const turns = new Map<string, Promise<void>>();

/** Runs `fn` after the runs already waiting on `key` (a database's location), one at a time. */
async function oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = turns.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  turns.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (turns.get(key) === tail) turns.delete(key);
  }
}

/** Enters each broadcast journey's segment members for its latest due slot (one-off `at`, or `cron`) not yet fired. */
async function runBroadcasts(store: Store, versions: readonly LiveVersion[], { now, timezone }: RunContext): Promise<JourneyRunReport['broadcasts']> {
  const fired: JourneyRunReport['broadcasts'] = [];
  for (const journey of versions) {
    const entry = journey.definition.entry;
    if (entry.kind !== 'broadcast' || !journey.isCurrent || journey.status !== 'active') continue;
    const slot = entry.at ? new Date(entry.at) : parseSchedule(entry.cron!, timezone).previous(now);
    if (!slot || slot > now || (entry.cron && slot < journey.publishedAt)) continue;
    const entered = await store.transaction(async (tx) => {
      // The slot is claimed first: a second server firing it at the same moment waits on this row, then finds it taken.
      const claimed = await tx.execute('INSERT INTO journey_broadcasts (journey_id, slot, fired_at, entered) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING', [journey.journeyId, slot, now]);
      if (claimed === 0) return undefined;
      const n = await enterCustomers(
        tx,
        journey,
        `SELECT customer_id, 'broadcast:' || CAST($2 AS TEXT) AS instance_id, CAST(NULL AS JSON) AS context, CAST($3 AS TIMESTAMPTZ) AS at
         FROM segment_membership WHERE segment = $1 AND left_on IS NULL`,
        [entry.segment, slot.toISOString(), slot],
        now,
      );
      await tx.execute('UPDATE journey_broadcasts SET entered = $3 WHERE journey_id = $1 AND slot = $2', [journey.journeyId, slot, n]);
      return n;
    });
    if (entered !== undefined) fired.push({ journeyId: journey.journeyId, slot, entered });
  }
  return fired;
}

/**
 * Enters customers into an `api`-entry journey (POST /v1/journeys/:id/enter): each with the caller's idempotency
 * key as its instance id (a repeat enters nobody twice) and optional context for the templates. Returns how many
 * entered; customers already in the journey, or kept out by its re-entry rule, are not.
 */
export async function enterJourney(store: Store, journeyId: string, entrants: readonly { customerId: string; key: string; context?: Record<string, unknown> }[], now: Date = new Date()): Promise<{ entered: number }> {
  const journey = await getJourney(store, journeyId);
  const definition = journey.definition;
  if (!definition || journey.status !== 'active') throw new SiyuError('conflict', 'journey_not_active', `journey ${journeyId} is ${journey.status}; customers enter active journeys only`);
  if (definition.entry.kind !== 'api') throw new SiyuError('validation', 'not_api_entry', `journey ${journeyId} is entered by ${definition.entry.kind}, not through the API`);
  const live: LiveVersion = { journeyId, version: journey.publishedVersion!, status: 'active', isCurrent: true, publishedAt: journey.updatedAt, definition };
  const rows = entrants.map((e) => [e.customerId, `api:${e.key}`, e.context ? JSON.stringify(e.context) : null]);
  const entered = await store.transaction((tx) =>
    enterCustomers(
      tx,
      live,
      `SELECT r.customer_id, r.instance_id, CAST(r.context AS JSON) AS context, CAST($2 AS TIMESTAMPTZ) AS at FROM ${dialect(tx.kind).jsonRows('$1', ['customer_id', 'instance_id', 'context'])} r`,
      [jsonRowsParam(rows), now],
      now,
    ),
  );
  return { entered };
}
