import type { Store } from '../store/index.ts';
import { refreshSegment, type RefreshReport } from './membership.ts';
import { dueSegments } from './segments.ts';

/**
 * Refreshes, one after another, the saved segments whose schedule (hourly, daily or weekly) is due at `now`, as of
 * the latest order day. A failing segment is reported through `onError` and does not stop the others; it is due
 * again at the next check. The `segments` job of `siyu serve` runs this every minute (src/jobs).
 */
export async function refreshDueSegments(store: Store, now: Date = new Date(), onError?: (error: unknown, segment: string) => void): Promise<RefreshReport[]> {
  const reports: RefreshReport[] = [];
  for (const name of await dueSegments(store, now)) {
    try {
      reports.push(await refreshSegment(store, name));
    } catch (error) {
      if (!onError) throw error;
      onError(error, name);
    }
  }
  return reports;
}
