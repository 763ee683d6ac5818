import { dialect, jsonRowsParam, type BackendKind, type Queryable } from '../store/index.ts';
import { rebuildConsentState, recordConsents, type ConsentDecision } from './consent.ts';
import { listPurposes, type ConsentStatus, type Purpose } from './purposes.ts';

type Dict = Record<string, unknown>;

/** The parts of an ingested message consent is read from (structurally, ingest's SourcedMessage). */
export interface ConsentMessage {
  message: { messageId: string; type: string; name: string | null; properties: Dict | null; context: Dict | null; traits?: Dict; ts: Date };
  source: string;
}

/** Track events that carry a consent decision: ours, and Segment's own name for it. */
export const CONSENT_EVENTS = new Set(['Consent Updated', 'Segment Consent Preference Updated']);
/** The trait that recorded a refusal of personalised recommendations before the ledger (PIPL art. 24). */
export const LEGACY_PERSONALISATION_TRAIT = 'personalized_recommendations';

const asDict = (v: unknown): Dict => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : {});
const asText = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const STATUSES = new Set<string>(['granted', 'withdrawn', 'denied']);

/** A decision's status from a boolean or a status word; a `false` after a grant is a withdrawal, else a denial. */
function statusOf(value: unknown): ConsentStatus | 'refused' | undefined {
  if (value === true || value === 'true' || value === 1) return 'granted';
  if (value === false || value === 'false' || value === 0 || value === 'no' || value === '0') return 'refused';
  return typeof value === 'string' && STATUSES.has(value) ? (value as ConsentStatus) : undefined;
}

/** Whether a message carries consent at all: checked first, so the batch pays nothing when none does. */
export function carriesConsent(m: ConsentMessage['message']): boolean {
  return (
    Object.keys(asDict(asDict(asDict(m.context).consent).categoryPreferences)).length > 0 ||
    (m.type === 'track' && m.name !== null && CONSENT_EVENTS.has(m.name)) ||
    (m.type === 'identify' && m.traits !== undefined && LEGACY_PERSONALISATION_TRAIT in m.traits)
  );
}

/**
 * The decisions one message carries, without the customer: Segment's `context.consent.categoryPreferences`
 * (categoryId → boolean, a category being a purpose id or a purpose's `segment_category`; unknown categories are
 * ignored), a `Consent Updated` event's `properties.purpose` + `status` (or `properties.purposes: {purpose: bool}`),
 * and the legacy `personalized_recommendations` trait. A text version comes from `context.consent.textVersion` or
 * `properties.text_version`.
 */
export function decisionsOf(m: ConsentMessage['message'], purposes: readonly Purpose[]): { purpose: string; status: ConsentStatus | 'refused'; textVersion: string | null }[] {
  const byCategory = new Map<string, string>();
  for (const p of purposes) {
    byCategory.set(p.purpose.toLowerCase(), p.purpose);
    if (p.segmentCategory) byCategory.set(p.segmentCategory.toLowerCase(), p.purpose);
  }
  const consent = asDict(asDict(m.context).consent);
  const props = asDict(m.properties);
  const textVersion = asText(consent.textVersion) ?? asText(props.text_version) ?? asText(props.textVersion);
  const out = new Map<string, ConsentStatus | 'refused'>();
  const add = (category: string, value: unknown) => {
    const purpose = byCategory.get(category.toLowerCase());
    const status = statusOf(value);
    if (purpose && status) out.set(purpose, status);
  };
  for (const [category, value] of Object.entries(asDict(consent.categoryPreferences))) add(category, value);
  if (m.type === 'track' && m.name !== null && CONSENT_EVENTS.has(m.name)) {
    const purpose = asText(props.purpose);
    if (purpose) add(purpose, props.status ?? props.granted);
    for (const [category, value] of Object.entries(asDict(props.purposes))) add(category, value);
  }
  if (m.type === 'identify' && m.traits && LEGACY_PERSONALISATION_TRAIT in m.traits) add('personalised_recommendation', m.traits[LEGACY_PERSONALISATION_TRAIT]);
  return [...out].map(([purpose, status]) => ({ purpose, status, textVersion }));
}

/** True when a message grants some purpose: the fresh consent that lets an erased person's identifiers back in. */
export function grantsConsent(m: ConsentMessage['message'], purposes: readonly Purpose[]): boolean {
  return decisionsOf(m, purposes).some((d) => d.status === 'granted');
}

/**
 * The inbox processor's consent step, after the batch is written and inside its transaction: records the decisions
 * the batch's accepted messages carry (their customers read in one join on the messages ledger), and rebuilds the
 * consent state of profiles the batch merged. A batch without consent and without merges costs one small query.
 */
export async function applyConsentFromMessages(tx: Queryable, kind: BackendKind, written: readonly ConsentMessage[]): Promise<void> {
  const ids = written.map((w) => w.message.messageId);
  const withConsent = written.filter((w) => carriesConsent(w.message));
  const keys = dialect(kind).jsonRows('$1', ['id']);
  const merged = ids.length === 0 ? [] : await tx.query<{ customer_id: string }>(`SELECT DISTINCT m.customer_id FROM customer_merges m JOIN ${keys} k ON m.message_id = k.id`, [jsonRowsParam(ids.map((id) => [id]))]);
  if (withConsent.length > 0) {
    const purposes = await listPurposes(tx);
    const owners = new Map(
      (await tx.query<{ message_id: string; customer_id: string }>(`SELECT m.message_id, m.customer_id FROM messages m JOIN ${keys} k ON m.message_id = k.id`, [jsonRowsParam(withConsent.map((w) => [w.message.messageId]))])).map((r) => [r.message_id, r.customer_id]),
    );
    const decisions: ConsentDecision[] = [];
    for (const { message, source } of withConsent) {
      const customerId = owners.get(message.messageId);
      if (!customerId) continue;
      for (const d of decisionsOf(message, purposes)) {
        decisions.push({ customerId, purpose: d.purpose, status: d.status === 'refused' ? 'withdrawn' : d.status, source: `event:${source}`, effectiveAt: message.ts, textVersion: d.textVersion, messageId: message.messageId });
      }
    }
    await refineRefusals(tx, kind, decisions);
    await recordConsents(tx, decisions);
  }
  await rebuildConsentState(tx, kind, merged.map((r) => r.customer_id));
}

/** A `false` is a withdrawal where the purpose was granted before, and a denial where it never was. */
async function refineRefusals(tx: Queryable, kind: BackendKind, decisions: ConsentDecision[]): Promise<void> {
  const refusals = decisions.filter((d) => d.status === 'withdrawn');
  if (refusals.length === 0) return;
  const granted = await tx.query<{ customer_id: string; purpose: string }>(
    `SELECT DISTINCT e.customer_id, e.purpose FROM consent_entries e JOIN ${dialect(kind).jsonRows('$1', ['c', 'p'])} k ON e.customer_id = k.c AND e.purpose = k.p WHERE e.status = 'granted'`,
    [jsonRowsParam(refusals.map((d) => [d.customerId, d.purpose]))],
  );
  const had = new Set(granted.map((g) => `${g.customer_id}\u0000${g.purpose}`));
  const grantedInBatch = new Set(decisions.filter((d) => d.status === 'granted').map((d) => `${d.customerId}\u0000${d.purpose}`));
  for (const d of refusals) {
    const key = `${d.customerId}\u0000${d.purpose}`;
    if (!had.has(key) && !grantedInBatch.has(key)) d.status = 'denied';
  }
}
