import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { prepareMessage, writeMessages, type SourcedMessage } from '../ingest/index.ts';
import { applyConsentFromMessages, holdTombstoned, keyRingFor } from '../privacy/index.ts';
import type { Store } from '../store/index.ts';
import { defaultMaxRejects, tooManyRejects, type RejectedRecord, type RejectReason, type RejectsWriter } from './rejects.ts';

export interface EventImportResult {
  rows: number;
  accepted: number;
  duplicates: number;
  /** Messages naming a person erased at their request, held in privacy_quarantine (docs/privacy.md). */
  held: number;
  rejected: number;
}

/** Counts of reasons, for the message that stops a hopeless file; bounded, since parse errors name positions. */
class ReasonCounts {
  private readonly counts = new Map<string, { count: number; example: string | null }>();
  add(reason: string, example: string | null): void {
    const entry = this.counts.get(reason);
    if (entry) entry.count++;
    else if (this.counts.size < 10_000) this.counts.set(reason, { count: 1, example });
  }
  top(n = 5): RejectReason[] {
    return [...this.counts].map(([reason, e]) => ({ reason, ...e })).sort((a, b) => b.count - a.count).slice(0, n);
  }
}

/**
 * Imports Segment-spec JSONL through the same validation, identity resolution, idempotency, erasure check and
 * consent recording as the HTTP API, in one transaction: a file either loads whole (minus its rejected lines) or not
 * at all. Rejects go to `rejects` as
 * they are found. With more than `maxRejects` of them (by default 1% of the lines read so far, or 10,000 if more),
 * the import stops there and nothing is kept.
 */
export async function importEvents(
  store: Store,
  file: string,
  source: string,
  rejects: RejectsWriter,
  options: { maxRejects?: number; onRows: (n: number) => void },
  chunk = 5000,
): Promise<EventImportResult> {
  const result: EventImportResult = { rows: 0, accepted: 0, duplicates: 0, held: 0, rejected: 0 };
  const reasons = new ReasonCounts();
  const reject = (record: RejectedRecord, kind: string, example: string | null) => {
    rejects.add(record);
    reasons.add(kind, example);
    const limit = options.maxRejects ?? defaultMaxRejects(result.rows);
    if (rejects.count > limit) {
      throw tooManyRejects({ file, rejected: rejects.count, records: result.rows, limit, reasons: reasons.top(), rejectsFile: rejects.path, written: rejects.count, partial: true });
    }
  };
  const onRows = options.onRows;
  const receivedAt = new Date();
  const ring = await keyRingFor(store);
  await store.transaction(async (tx) => {
    let batch: SourcedMessage[] = [];
    const flush = async () => {
      // As the inbox processor does: a message naming an erased person is held, and consent carried is recorded.
      const passing = await holdTombstoned(store, tx, batch, receivedAt);
      result.held += batch.length - passing.length;
      const statuses = await writeMessages(tx, store.kind, passing, receivedAt, ring);
      for (const status of statuses) result[status === 'accepted' ? 'accepted' : 'duplicates']++;
      await applyConsentFromMessages(tx, store.kind, passing.filter((_, i) => statuses[i] === 'accepted'));
      onRows(batch.length);
      batch = [];
    };
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      result.rows++;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (error) {
        reject({ line, reason: `not valid JSON: ${(error as Error).message}`, record: text }, 'not valid JSON', null);
        continue;
      }
      const prepared = prepareMessage(raw, receivedAt);
      if (!prepared.ok) {
        const reason = prepared.errors.map((e) => `${e.path ?? '(root)'}: ${e.message}`).join('; ');
        reject({ line, reason, record: text }, reason, null);
        continue;
      }
      batch.push({ message: prepared.message, source });
      if (batch.length >= chunk) await flush();
    }
    if (batch.length > 0) await flush();
  });
  result.rejected = rejects.count;
  return result;
}
