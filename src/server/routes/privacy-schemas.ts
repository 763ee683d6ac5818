import { z } from 'zod';
import { component } from './components.ts';
import { CONSENT_STATUSES, REQUEST_STATUSES, REQUEST_TYPES } from '../../privacy/index.ts';

// Response shapes of the consent and data-subject request routes (src/privacy: consent.ts, requests.ts), which the
// OpenAPI document, and so the console's generated client, carries.

const PurposeConsent = z.object({
  purpose: z.string(),
  name: z.string(),
  basis: z.enum(['opt_in', 'opt_out']),
  status: z.enum(CONSENT_STATUSES).nullable().describe('the current decision; null when none was recorded'),
  isAllowed: z.boolean().describe('whether processing for the purpose is allowed now (the decision, else the basis)'),
  source: z.string().nullable(),
  effectiveAt: z.date().nullable(),
  textVersion: z.string().nullable(),
});

const ConsentEntry = z.object({
  entryId: z.string(),
  purpose: z.string(),
  status: z.enum(CONSENT_STATUSES),
  source: z.string(),
  effectiveAt: z.date(),
  recordedAt: z.date(),
  textVersion: z.string().nullable(),
  // A literal, so evidence decrypted by mistake fails the answer instead of leaving in it.
  evidence: z.literal('(encrypted)').nullable().describe('whether proof was recorded; the proof itself is never shown here'),
  recordedBy: z.string().nullable(),
});

export const Consents = component('Consents', z.object({ customerId: z.string().describe('the canonical id (after merges)'), purposes: z.array(PurposeConsent), history: z.array(ConsentEntry).describe('the ledger, newest first') }));

export const PrivacyRequest = component('PrivacyRequest', z.object({
  requestId: z.string(),
  subjectId: z.string().describe("the person's customer id, or the anonymous id their remaining rows carry once erased"),
  type: z.enum(REQUEST_TYPES),
  status: z.enum(REQUEST_STATUSES),
  details: z
    .object({ changes: z.record(z.string(), z.unknown()).optional(), purposes: z.array(z.string()).optional() })
    .nullable()
    .describe('what was asked (the corrections, or the purposes to withdraw); only on a single request, null in lists'),
  note: z.string().nullable(),
  requestedAt: z.date(),
  dueOn: z.string().describe('YYYY-MM-DD'),
  handler: z.string().nullable(),
  handledAt: z.date().nullable(),
  result: z.record(z.string(), z.unknown()).nullable().describe('what carrying it out did, or the reason it was rejected'),
}));
