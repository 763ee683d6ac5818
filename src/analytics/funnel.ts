// Funnels over event sequences with a conversion window, by channel, and the cart abandonment rate: set-based SQL,
// one chain of joins per step (docs/analytics.md, "Funnels").
import { SiyuError } from '../core/errors.ts';
import type { Queryable } from '../store/index.ts';
import { purchaseFilter, ratio, reportContext, text, type ReportContext } from './context.ts';
import { addDays, at, dayStarts, defaultPeriod, latestEventDaySql, type Period } from './period.ts';

export type FilterOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'contains';

export interface FunnelStep {
  /** The event name (a track call's `event`). `Order Completed` without filters also matches purchase orders. */
  event: string;
  where?: { property: string; op: FilterOp; value: string | number | boolean }[];
}

export interface FunnelOptions {
  steps: FunnelStep[];
  from?: string;
  to?: string;
  /** Each later step must happen within this many days of the first; default 14. */
  windowDays?: number;
  /** Also split the funnel by the channel of each customer's entry. */
  byChannel?: boolean;
}

export interface FunnelStepResult {
  event: string;
  customers: number;
  /** Customers reaching this step ÷ customers reaching the previous one (1 for the first step, null with none). */
  conversion: number | null;
  /** Customers reaching this step ÷ customers entering. */
  conversionFromFirst: number | null;
  /** Median seconds from the previous step to this one, over the customers who made it (null for the first). */
  medianSecondsFromPrevious: number | null;
}

export interface FunnelReport {
  period: Period;
  timezone: string;
  windowDays: number;
  steps: FunnelStepResult[];
  overallConversion: number | null;
  byChannel: { channel: string; steps: FunnelStepResult[]; overallConversion: number | null }[] | null;
  cartAbandonment: { carts: number; abandoned: number; rate: number | null };
}

/** How an event's channel is read: its `channel` property, else utm source, else the app, else the source it came through. */
export const EVENT_CHANNEL = `coalesce(properties->>'channel', context->'campaign'->>'source', context->'app'->>'name', source, '(none)')`;
export const ORDER_COMPLETED = 'Order Completed';
const CART_EVENTS = ['Product Added', 'Checkout Started'];
const PROPERTY = /^[\w.-]+$/;

function stepCondition(step: FunnelStep, index: number): string {
  const parts = [`name = ${text(step.event)}`];
  (step.where ?? []).forEach((f, i) => {
    const path = `steps[${index}].where[${i}]`;
    if (!PROPERTY.test(f.property)) throw new SiyuError('validation', 'invalid_step', `${path}.property: a property name is letters, digits, _, . or -`, { details: [{ path: `${path}.property`, message: 'letters, digits, _, . or -' }] });
    const column = `(properties->>${text(f.property)})`;
    if (f.op === 'contains') return parts.push(`coalesce(strpos(${column}, ${text(String(f.value))}) > 0, FALSE)`);
    if (typeof f.value === 'number') {
      if (!Number.isFinite(f.value)) throw new SiyuError('validation', 'invalid_step', `${path}.value: must be a finite number`, { details: [{ path: `${path}.value`, message: 'must be a finite number' }] });
      return parts.push(`coalesce(CAST(${column} AS DOUBLE PRECISION) ${f.op === '!=' ? '<>' : f.op} ${f.value}, FALSE)`);
    }
    return parts.push(`coalesce(${column} ${f.op === '!=' ? '<>' : f.op} ${text(String(f.value))}, FALSE)`);
  });
  return parts.join(' AND ');
}

/** The funnel of `steps` for customers entering in [from, to) (default: the 30 days ending with the latest event's day). */
export async function computeFunnel(db: Queryable, options: FunnelOptions): Promise<FunnelReport> {
  const steps = options.steps;
  if (steps.length < 2 || steps.length > 10) throw new SiyuError('validation', 'invalid_steps', `a funnel has 2 to 10 steps, not ${steps.length}`, { details: [{ path: 'steps', message: '2 to 10 steps' }] });
  const ctx = await reportContext(db);
  const windowDays = options.windowDays ?? 14;
  const period = await defaultPeriod(db, latestEventDaySql(ctx.timezone), 30, options);
  const [lo, hi, hiW] = await dayStarts(db, ctx.timezone, [period.from, period.to, addDays(period.to, windowDays)]);
  const window = `INTERVAL '${windowDays} days'`;
  const branches = steps.map((step, i) => {
    const fromEvents = `SELECT customer_id, ts, ${EVENT_CHANNEL} AS ch, ${i + 1} AS step FROM events WHERE ${stepCondition(step, i)} AND ts >= ${at(lo!)} AND ts < ${at(hiW!)}`;
    if (step.event !== ORDER_COMPLETED || step.where?.length) return fromEvents;
    return `${fromEvents} UNION ALL SELECT customer_id, placed_at, coalesce(channel, '(none)'), ${i + 1} FROM orders WHERE ${purchaseFilter(ctx, { from: lo, to: hiW })}`;
  });
  const ctes = [
    `e AS (${branches.join(' UNION ALL ')})`,
    `s1 AS (SELECT customer_id, min(ts) AS t1 FROM e WHERE step = 1 AND ts < ${at(hi!)} GROUP BY customer_id)`,
    `ch AS (SELECT s1.customer_id, min(e.ch) AS ch FROM s1 JOIN e ON e.customer_id = s1.customer_id AND e.step = 1 AND e.ts = s1.t1 GROUP BY s1.customer_id)`,
  ];
  for (let j = 2; j <= steps.length; j++) {
    const carried = Array.from({ length: j - 1 }, (_, i) => `s.t${i + 1}`).join(', ');
    const same = JSON.stringify(steps[j - 1]) === JSON.stringify(steps[j - 2]);
    ctes.push(
      `s${j} AS (SELECT s.customer_id, ${carried}, min(e.ts) AS t${j} FROM s${j - 1} s JOIN e ON e.customer_id = s.customer_id AND e.step = ${j}
        AND e.ts ${same ? '>' : '>='} s.t${j - 1} AND e.ts <= s.t1 + ${window} GROUP BY s.customer_id, ${carried})`,
    );
  }
  // Step j's time is the minimum found in s<j>; customers who never got there have no row in it.
  const reached = steps.map((_, i) => `s${i + 1}.t${i + 1}`);
  const joins = steps.slice(1).map((_, i) => `LEFT JOIN s${i + 2} ON s${i + 2}.customer_id = s1.customer_id`).join(' ');
  const epoch = (t: string) => `extract(epoch FROM ${t})`;
  const columns = reached.map((t, i) => {
    const n = `count(t${i + 1}) AS n${i + 1}`;
    return i === 0 ? n : `${n}, percentile_cont(0.5) WITHIN GROUP (ORDER BY ${epoch(`t${i + 1}`)} - ${epoch(`t${i}`)}) AS m${i + 1}`;
  });
  const rows = await db.query<Record<string, number | string | null>>(
    `WITH ${ctes.join(',\n')},
     j AS (SELECT ch.ch, ${reached.map((t, i) => `${t} AS t${i + 1}`).join(', ')} FROM s1 JOIN ch ON ch.customer_id = s1.customer_id ${joins})
     SELECT ch, ${columns.join(', ')} FROM j GROUP BY GROUPING SETS ((ch), ()) ORDER BY n1 DESC, ch`,
  );
  const results = (row: Record<string, number | string | null> | undefined) => {
    const n = steps.map((_, i) => Number(row?.[`n${i + 1}`] ?? 0));
    const list = steps.map((step, i) => ({
      event: step.event,
      customers: n[i]!,
      conversion: i === 0 ? ratio(n[0]!, n[0]!) : ratio(n[i]!, n[i - 1]!),
      conversionFromFirst: ratio(n[i]!, n[0]!),
      medianSecondsFromPrevious: i === 0 || row?.[`m${i + 1}`] == null ? null : Number(row[`m${i + 1}`]),
    }));
    return { steps: list, overallConversion: ratio(n[n.length - 1]!, n[0]!) };
  };
  const total = results(rows.find((r) => r.ch === null));
  const byChannel = options.byChannel ? rows.filter((r) => r.ch !== null).map((r) => ({ channel: String(r.ch), ...results(r) })) : null;
  return { period, timezone: ctx.timezone, windowDays, ...total, byChannel, cartAbandonment: await cartAbandonment(db, ctx, [lo!, hi!, hiW!], window) };
}

/** Customers with a cart in the period, and those of them with no completed order within the window of their first cart event. */
async function cartAbandonment(db: Queryable, ctx: ReportContext, [lo, hi, hiW]: Date[], window: string): Promise<FunnelReport['cartAbandonment']> {
  const [row] = await db.query<{ carts: number; completed: number }>(
    `WITH cart AS (SELECT customer_id, min(ts) AS t FROM events WHERE name IN (${CART_EVENTS.map(text).join(', ')}) AND ts >= ${at(lo!)} AND ts < ${at(hi!)} GROUP BY customer_id),
     done AS (SELECT customer_id, ts FROM events WHERE name = ${text(ORDER_COMPLETED)} AND ts >= ${at(lo!)} AND ts < ${at(hiW!)}
              UNION ALL SELECT customer_id, placed_at FROM orders WHERE ${purchaseFilter(ctx, { from: lo, to: hiW })}),
     completed AS (SELECT DISTINCT c.customer_id FROM cart c JOIN done d ON d.customer_id = c.customer_id AND d.ts >= c.t AND d.ts <= c.t + ${window})
     SELECT (SELECT count(*) FROM cart) AS carts, (SELECT count(*) FROM completed) AS completed`,
  );
  const carts = Number(row?.carts ?? 0);
  const abandoned = carts - Number(row?.completed ?? 0);
  return { carts, abandoned, rate: ratio(abandoned, carts) };
}
