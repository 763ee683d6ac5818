import { ensureAdmin } from '../access/index.ts';
import { startProviderSimulators, type ProviderSimulators } from '../channels/index.ts';
import { formatNumber as n } from '../core/text.ts';
import { runJourneyDemo, sampleErasure, seedDemoConsents } from '../demo/index.ts';
import { seedDemoLoyalty } from '../loyalty/index.ts';
import type { Store } from '../store/index.ts';
import { io } from './io.ts';
import { formatReport } from './journey.ts';

// The demo's later acts: consents and an erasure (issue #17), the loyalty programme (#21), journeys with known effects
// (#19), and the console's first sign-in. Each returns the lines the summary prints.

/** Consents for every demo customer, some withdrawn, and one member's erasure carried out. */
export async function demoPrivacy(store: Store, seed: number): Promise<string> {
  const [{ latest }] = (await store.query<{ latest: Date }>('SELECT max(placed_at) AS latest FROM orders')) as [{ latest: Date }];
  const recorded = await seedDemoConsents(store, seed, new Date(latest));
  const counts = await store.query<{ purpose: string; status: string; n: number }>('SELECT purpose, status, count(*) AS n FROM consent_state GROUP BY purpose, status ORDER BY purpose, status');
  const byPurpose = new Map<string, string[]>();
  for (const c of counts) byPurpose.set(c.purpose, [...(byPurpose.get(c.purpose) ?? []), `${c.status} ${n(Number(c.n))}`]);
  const erased = await sampleErasure(store, new Date(latest));
  const [sealed] = await store.query<{ blind: number; tokens: number }>(
    "SELECT (SELECT count(*) FROM identities WHERE value LIKE 'b1:%') AS blind, (SELECT count(*) FROM customers WHERE phone LIKE 'e1:%' OR email LIKE 'e1:%' OR name LIKE 'e1:%') AS tokens",
  );
  return [
    `personal data: ${n(Number(sealed?.blind ?? 0))} phones and emails stored as blind indexes, ${n(Number(sealed?.tokens ?? 0))} profiles' phone, email and name encrypted (AES-256-GCM; docs/privacy.md)`,
    `consents: ${n(recorded)} decisions in the ledger (siyu consent show ID)`,
    ...[...byPurpose].map(([purpose, parts]) => `  ${purpose.padEnd(28)} ${parts.join(', ')}`),
    erased ? `erasure: request ${erased.requestId} (deletion) ${erased.status}; the member is gone from every table, a tombstone keeps them from coming back (siyu privacy request list)` : 'erasure: no member to erase',
  ].join('\n');
}

/** The offer catalogue, points and tiers, with the brand's order history replayed through them. */
export async function demoLoyalty(store: Store): Promise<string> {
  const [{ latest }] = (await store.query<{ latest: Date }>('SELECT max(placed_at) AS latest FROM orders')) as [{ latest: Date }];
  const s = await seedDemoLoyalty(store, { now: new Date(latest) });
  const yuan = (fen: number) => `¥${n(Math.round(fen / 100))}`;
  return [
    `loyalty: ${s.offers} offers, ${n(s.redemptions)} coupons redeemed for ${yuan(s.discountFen)} off (${n(s.releasedOrReturned)} released or returned by cancellations and refunds; siyu report loyalty coupons)`,
    `  points: ${n(s.pointsEarned)} earned, ${n(s.pointsReversed)} reversed by refunds, ${n(s.pointsRedeemed)} redeemed, ${n(s.pointsExpired)} expired, ${n(s.pointsOutstanding)} outstanding: a liability of ${yuan(s.liabilityFen)} at ${(s.breakageRate * 100).toFixed(0)}% expected breakage (siyu report loyalty points)`,
    `  tiers: ${s.tiers.map((t) => `${t.tier} ${n(t.members)}`).join(', ')}`,
  ].join('\n');
}

/**
 * The provider simulators for the demo, on `siyu dev providers`' port (8790) so that command can stand in for them
 * after the demo, or on any free port when 8790 is taken. Receipts come at once: the demo's clock is simulated.
 */
export async function demoSimulators(seed: number): Promise<ProviderSimulators> {
  const options = { seed, withMail: false, receiptDelayMs: 0 };
  try {
    return await startProviderSimulators({ ...options, port: 8790 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return startProviderSimulators({ ...options, port: 0 });
  }
}

/** The three journeys over `days` simulated days, each report with its true effect beside the measured uplift. */
export async function demoJourneys(store: Store, seed: number, days: number, simulators: ProviderSimulators): Promise<string> {
  const result = await runJourneyDemo(store, { days, seed, simulators, onDay: (day) => io().stderr.write(`\r  journeys: day ${day + 1} of ${days}…`) });
  io().stderr.write('\r');
  const channels = Object.entries(result.byChannel).map(([channel, count]) => `${channel} ${n(count)}`).join(', ');
  const lines = [
    `journeys: ${days} simulated days from ${result.start.toISOString().slice(0, 10)}, ${n(result.messages)} messages delivered (${channels}; the SMS through the simulated Tencent Cloud SMS, siyu messages list; siyu journey stats ID)`,
  ];
  for (const report of result.reports) {
    lines.push(formatReport(report));
    for (const [arm, truth] of Object.entries(result.truth[report.journeyId as keyof typeof result.truth] ?? {})) {
      lines.push(`  true effect of ${arm}: ${(truth.armEffect * 100).toFixed(1)} points (a message adds ${(truth.messageEffect * 100).toFixed(0)}; delivered to ${n(truth.delivered)} of ${n(truth.customers)})`);
    }
  }
  return lines.join('\n');
}

/** The first admin (made now, with a printed password, or the one that exists) and where to sign in. */
export async function signInHint(store: Store, url: string): Promise<string> {
  const admin = await ensureAdmin(store, { actor: 'demo' });
  return admin.password
    ? `console: ${url}  sign in as ${admin.username} / ${admin.password}  (shown once; siyu users reset-password ${admin.username} makes another)`
    : `console: ${url}  sign in as ${admin.username} (its password was printed when it was made; siyu users reset-password ${admin.username} makes another)`;
}
