/**
 * Keeps a failure that repeats on every run of a loop (a provider that is down for hours, a channel that points at a
 * simulator no longer running) from filling the log: the first failure of a key is reported at once, later ones at
 * most every `everyMs` with how many were held back since the last report, and the first success after failures is
 * reported once as a recovery.
 */
export class RepeatingFailures {
  private readonly failing = new Map<string, { since: number; held: number; reportedAt: number }>();

  constructor(
    private readonly report: {
      failed: (key: string, error: unknown, repeat: { held: number; sinceMs: number } | undefined) => void;
      recovered: (key: string, failedForMs: number) => void;
    },
    private readonly everyMs = 600_000,
    private readonly now: () => number = Date.now,
  ) {}

  failed(key: string, error: unknown): void {
    const at = this.now();
    const state = this.failing.get(key);
    if (!state) {
      this.failing.set(key, { since: at, held: 0, reportedAt: at });
      this.report.failed(key, error, undefined);
    } else if (at - state.reportedAt >= this.everyMs) {
      this.report.failed(key, error, { held: state.held, sinceMs: at - state.since });
      state.held = 0;
      state.reportedAt = at;
    } else state.held++;
  }

  succeeded(key: string): void {
    const state = this.failing.get(key);
    if (!state) return;
    this.failing.delete(key);
    this.report.recovered(key, this.now() - state.since);
  }
}
