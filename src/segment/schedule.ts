import type { Store } from '../store/index.ts';
import { refreshSegment, type RefreshReport } from './membership.ts';
import { dueSegments } from './segments.ts';

export interface SegmentSchedulerOptions {
  /** How often to look for due segments; default every minute. */
  checkEveryMs?: number;
  onRefreshed?: (report: RefreshReport) => void;
  onError?: (error: unknown, segment: string) => void;
}

/**
 * Refreshes the saved segments that have a schedule (hourly, daily or weekly) once their interval has passed since
 * their last refresh, on demand or scheduled, as of the latest order day. `siyu serve` runs one; a failing segment
 * is reported and tried again at the next check, and never stops the others.
 */
export class SegmentScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RefreshReport[]> | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: SegmentSchedulerOptions = {},
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.options.checkEveryMs ?? 60_000);
    this.timer.unref();
  }

  /** Refreshes every due segment, one after another; a check already running is joined rather than doubled. */
  check(now: Date = new Date()): Promise<RefreshReport[]> {
    this.running ??= this.refreshDue(now).finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops checking and waits for a refresh in progress. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async refreshDue(now: Date): Promise<RefreshReport[]> {
    const reports: RefreshReport[] = [];
    let due: string[];
    try {
      due = await dueSegments(this.store, now);
    } catch (error) {
      this.options.onError?.(error, '(schedule)');
      return reports;
    }
    for (const name of due) {
      try {
        const report = await refreshSegment(this.store, name);
        reports.push(report);
        this.options.onRefreshed?.(report);
      } catch (error) {
        this.options.onError?.(error, name);
      }
    }
    return reports;
  }
}
