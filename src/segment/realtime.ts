import { dialect, jsonRowsParam, localDay, readBrandSettings, type Store } from '../store/index.ts';
import { compileSegment } from './builder.ts';
import { applyTagChanges } from './tags.ts';

/** Events received this long before the last pass are looked at again, in case a slower batch committed late. */
const OVERLAP_MS = 5_000;

/**
 * Applies real-time tags as events arrive: the server's inbox processor wakes it after every batch it commits,
 * and it re-evaluates each real-time tag's event condition for just the customers with new events of that name,
 * tagging those who now match. `siyu tag refresh` later removes tags whose window has passed.
 */
export class RealtimeTagger {
  private since = new Date(Date.now() - OVERLAP_MS);
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly store: Store,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Waits for a pass in progress. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    const rules = await this.store.query<{ name: string; definition: unknown }>("SELECT name, definition FROM tag_definitions WHERE kind = 'realtime'");
    if (rules.length === 0) return;
    const definitions = rules.map((r) => ({ name: r.name, definition: (typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition) as { event: string } }));
    const events = [...new Set(definitions.map((d) => d.definition.event))];
    const from = new Date(this.since.getTime() - OVERLAP_MS);
    const fresh = await this.store.query<{ customer_id: string; name: string; received_at: Date }>(
      `SELECT customer_id, name, max(received_at) AS received_at FROM events
       WHERE received_at > $1 AND type = 'track' AND name IN (SELECT id FROM ${dialect(this.store.kind).jsonRows('$2', ['id'])} names)
       GROUP BY customer_id, name`,
      [from, jsonRowsParam(events.map((e) => [e]))],
    );
    if (fresh.length === 0) return;
    for (const r of fresh) if (r.received_at > this.since) this.since = r.received_at;
    const { timezone } = await readBrandSettings(this.store);
    const [{ today }] = (await this.store.query<{ today: string }>(`SELECT ${localDay(timezone, 'now()')} AS today`)) as [{ today: string }];
    for (const { name, definition } of definitions) {
      const customers = [...new Set(fresh.filter((f) => f.name === definition.event).map((f) => f.customer_id))];
      if (customers.length === 0) continue;
      const { sql, params } = await compileSegment(this.store, definition, today);
      const candidates = `$${params.length + 1}`;
      const matched = await this.store.query<{ customer_id: string }>(
        `SELECT m.customer_id FROM (${sql}) m
         WHERE m.customer_id IN (SELECT id FROM ${dialect(this.store.kind).jsonRows(candidates, ['id'])} c)
           AND NOT EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = m.customer_id AND t.tag = ${`$${params.length + 2}`})`,
        [...params, jsonRowsParam(customers.map((c) => [c])), name],
      );
      if (matched.length) await this.store.transaction((tx) => applyTagChanges(tx, { add: matched.map((m): [string, string] => [m.customer_id, name]), remove: [] }, 'realtime', `realtime:${name}`));
    }
  }
}
