import { isSiyuError } from '../core/errors.ts';
import { keyRingFor } from '../privacy/index.ts';
import type { Store } from '../store/index.ts';
import { appendToInbox } from './inbox.ts';
import type { SourcedMessage, WriteStatus } from './write.ts';

interface Submission {
  entries: SourcedMessage[];
  resolve: (statuses: WriteStatus[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit into the inbox: requests that arrive while a transaction is running are appended together in the
 * next one, so throughput grows with load while each caller still waits for its own commit (a 200 means durable).
 * If a group fails, its submissions are retried one by one, so one bad request cannot fail its neighbours.
 * `onCommit` runs after each commit; the server uses it to wake the inbox processor.
 */
export class IngestWriter {
  private pending: Submission[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: { maxGroupMessages?: number; onCommit?: () => void } = {},
  ) {}

  /** Resolves with one status per message once they are committed. */
  submit(entries: SourcedMessage[]): Promise<WriteStatus[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ entries, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Waits until everything submitted so far is committed. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group: Submission[] = [];
        let size = 0;
        while (this.pending.length > 0 && (group.length === 0 || size + this.pending[0]!.entries.length <= (this.options.maxGroupMessages ?? 5000))) {
          const next = this.pending.shift()!;
          group.push(next);
          size += next.entries.length;
        }
        await this.commit(group);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async commit(group: Submission[]): Promise<void> {
    try {
      const statuses = await this.write(group.flatMap((s) => s.entries));
      let offset = 0;
      for (const submission of group) {
        submission.resolve(statuses.slice(offset, offset + submission.entries.length));
        offset += submission.entries.length;
      }
    } catch (error) {
      if (group.length === 1) return this.retryOnce(group[0]!, error);
      for (const submission of group) await this.commit([submission]);
    }
  }

  /** A conflict means another process wrote the same message or identifier first; one more try sees its commit. */
  private async retryOnce(submission: Submission, error: unknown): Promise<void> {
    if (!isSiyuError(error) || error.kind !== 'conflict') return submission.reject(error);
    try {
      submission.resolve(await this.write(submission.entries));
    } catch (again) {
      submission.reject(again);
    }
  }

  private async write(entries: SourcedMessage[]): Promise<WriteStatus[]> {
    const ring = await keyRingFor(this.store);
    const statuses = await this.store.transaction((tx) => appendToInbox(tx, this.store.kind, entries, new Date(), ring));
    this.options.onCommit?.();
    return statuses;
  }
}
