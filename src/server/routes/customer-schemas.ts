import { z } from 'zod';

// Response shapes of the customer routes, which the OpenAPI document (and so the console's generated client) carries.

/** The 360° profile (segment/profile.ts); personal data masked unless the caller may see it. */
export const Profile = z.object({
  customerId: z.string(),
  mergedFrom: z.string().nullable().describe('the id asked for, when it was merged into this profile'),
  piiMasked: z.boolean(),
  profile: z.object({
    name: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    gender: z.string().nullable(),
    birthday: z.string().nullable(),
    city: z.string().nullable(),
    channel: z.string().nullable(),
    registeredAt: z.date().nullable(),
  }),
  identities: z.array(z.object({ type: z.string(), value: z.string(), source: z.string().nullable() })),
  traits: z.record(z.string(), z.unknown()),
  orders: z.object({ count: z.number().int(), paidFen: z.number().int(), refundedFen: z.number().int(), first: z.date().nullable(), last: z.date().nullable(), currency: z.string().nullable() }),
  attributes: z.array(z.object({ name: z.string(), zh: z.string(), en: z.string(), value: z.unknown() })),
  layers: z.object({
    rfm: z.object({ class: z.string(), r: z.number(), f: z.number(), m: z.number(), asOf: z.string() }).nullable(),
    stage: z.object({ stage: z.string(), since: z.string().nullable(), asOf: z.string() }).nullable(),
    tier: z.object({ tier: z.string(), basis: z.string(), asOf: z.string() }).nullable(),
    clv: z.object({ pAlive: z.number(), clv12mFen: z.number(), expectedOrders90d: z.number(), asOf: z.string() }).nullable(),
    churn: z
      .object({
        risk: z.number(),
        pNoPurchase: z.number().nullable().describe('P(no purchase within horizonDays), from the repeat-buying model the churn model was trained with'),
        horizonDays: z.number().int().nullable(),
        reasons: z.array(z.object({ zh: z.string(), en: z.string() })),
        asOf: z.string(),
      })
      .nullable(),
    cluster: z.object({ cluster: z.number().int(), name: z.string(), asOf: z.string() }).nullable(),
  }),
  tags: z.array(z.object({ tag: z.string(), source: z.string(), setBy: z.string() })),
  segments: z.array(z.object({ name: z.string(), asOf: z.string().nullable() })),
  recentEvents: z.array(z.object({ type: z.string(), name: z.string().nullable(), ts: z.date(), properties: z.unknown() })),
});

export const CustomerListQuery = z
  .object({
    q: z.string().max(200).optional().describe('a customer id, member number, user id or phone (exact)'),
    segment: z.string().optional().describe("a saved segment's current members"),
    stage: z.string().optional(),
    tier: z.string().optional(),
    rfm_class: z.string().optional(),
    tag: z.string().optional(),
    city: z.string().optional(),
    channel: z.string().optional(),
    after: z.string().optional().describe("the previous page's `next`"),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    with_total: z.enum(['true', 'false']).default('false').describe('also count every match'),
  })
  .strict();

export const CustomerList = z.object({
  customers: z.array(
    z.object({
      customerId: z.string(),
      name: z.string().nullable(),
      phone: z.string().nullable(),
      city: z.string().nullable(),
      channel: z.string().nullable(),
      registeredAt: z.date().nullable(),
      stage: z.string().nullable(),
      tier: z.string().nullable(),
      rfmClass: z.string().nullable(),
      clv12mFen: z.number().nullable(),
      pAlive: z.number().nullable(),
      churnRisk: z.number().nullable(),
    }),
  ),
  next: z.string().nullable().describe('pass as `after` for the next page; null on the last'),
  total: z.number().int().nullable(),
});

const Counted = z.array(z.object({ value: z.string(), customers: z.number().int() }));
export const CustomerFilters = z.object({ cities: Counted, channels: Counted, tags: Counted });
