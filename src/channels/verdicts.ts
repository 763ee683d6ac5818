import { localParts, zonedInstant } from '../core/local-time.ts';
import { createTempTable, dialect, jsonRowsParam, type Queryable } from '../store/index.ts';
import { consentAllowsSql } from '../privacy/index.ts';
import type { AddressKind } from './channel.ts';
import { MARKETING_PURPOSE } from './feedback.ts';
import { isQuiet, minutesOf, type ContactPolicy } from './policy.ts';

/** The SQL that tells whether a customer (alias `u`) has an address of each kind. */
const HAS_ADDRESS: Record<AddressKind, string> = {
  phone: 'u.phone IS NOT NULL',
  email: 'u.email IS NOT NULL',
  openid: `EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = u.customer_id AND i.type LIKE 'openid:%')`,
  external_userid: `EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = u.customer_id AND i.type = 'external_userid')`,
  url: 'TRUE',
};

/** States that count against a frequency cap: whatever was handed to a provider, or may have been. */
const COUNTED = `('sending', 'handed_over', 'delivered', 'unknown', 'read', 'clicked')`;
const WINDOW_DAYS = { day: 1, week: 7, month: 30 } as const;

/**
 * Decides, set-based, what happens to each claimed message in the temporary table `dispatch` (columns of
 * outbound_messages), in this order, and writes `verdict` (send | defer | skip), `reason`, `due` and the `route`
 * (the channel it goes out on) into `verdicts`:
 * 1. past its expiry: skipped;
 * 2. marketing to the global control group (a stable hash of the customer): skipped;
 * 3. not reachable on its channel (no address; marked unreachable there, as a WeCom contact who deleted the staff
 *    member or a bounced email; or, for marketing, no consent for the channel's purpose, e.g. sms_marketing, which
 *    is opt-in, so a customer who never decided is not sent to): rerouted to its fallback channel when the customer
 *    is reachable there, else skipped with the reason; transactional messages need no marketing consent;
 * 4. a channel with no adapter set up: deferred an hour (until expiry);
 * 5. marketing in quiet hours (the customer's timezone, else the brand's): deferred to the window's end;
 * 6. marketing over a frequency cap (rolling day, week, month; within the batch, higher priority first): deferred a day;
 * 7. otherwise: sent.
 */
export async function decideVerdicts(tx: Queryable, policy: ContactPolicy, channels: ReadonlyMap<string, AddressKind>, brandTimezone: string, now: Date): Promise<void> {
  const d = dialect(tx.kind);
  // PostgreSQL compiles a statement whose estimated cost passes jit_above_cost; the verdicts statement, with a
  // subquery per frequency cap in each of its CASEs, became 878 functions to compile: 9.6 s of JIT for 9.8 s of
  // statement on 1,500 messages, every dispatch round. Run without JIT, it takes milliseconds.
  if (tx.kind === 'postgres') await tx.execute('SET LOCAL jit = off');
  // A CASE over the configured channels (with none, just the fallback value: SQL has no empty CASE).
  const caseOf = (channel: string, then: (kind: AddressKind) => string, otherwise: string) => (channels.size === 0 ? otherwise : `CASE ${[...channels].map(([name, kind]) => `WHEN ${channel} = '${name}' THEN ${then(kind)}`).join(' ')} ELSE ${otherwise} END`);
  const has = (channel: string) => caseOf(channel, (kind) => HAS_ADDRESS[kind], 'FALSE');
  const fallback = `(x.content->>'fallback')`;
  const purposeOf = (channel: string) => caseOf(channel, (kind) => `'${MARKETING_PURPOSE[kind] ?? ''}'`, "''");
  const consented = (channel: string) => caseOf(channel, (kind) => (MARKETING_PURPOSE[kind] ? consentAllowsSql(MARKETING_PURPOSE[kind], 'u.customer_id') : 'TRUE'), 'TRUE');
  const unreachable = (channel: string) => `EXISTS (SELECT 1 FROM channel_reachability cr WHERE cr.customer_id = u.customer_id AND cr.channel = ${channel} AND NOT cr.is_reachable)`;
  const reachable = (channel: string) => `(${has(channel)} AND NOT ${unreachable(channel)} AND (x.purpose <> 'marketing' OR ${consented(channel)}))`;
  await createTempTable(
    tx,
    'routed',
    `SELECT x.customer_id, x.message_id, x.purpose, x.priority, x.created_at, coalesce(u.traits->>'timezone', $2) AS tz,
            CASE WHEN x.expires_at IS NOT NULL AND x.expires_at < $1 THEN 'skip:expired: not sent within its time to live'
                 WHEN x.purpose = 'marketing' AND ${d.hashBucket(`x.customer_id || ':global-control'`, 10_000)} < ${Math.round(policy.global_control_share * 10_000)} THEN 'skip:global control group: no marketing'
                 WHEN x.channel = 'webhook' OR ${reachable('x.channel')} THEN 'ok:' || x.channel
                 WHEN ${fallback} IS NOT NULL AND ${reachable(fallback)} THEN 'ok:' || ${fallback}
                 WHEN x.channel NOT IN (${[...channels.keys(), 'webhook'].map((c) => `'${c}'`).join(', ')}) THEN 'defer:channel ' || x.channel || ' is not set up'
                 WHEN ${has('x.channel')} AND ${unreachable('x.channel')} THEN 'skip:unreachable on ' || x.channel || ': ' || (SELECT cr.reason FROM channel_reachability cr WHERE cr.customer_id = u.customer_id AND cr.channel = x.channel)
                 WHEN ${has('x.channel')} THEN 'skip:no consent for ' || ${purposeOf('x.channel')}
                 ELSE 'skip:no address for ' || x.channel END AS routing
     FROM dispatch x LEFT JOIN customers u ON u.customer_id = x.customer_id`,
    [now, brandTimezone],
  );
  const zones = await tx.query<{ tz: string }>('SELECT DISTINCT tz FROM routed');
  const quiet = zones.map(({ tz }) => [tz, ...quietUntil(policy, tz, now)]);
  const caps = Object.entries(policy.caps).flatMap(([channel, cap]) => (Object.keys(WINDOW_DAYS) as (keyof typeof WINDOW_DAYS)[]).filter((w) => cap[w] !== undefined).map((w) => ({ channel, days: WINDOW_DAYS[w], limit: cap[w]!, label: `at most ${cap[w]} a ${w} on ${channel}` })));
  const route = `CASE WHEN r.routing LIKE 'ok:%' THEN substr(r.routing, 4) END`;
  const capChecks = caps.map(
    (c, i) => `WHEN r.purpose = 'marketing' AND ${route} = '${c.channel}' AND
      (SELECT count(*) FROM outbound_messages m WHERE m.customer_id = r.customer_id AND m.channel = '${c.channel}' AND m.purpose = 'marketing'
         AND m.state IN ${COUNTED} AND m.sent_at > CAST($1 AS TIMESTAMPTZ) - INTERVAL '${c.days} days') + r.rank_in_batch > ${c.limit} THEN 'defer:cap:${i}'`,
  );
  const capReason = caps.map((c, i) => `WHEN decision = 'defer:cap:${i}' THEN 'cap: ${c.label}'`).join(' ');
  await createTempTable(
    tx,
    'verdicts',
    `SELECT customer_id, message_id, route,
            CASE WHEN decision = 'send' THEN 'send' WHEN decision LIKE 'skip:%' THEN 'skip' ELSE 'defer' END AS verdict,
            CASE WHEN decision = 'defer:quiet' THEN 'quiet hours' ${capReason} WHEN decision LIKE 'skip:%' THEN substr(decision, 6) WHEN decision LIKE 'defer:%' THEN substr(decision, 7) END AS reason,
            CASE WHEN decision = 'defer:quiet' THEN CAST(quiet_until AS TIMESTAMPTZ)
                 WHEN decision LIKE 'defer:cap:%' THEN CAST($1 AS TIMESTAMPTZ) + INTERVAL '1 day'
                 WHEN decision LIKE 'defer:%' THEN CAST($1 AS TIMESTAMPTZ) + INTERVAL '1 hour' END AS due
     FROM (
       SELECT r.customer_id, r.message_id, ${route} AS route, q.until AS quiet_until,
              CASE WHEN r.routing NOT LIKE 'ok:%' THEN r.routing
                   WHEN r.purpose = 'marketing' AND q.quiet = 'yes' THEN 'defer:quiet'
                   ${capChecks.join('\n                   ')}
                   ELSE 'send' END AS decision
       FROM (SELECT r.*, row_number() OVER (PARTITION BY r.customer_id, ${route} ORDER BY r.priority DESC, r.created_at, r.message_id) AS rank_in_batch FROM routed r) r
       LEFT JOIN ${d.jsonRows('$2', ['tz', 'quiet', 'until'])} q ON q.tz = r.tz
     ) decided`,
    [now, jsonRowsParam(quiet)],
  );
}

/** Whether `now` is in quiet hours in `tz`, and when they end there: ['yes' | 'no', ISO instant]. */
function quietUntil(policy: ContactPolicy, tz: string, now: Date): [string, string] {
  const quiet = policy.quiet_hours;
  let local;
  try {
    local = localParts(tz, now);
  } catch {
    return ['no', now.toISOString()];
  }
  if (!quiet || !isQuiet(quiet, local.hour * 60 + local.minute)) return ['no', now.toISOString()];
  const end = minutesOf(quiet.end);
  const endToday = zonedInstant(tz, local.year, local.month, local.day, Math.floor(end / 60), end % 60);
  const until = endToday > now ? endToday : zonedInstant(tz, local.year, local.month, local.day + 1, Math.floor(end / 60), end % 60);
  return ['yes', until.toISOString()];
}
