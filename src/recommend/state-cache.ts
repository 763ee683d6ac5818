import type { Queryable } from '../store/index.ts';

/**
 * Serving reads the latest runs, the running experiment and the brand's day at most once per this many
 * milliseconds per store, so a run or experiment made by another process shows within it.
 */
export const SERVING_STATE_TTL_MS = 5_000;

/** Per store: when the serving state was read, and the read. Kept apart from serve.ts so writers can clear it. */
export const stateCache = new WeakMap<Queryable, { at: number; state: Promise<unknown> }>();

/** Forgets the cached serving state of a store, so the next list sees a run or experiment made just now. */
export function refreshServingState(db: Queryable): void {
  stateCache.delete(db);
}
