import { localParts } from '../core/local-time.ts';
import { compileSegment } from '../segment/index.ts';
import { createTempTable, dialect, type KeyRing, type Queryable, type Store } from '../store/index.ts';
import type { LiveVersion } from './entry.ts';
import { finish, runStep, type StepContext } from './steps.ts';

export interface AdvanceOptions {
  /** Instances claimed per transaction (default 500,000: each batch looks over every instance once, so fewer, larger batches cost less; 1M instances in two batches peaked at about 1.1 GB in bench/journeys.ts). */
  batchSize?: number;
  /** Hours a marketing message may wait before it is skipped (default 72). */
  messageTtlHours?: number;
}

export interface AdvanceReport {
  /** Steps run (an instance moving through three steps counts three). */
  steps: number;
  /** Held-out instances whose goal window closed. */
  holdoutsClosed: number;
  /** Instances ended by an exit condition. */
  exited: number;
}

/** Batches per call, and steps per batch, at most: a journey is acyclic, so each round moves every instance a step on. */
const MAX_PASSES = 200;

/** Where and when the engine runs, read once per run. */
export interface RunContext {
  now: Date;
  /** The brand timezone. */
  timezone: string;
  /** Hours a marketing message may wait before it is skipped. */
  messageTtlHours: number;
  /** The store's key ring, read through `db` (inside a transaction, the transaction): birthday waits open birthdays. */
  keyRing: (db: Queryable) => Promise<KeyRing>;
}

/**
 * Runs every step that is due at `now`, set-based: claims a batch of due instances of active journeys (on PostgreSQL
 * with SKIP LOCKED, so several servers share the work and never run one instance twice), then runs them as far as
 * they go now (runClaimed). Batches repeat until nothing is due.
 */
export async function advanceInstances(store: Store, versions: readonly LiveVersion[], at: RunContext, options: AdvanceOptions = {}): Promise<AdvanceReport> {
  const report: AdvanceReport = { steps: 0, holdoutsClosed: 0, exited: 0 };
  const batch = options.batchSize ?? 500_000;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const claimed = await store.transaction(async (tx) => {
      await createTempTable(
        tx,
        'due',
        `SELECT ${DUE_COLUMNS} FROM journey_instances
         WHERE status IN ('active', 'holdout') AND wake_at <= $1 AND journey_id IN (SELECT journey_id FROM journeys WHERE status = 'active')
         ORDER BY wake_at LIMIT ${batch}${dialect(tx.kind).skipLocked}`,
        [at.now],
      );
      return runClaimed(tx, versions, at, report);
    });
    // A batch smaller than asked for took every due instance, and each went as far as it could now.
    if (claimed < batch) break;
  }
  return report;
}

/** The columns of the temporary table `due` that runClaimed takes its instances from. */
export const DUE_COLUMNS = 'customer_id, journey_id, instance_id, version, status, node, phase, steps';

/**
 * Runs the instances the caller claimed into the temporary table `due` (DUE_COLUMNS, locked on PostgreSQL) as far as
 * they go at `now`, in the caller's transaction: per journey version and step, the step for all of them at once, with
 * its side effects. Instances moved on are due at once and go on to their next step; waits park them until later.
 * Returns how many were claimed; adds what ran to `report`.
 */
export async function runClaimed(tx: Queryable, versions: readonly LiveVersion[], at: RunContext, report: AdvanceReport): Promise<number> {
  const byKey = new Map(versions.map((v) => [`${v.journeyId}@${v.version}`, v]));
  const local = localParts(at.timezone, at.now);
  const today = `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
  await createTempTable(tx, 'claim', 'SELECT customer_id, journey_id, instance_id FROM due');
  let claimed = 0;
  // The claimed instances go from step to step in this transaction: those a step moved on (due now) are taken up
  // again from the claim, without looking over the whole table for due instances between steps.
  for (let step = 0; step < MAX_PASSES; step++) {
    const groups = await tx.query<{ journey_id: string; version: number; status: string; node: string | null; phase: 'ready' | 'waiting'; n: number }>(
      'SELECT journey_id, version, status, node, phase, count(*) AS n FROM due GROUP BY journey_id, version, status, node, phase ORDER BY journey_id, version, node',
    );
    if (groups.length === 0) break;
    for (const group of groups) await runGroup(tx, group, report, byKey, { now: at.now, timezone: at.timezone, today, messageTtlHours: at.messageTtlHours, keyRing: at.keyRing });
    if (step === 0) claimed = groups.reduce((sum, g) => sum + Number(g.n), 0);
    await tx.execute('DROP TABLE due');
    await createTempTable(
      tx,
      'due',
      `SELECT ${DUE_COLUMNS.split(', ').map((c) => `i.${c}`).join(', ')} FROM journey_instances i JOIN claim c ON c.customer_id = i.customer_id AND c.journey_id = i.journey_id AND c.instance_id = i.instance_id
       WHERE i.status = 'active' AND i.phase = 'ready' AND i.wake_at <= $1`,
      [at.now],
    );
  }
  await tx.execute('DROP TABLE IF EXISTS grp');
  await tx.execute('DROP TABLE due');
  await tx.execute('DROP TABLE claim');
  return claimed;
}

/** Runs one group of due instances (one journey version, status, step and phase) through its step. */
async function runGroup(
  tx: Queryable,
  group: { journey_id: string; version: number; status: string; node: string | null; phase: 'ready' | 'waiting'; n: number },
  report: AdvanceReport,
  byKey: ReadonlyMap<string, LiveVersion>,
  at: Omit<StepContext, 'tx' | 'journey' | 'nodeId'>,
): Promise<void> {
  const journey = byKey.get(`${group.journey_id}@${group.version}`);
  if (!journey) return;
  await createTempTable(tx, 'grp', 'SELECT customer_id, instance_id, steps FROM due WHERE journey_id = $1 AND version = $2 AND status = $3 AND coalesce(node, \'\') = $4 AND phase = $5', [
    group.journey_id,
    group.version,
    group.status,
    group.node ?? '',
    group.phase,
  ]);
  const context: StepContext = { ...at, tx, journey, nodeId: group.node ?? '' };
  if (group.status === 'holdout') {
    report.holdoutsClosed += await finish(context, 'completed', 'holdout: goal window closed');
    return;
  }
  const exited = await conditionExits(context);
  report.exited += exited;
  if (exited > 0) await tx.execute(`DELETE FROM grp WHERE (customer_id, instance_id) NOT IN (SELECT customer_id, instance_id FROM journey_instances WHERE journey_id = $1 AND status = 'active')`, [journey.journeyId]);
  const node = journey.definition.nodes[group.node ?? ''];
  if (node) await runStep(context, node, group.phase);
  else await finish(context, 'exited', `step ${group.node} is not in version ${journey.version}`);
  report.steps += Number(group.n) - exited;
}

/** Ends the group's instances for which one of the journey's exit conditions holds now. */
async function conditionExits(c: StepContext): Promise<number> {
  let exited = 0;
  for (const [i, exit] of c.journey.definition.exits.entries()) {
    if (exit.kind !== 'condition') continue;
    const { sql, params } = await compileSegment(c.tx, exit.condition, c.today);
    await createTempTable(c.tx, 'exiting', `SELECT m.customer_id FROM (${sql}) m WHERE m.customer_id IN (SELECT customer_id FROM grp)`, params);
    exited += await finish(c, 'exited', `exit condition ${i + 1}`, 'customer_id IN (SELECT customer_id FROM exiting)');
  }
  return exited;
}
