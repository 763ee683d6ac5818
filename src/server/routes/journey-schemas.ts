import { z } from 'zod';
import { component } from './components.ts';
import { JourneyDefinition } from '../../journey/index.ts';

// Response shapes of the journey routes (src/journey: definitions.ts, report.ts, simulate.ts), which the OpenAPI
// document, and so the console's generated client, carries.

const Int = z.number().int();

component('JourneyDefinition', JourneyDefinition);

export const Journey = component('Journey', z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  status: z.enum(['draft', 'active', 'paused', 'archived']),
  draft: z.unknown().describe('the definition being edited, as saved; null when unchanged since the published version'),
  publishedVersion: Int.nullable(),
  definition: JourneyDefinition.nullable().describe('the published definition customers enter now'),
  createdAt: z.date(),
  updatedAt: z.date(),
}));

const Interval = z.object({ low: z.number(), high: z.number() });

const ArmReport = z.object({
  arm: z.string().describe('treated, variant NAME or holdout'),
  customers: Int,
  converted: Int,
  conversionRate: z.number(),
  revenueFen: z.number(),
  revenuePerCustomerFen: z.number(),
  uplift: z
    .object({ treated: z.number(), control: z.number(), difference: z.number(), relative: z.number().nullable(), interval: Interval, pValue: z.number() })
    .nullable()
    .describe('conversion against the holdout (Newcombe interval, z test); null without a holdout'),
  revenueUplift: z
    .object({ treated: z.number(), control: z.number(), difference: z.number(), interval: Interval, pValue: z.number(), degreesOfFreedom: z.number() })
    .nullable()
    .describe('revenue per customer against the holdout (Welch); null without a holdout'),
});

const StepReport = z.object({
  node: z.string(),
  kind: z.string(),
  outcomes: z.record(z.string(), Int).describe('instances that ran the step, by outcome'),
  active: Int.describe('instances waiting at the step now'),
  messages: z.record(z.string(), Int).describe("the step's messages by state"),
});

export const JourneyReport = z.object({
  journeyId: z.string(),
  name: z.string(),
  status: z.string(),
  entered: Int,
  active: Int,
  completed: Int,
  exited: Int,
  heldOut: Int,
  goal: z.object({ event: z.string(), withinDays: Int }).nullable(),
  windowsClosedBy: z.date().describe('the arms count only customers whose goal window had closed by then'),
  windowsOpen: Int.describe('customers whose goal window was still open: not yet in the arms'),
  arms: z.array(ArmReport),
  steps: z.array(StepReport),
  sampleSizeNeeded: z.number().nullable().describe('customers per group to detect the observed difference (80% power, α 0.05)'),
});

export const Simulation = z.object({
  journeyId: z.string(),
  version: Int,
  customerId: z.string(),
  heldOut: z.boolean(),
  steps: z.array(
    z.object({
      at: z.date(),
      node: z.string(),
      kind: z.string(),
      outcome: z.string(),
      message: z.object({ channel: z.string(), subject: z.string().optional(), body: z.string(), params: z.record(z.string(), z.string()).optional() }).optional().describe('the message the step would queue, rendered'),
    }),
  ),
  end: z.string().describe('completed, exited, or still waiting at the end of the window'),
  convertedAt: z.date().nullable(),
});

export const CustomerJourney = z.object({
  journeyId: z.string(),
  instanceId: z.string(),
  version: Int,
  status: z.string().describe('active, holdout, completed or exited'),
  node: z.string().nullable(),
  variant: z.string().nullable(),
  isHoldout: z.boolean(),
  enteredAt: z.date(),
  finishedAt: z.date().nullable(),
  exitReason: z.string().nullable(),
  convertedAt: z.date().nullable(),
  steps: z.array(z.object({ node: z.string(), kind: z.string(), outcome: z.string(), at: z.date(), messageId: z.string().nullable() })),
});
