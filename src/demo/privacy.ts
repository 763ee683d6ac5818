import { Random } from '../core/random.ts';
import { createRequest, fulfilRequest, recordConsents, type ConsentDecision, type PrivacyRequest } from '../privacy/index.ts';
import type { Store } from '../store/index.ts';

/** The demo brand's consent mix per purpose: granted, withdrawn and denied shares (the rest never asked). */
export const DEMO_CONSENTS = {
  sms_marketing: { granted: 0.78, withdrawn: 0.08, denied: 0.04 },
  wecom_message: { granted: 0.55, withdrawn: 0.05, denied: 0.05 },
  email_marketing: { granted: 0.3, withdrawn: 0.04, denied: 0.06 },
  personalised_recommendation: { granted: 0.9, withdrawn: 0.05, denied: 0 },
} as const;

/**
 * Gives the demo brand's customers consent decisions drawn from DEMO_CONSENTS (seeded), recorded in the ledger as
 * collected at sign-up (granted or denied) and later withdrawn by some. Returns how many decisions were recorded.
 */
export async function seedDemoConsents(store: Store, seed: number, at: Date): Promise<number> {
  const random = new Random(seed ^ 0x5eed);
  const customers = (await store.query<{ customer_id: string }>('SELECT customer_id FROM customers WHERE merged_into IS NULL ORDER BY customer_id')).map((r) => r.customer_id);
  const decisions: ConsentDecision[] = [];
  const asked = new Date(at.getTime() - 180 * 86_400_000);
  for (const customerId of customers) {
    for (const [purpose, mix] of Object.entries(DEMO_CONSENTS)) {
      const draw = random.next();
      if (draw < mix.granted + mix.withdrawn) decisions.push({ customerId, purpose, status: 'granted', source: 'demo:sign-up', effectiveAt: asked, textVersion: 'v1' });
      if (draw >= mix.granted && draw < mix.granted + mix.withdrawn) decisions.push({ customerId, purpose, status: 'withdrawn', source: 'demo:member-centre', effectiveAt: new Date(asked.getTime() + random.int(1, 170) * 86_400_000), textVersion: 'v1' });
      else if (draw >= mix.granted + mix.withdrawn && draw < mix.granted + mix.withdrawn + mix.denied) decisions.push({ customerId, purpose, status: 'denied', source: 'demo:sign-up', effectiveAt: asked, textVersion: 'v1' });
    }
  }
  let recorded = 0;
  for (let i = 0; i < decisions.length; i += 20_000) recorded += (await recordConsents(store, decisions.slice(i, i + 20_000))).recorded;
  return recorded;
}

/** A sample erasure request (PIPL art. 47), filed for one demo customer and fulfilled at once. */
export async function sampleErasure(store: Store, at: Date): Promise<PrivacyRequest | undefined> {
  const [customer] = await store.query<{ customer_id: string }>(`SELECT customer_id FROM customers WHERE merged_into IS NULL AND customer_id LIKE 'M%' ORDER BY customer_id DESC LIMIT 1`);
  if (!customer) return undefined;
  const request = await createRequest(store, { type: 'deletion', customerId: customer.customer_id, note: 'demo: a member asked to be forgotten' }, at);
  return fulfilRequest(store, request.requestId, { handler: 'demo', now: at });
}
