import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { prepareMessage, writeMessages, type SourcedMessage } from '../ingest/index.ts';
import type { Store } from '../store/index.ts';
import type { RejectedRecord } from './rejects.ts';

export interface EventImportResult {
  rows: number;
  accepted: number;
  duplicates: number;
  rejected: RejectedRecord[];
}

/**
 * Imports Segment-spec JSONL through the same validation, identity resolution and idempotency as the HTTP API,
 * in one transaction: a file either loads whole (minus its rejected lines) or not at all.
 */
export async function importEvents(store: Store, file: string, source: string, onRows: (n: number) => void, chunk = 5000): Promise<EventImportResult> {
  const result: EventImportResult = { rows: 0, accepted: 0, duplicates: 0, rejected: [] };
  const receivedAt = new Date();
  await store.transaction(async (tx) => {
    let batch: SourcedMessage[] = [];
    const flush = async () => {
      const statuses = await writeMessages(tx, store.kind, batch, receivedAt);
      for (const status of statuses) result[status === 'accepted' ? 'accepted' : 'duplicates']++;
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
        result.rejected.push({ line, reason: `not valid JSON: ${(error as Error).message}`, record: text });
        continue;
      }
      const prepared = prepareMessage(raw, receivedAt);
      if (!prepared.ok) {
        result.rejected.push({ line, reason: prepared.errors.map((e) => `${e.path ?? '(root)'}: ${e.message}`).join('; '), record: text });
        continue;
      }
      batch.push({ message: prepared.message, source });
      if (batch.length >= chunk) await flush();
    }
    if (batch.length > 0) await flush();
  });
  return result;
}
