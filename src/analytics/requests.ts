// The analytics requests as the HTTP API and `siyu report` both make them: a parsed query in (schemas.ts), the
// response body out, shaped by the response schema, so the two front ends answer with the same JSON.
import type { z } from 'zod';
import type { Queryable, Store } from '../store/index.ts';
import { computeBreakdown } from './breakdown.ts';
import { computeLtvCohorts } from './cohorts.ts';
import { listDefinitions } from './definitions.ts';
import { computeFunnel } from './funnel.ts';
import { computeKpis } from './kpis.ts';
import { checkPeriod } from './period.ts';
import { computeRetention } from './retention.ts';
import {
  BreakdownResponse,
  CohortResponse,
  DefinitionsResponse,
  FunnelResponse,
  KpiResponse,
  RetentionResponse,
  type BreakdownQuery,
  type CohortQuery,
  type FunnelBody,
  type KpiQuery,
  type RetentionQuery,
} from './schemas.ts';

/** A period given in full is checked before any query runs (to after from, at most MAX_PERIOD_DAYS). */
const checked = (q: { from?: string; to?: string }) => {
  if (q.from && q.to) checkPeriod({ from: q.from, to: q.to });
  return { from: q.from, to: q.to };
};

export const definitionsRequest = (): z.output<typeof DefinitionsResponse> => DefinitionsResponse.parse({ metrics: listDefinitions() });

export async function kpisRequest(db: Store, q: z.output<typeof KpiQuery>): Promise<z.output<typeof KpiResponse>> {
  return KpiResponse.parse(await computeKpis(db, { ...checked(q), compare: q.compare, repurchaseDays: q.repurchase_days }));
}

export async function breakdownRequest(db: Store, q: z.output<typeof BreakdownQuery>): Promise<z.output<typeof BreakdownResponse>> {
  return BreakdownResponse.parse(await computeBreakdown(db, { ...checked(q), by: q.by }));
}

export async function retentionRequest(db: Store, q: z.output<typeof RetentionQuery>): Promise<z.output<typeof RetentionResponse>> {
  return RetentionResponse.parse(await computeRetention(db, { grain: q.grain, basis: q.basis, cohorts: q.cohorts, to: q.to }));
}

export async function cohortsRequest(db: Store, q: z.output<typeof CohortQuery>): Promise<z.output<typeof CohortResponse>> {
  return CohortResponse.parse(await computeLtvCohorts(db, { cohorts: q.cohorts, months: q.months, to: q.to }));
}

export async function funnelRequest(db: Queryable, b: z.output<typeof FunnelBody>): Promise<z.output<typeof FunnelResponse>> {
  return FunnelResponse.parse(await computeFunnel(db, { steps: b.steps, ...checked(b), windowDays: b.window_days, byChannel: b.by === 'channel' }));
}
