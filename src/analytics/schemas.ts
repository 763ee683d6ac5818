// The analytics requests and responses as zod schemas: the HTTP routes validate and serialise with them (and the
// OpenAPI document, hence the console's client, is generated from them), and `siyu report` parses its flags and
// prints its --json through the same ones, so a script gets the console's numbers byte for byte.
import { z } from 'zod';
import { DIMENSIONS } from './breakdown.ts';
import { KPI_KEYS } from './definitions.ts';
import { MAX_PERIOD_DAYS } from './period.ts';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day like 2026-06-01')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');
const from = day.optional().describe('first local day of the period (brand timezone), included');
const to = day.optional().describe(`local day after the period (excluded); a period spans at most ${MAX_PERIOD_DAYS} days`);
const text = z.object({ name: z.string(), definition: z.string() });
const unit = z.enum(['fen', 'count', 'ratio']);
const period = z.object({ from: z.string(), to: z.string() });
const nullableNumber = z.number().nullable();

export const MetricDefinitionSchema = z.object({ key: z.string(), unit, zh: text, en: text });
export const DefinitionsResponse = z.object({ metrics: z.array(MetricDefinitionSchema) });

export const KpiQuery = z
  .object({
    from,
    to,
    compare: z.enum(['previous', 'year']).default('previous').describe('the previous period of equal length, or the same dates a year before'),
    repurchase_days: z.coerce.number().int().min(1).max(365).default(30).describe('N of the new-buyer N-day repurchase rate'),
  })
  .strict();

export const KpiResponse = z.object({
  period,
  comparison: period.extend({ kind: z.enum(['previous', 'year']) }),
  timezone: z.string(),
  currency: z.string(),
  bucket: z.enum(['day', 'week', 'month']).describe('the step of the series'),
  repurchaseDays: z.number().int(),
  metrics: z.array(
    z.object({
      key: z.enum(KPI_KEYS),
      unit,
      value: nullableNumber.describe('null for a ratio without a denominator'),
      previous: nullableNumber,
      change: nullableNumber.describe('value − previous (ratios: in share points)'),
      changeRatio: nullableNumber.describe('(value − previous) ÷ previous'),
      series: z.array(z.object({ start: z.string(), value: nullableNumber })),
      definition: z.object({ zh: text, en: text }),
    }),
  ),
});

export const BreakdownQuery = z.object({ by: z.enum(DIMENSIONS), from, to }).strict();

export const BreakdownResponse = z.object({
  period,
  by: z.enum(DIMENSIONS),
  timezone: z.string(),
  currency: z.string(),
  membershipDay: z.string().nullable(),
  rows: z.array(
    z.object({
      value: z.string(),
      gmvFen: z.number(),
      gmvShare: nullableNumber,
      orders: z.number().int(),
      buyers: z.number().int(),
      aovFen: nullableNumber,
      spendPerBuyerFen: nullableNumber,
      repeatRate: nullableNumber,
      newBuyers: z.number().int(),
      newBuyerShare: nullableNumber,
    }),
  ),
});

export const RetentionQuery = z
  .object({
    grain: z.enum(['week', 'month']).default('month'),
    basis: z.enum(['purchases', 'events']).default('purchases').describe('what counts as returning: a purchase, or a purchase or any event of the customer’s own'),
    cohorts: z.coerce.number().int().min(1).max(104).default(12),
    to: day.optional().describe('a day in the last cohort shown; default the latest day with data'),
  })
  .strict();

export const RetentionResponse = z.object({
  grain: z.enum(['week', 'month']),
  basis: z.enum(['purchases', 'events']),
  timezone: z.string(),
  currency: z.string(),
  dataEnd: z.string().nullable(),
  cohorts: z.array(
    z.object({
      start: z.string(),
      customers: z.number().int(),
      periods: z.array(z.object({ k: z.number().int(), start: z.string(), customers: z.number().int(), share: z.number(), isComplete: z.boolean() })),
    }),
  ),
  dayN: z.array(z.object({ days: z.number().int(), eligible: z.number().int(), returned: z.number().int(), rate: nullableNumber })),
});

export const CohortQuery = z
  .object({
    cohorts: z.coerce.number().int().min(1).max(60).default(12).describe('acquisition months shown'),
    months: z.coerce.number().int().min(1).max(60).default(12).describe('months since acquisition shown'),
    to: day.optional().describe('a day in the last acquisition month shown; default the latest order day'),
  })
  .strict();

export const CohortResponse = z.object({
  timezone: z.string(),
  currency: z.string(),
  dataEnd: z.string().nullable(),
  forecast: z.object({ fitId: z.string(), model: z.string(), timeUnit: z.string(), calibrationEnd: z.string() }).nullable(),
  forecastNote: z.string().nullable().describe('why there are no forecast cells, when there are none'),
  cohorts: z.array(
    z.object({
      month: z.string(),
      customers: z.number().int(),
      cells: z.array(z.object({ k: z.number().int(), month: z.string(), valueFen: z.number(), state: z.enum(['observed', 'partial', 'forecast']) })),
    }),
  ),
});

const FunnelFilter = z
  .object({
    property: z.string().regex(/^[\w.-]+$/, 'letters, digits, _, . or -'),
    op: z.enum(['=', '!=', '>', '>=', '<', '<=', 'contains']),
    value: z.union([z.string(), z.number(), z.boolean()]),
  })
  .strict();

export const FunnelBody = z
  .object({
    steps: z
      .array(z.object({ event: z.string().min(1), where: z.array(FunnelFilter).max(10).optional() }).strict())
      .min(2)
      .max(10)
      .describe('the events in order; "Order Completed" without filters also matches purchase orders'),
    from,
    to,
    window_days: z.number().int().min(1).max(365).default(14),
    by: z.enum(['channel']).optional(),
  })
  .strict();

const FunnelSteps = z.array(
  z.object({
    event: z.string(),
    customers: z.number().int(),
    conversion: nullableNumber,
    conversionFromFirst: nullableNumber,
    medianSecondsFromPrevious: nullableNumber,
  }),
);

export const FunnelResponse = z.object({
  period,
  timezone: z.string(),
  windowDays: z.number().int(),
  steps: FunnelSteps,
  overallConversion: nullableNumber,
  byChannel: z.array(z.object({ channel: z.string(), steps: FunnelSteps, overallConversion: nullableNumber })).nullable(),
  cartAbandonment: z.object({ carts: z.number().int(), abandoned: z.number().int(), rate: nullableNumber }),
});
