import { proportionUplift, sampleSizePerGroup, welchUplift, type MeanUplift, type ProportionUplift } from '../analytics/index.ts';
import type { Queryable } from '../store/index.ts';
import { getJourney } from './definitions.ts';

/** One arm of a journey's experiment: everyone treated, one split's arm, or the holdout. */
export interface ArmReport {
  arm: string;
  customers: number;
  converted: number;
  conversionRate: number;
  revenueFen: number;
  revenuePerCustomerFen: number;
  /** Against the holdout: conversion uplift (Newcombe interval, z test) and revenue per customer (Welch); null without a holdout. */
  uplift: ProportionUplift | null;
  revenueUplift: MeanUplift | null;
}

export interface StepReport {
  node: string;
  kind: string;
  /** Instances that ran the step, by outcome (the branch or arm taken, queued, waited…). */
  outcomes: Record<string, number>;
  /** Instances waiting at the step now. */
  active: number;
  /** The step's messages by state: sent (handed over or delivered), deferred, skipped, failed, unknown… */
  messages: Record<string, number>;
}

export interface JourneyReport {
  journeyId: string;
  name: string;
  status: string;
  entered: number;
  active: number;
  completed: number;
  exited: number;
  heldOut: number;
  goal: { event: string; withinDays: number } | null;
  /** The arms count only customers whose goal window had closed by this time, so every one had the whole window. */
  windowsClosedBy: Date;
  /** Customers whose goal window was still open then: not yet in the arms. */
  windowsOpen: number;
  arms: ArmReport[];
  steps: StepReport[];
  /** Customers per group the holdout comparison would need to detect the observed difference (80% power, α 0.05). */
  sampleSizeNeeded: number | null;
}

interface ArmRow {
  arm: string;
  n: number;
  converted: number;
  revenue: number;
  revenue_squares: number;
}

/**
 * A journey's report: entries and where instances are, per step what happened and what its messages became, and
 * per arm (all treated, each split arm, the holdout) conversion and revenue per customer, with uplift against the
 * holdout (docs/journeys.md, "Measuring uplift").
 */
export async function journeyReport(db: Queryable, journeyId: string, options: { now?: Date } = {}): Promise<JourneyReport> {
  const journey = await getJourney(db, journeyId);
  // By default the later of the clock and the journey's latest activity (a simulated clock, as in the demo, may run ahead).
  const [latest] = options.now ? [] : await db.query<{ at: Date | null }>('SELECT max(updated_at) AS at FROM journey_instances WHERE journey_id = $1', [journeyId]);
  const now = options.now ?? new Date(Math.max(Date.now(), latest?.at ? new Date(latest.at).getTime() : 0));
  // Conversion within N days needs N days of watching: customers who entered less than the window ago wait.
  const windowDays = journey.definition?.goal?.within_days ?? 0;
  const closedBefore = new Date(now.getTime() - windowDays * 86_400_000);
  const [totals] = await db.query<{ entered: number; active: number; completed: number; exited: number; held_out: number }>(
    `SELECT count(*) AS entered, count(*) FILTER (WHERE status = 'active') AS active, count(*) FILTER (WHERE status = 'completed' AND NOT is_holdout) AS completed,
            count(*) FILTER (WHERE status = 'exited') AS exited, count(*) FILTER (WHERE is_holdout) AS held_out
     FROM journey_instances WHERE journey_id = $1`,
    [journeyId],
  );
  const moments = `count(*) AS n, count(converted_at) AS converted, coalesce(sum(coalesce(revenue_fen, 0)), 0) AS revenue, coalesce(sum(CAST(coalesce(revenue_fen, 0) AS DOUBLE PRECISION) * coalesce(revenue_fen, 0)), 0) AS revenue_squares`;
  const rows = await db.query<ArmRow>(
    `SELECT CASE WHEN is_holdout THEN 'holdout' ELSE 'treated' END AS arm, ${moments} FROM journey_instances WHERE journey_id = $1 AND entered_at <= $2 GROUP BY is_holdout
     UNION ALL
     SELECT 'variant ' || variant AS arm, ${moments} FROM journey_instances WHERE journey_id = $1 AND entered_at <= $2 AND variant IS NOT NULL AND NOT is_holdout GROUP BY variant`,
    [journeyId, closedBefore],
  );
  const [open] = await db.query<{ n: number }>('SELECT count(*) AS n FROM journey_instances WHERE journey_id = $1 AND entered_at > $2', [journeyId, closedBefore]);
  const holdout = rows.find((r) => r.arm === 'holdout');
  const arms = rows
    .sort((a, b) => (a.arm === 'holdout' ? 1 : b.arm === 'holdout' ? -1 : a.arm.localeCompare(b.arm)))
    .map((r): ArmReport => {
      const [n, converted, revenue] = [Number(r.n), Number(r.converted), Number(r.revenue)];
      const compared = holdout && r.arm !== 'holdout';
      return {
        arm: r.arm,
        customers: n,
        converted,
        conversionRate: n ? converted / n : 0,
        revenueFen: revenue,
        revenuePerCustomerFen: n ? revenue / n : 0,
        uplift: compared ? proportionUplift(converted, n, Number(holdout.converted), Number(holdout.n)) : null,
        revenueUplift: compared ? welchUplift({ n, sum: revenue, sumSquares: Number(r.revenue_squares) }, { n: Number(holdout.n), sum: Number(holdout.revenue), sumSquares: Number(holdout.revenue_squares) }) : null,
      };
    });
  const treated = arms.find((a) => a.arm === 'treated');
  const control = arms.find((a) => a.arm === 'holdout');
  const detectable = treated && control && treated.conversionRate !== control.conversionRate && control.conversionRate > 0 && control.conversionRate < 1;
  return {
    journeyId,
    name: journey.name,
    status: journey.status,
    entered: Number(totals?.entered ?? 0),
    active: Number(totals?.active ?? 0),
    completed: Number(totals?.completed ?? 0),
    exited: Number(totals?.exited ?? 0),
    heldOut: Number(totals?.held_out ?? 0),
    goal: journey.definition?.goal ? { event: journey.definition.goal.event, withinDays: journey.definition.goal.within_days } : null,
    windowsClosedBy: closedBefore,
    windowsOpen: Number(open?.n ?? 0),
    arms,
    steps: await stepReports(db, journeyId),
    sampleSizeNeeded: detectable ? sampleSizePerGroup(control.conversionRate, treated.conversionRate) : null,
  };
}

/** Per step: outcomes, instances waiting there, and the step's messages by state. */
async function stepReports(db: Queryable, journeyId: string): Promise<StepReport[]> {
  const journey = await getJourney(db, journeyId);
  const steps = new Map<string, StepReport>();
  const step = (node: string, kind = '') => {
    let s = steps.get(node);
    if (!s) steps.set(node, (s = { node, kind, outcomes: {}, active: 0, messages: {} }));
    if (kind) s.kind = kind;
    return s;
  };
  for (const [node, definition] of Object.entries(journey.definition?.nodes ?? {})) step(node, definition.kind);
  for (const r of await db.query<{ node: string; kind: string; outcome: string; n: number }>('SELECT node, kind, outcome, count(*) AS n FROM journey_steps WHERE journey_id = $1 GROUP BY node, kind, outcome', [journeyId])) {
    step(r.node, r.kind).outcomes[r.outcome] = Number(r.n);
  }
  for (const r of await db.query<{ node: string; n: number }>(`SELECT node, count(*) AS n FROM journey_instances WHERE journey_id = $1 AND status = 'active' GROUP BY node`, [journeyId])) step(r.node).active = Number(r.n);
  for (const r of await db.query<{ node: string; state: string; n: number }>('SELECT node, state, count(*) AS n FROM outbound_messages WHERE journey_id = $1 GROUP BY node, state', [journeyId])) {
    step(r.node).messages[r.state] = Number(r.n);
  }
  return [...steps.values()];
}

/** One customer's passes through journeys, newest first, with the steps each ran and their outcomes. */
export async function customerJourneys(db: Queryable, customerId: string): Promise<{ journeyId: string; instanceId: string; version: number; status: string; node: string | null; variant: string | null; isHoldout: boolean; enteredAt: Date; finishedAt: Date | null; exitReason: string | null; convertedAt: Date | null; steps: { node: string; kind: string; outcome: string; at: Date; messageId: string | null }[] }[]> {
  const instances = await db.query<{ journey_id: string; instance_id: string; version: number; status: string; node: string | null; variant: string | null; is_holdout: boolean; entered_at: Date; finished_at: Date | null; exit_reason: string | null; converted_at: Date | null }>(
    'SELECT journey_id, instance_id, version, status, node, variant, is_holdout, entered_at, finished_at, exit_reason, converted_at FROM journey_instances WHERE customer_id = $1 ORDER BY entered_at DESC LIMIT 100',
    [customerId],
  );
  const steps = await db.query<{ journey_id: string; instance_id: string; node: string; kind: string; outcome: string; ran_at: Date; message_id: string | null }>(
    'SELECT journey_id, instance_id, node, kind, outcome, ran_at, message_id FROM journey_steps WHERE customer_id = $1 ORDER BY seq',
    [customerId],
  );
  return instances.map((i) => ({
    journeyId: i.journey_id,
    instanceId: i.instance_id,
    version: Number(i.version),
    status: i.status,
    node: i.node,
    variant: i.variant,
    isHoldout: i.is_holdout,
    enteredAt: i.entered_at,
    finishedAt: i.finished_at,
    exitReason: i.exit_reason,
    convertedAt: i.converted_at,
    steps: steps.filter((s) => s.journey_id === i.journey_id && s.instance_id === i.instance_id).map((s) => ({ node: s.node, kind: s.kind, outcome: s.outcome, at: s.ran_at, messageId: s.message_id })),
  }));
}
