/**
 * Spaces requests to a provider to at most `perSecond`, across every caller of one channel: each `take()` resolves at
 * the next free slot. Slots are reserved as they are handed out, so concurrent batches queue instead of bursting.
 */
export class RateLimiter {
  private next = 0;
  private readonly intervalMs: number;

  constructor(readonly perSecond: number) {
    this.intervalMs = 1000 / perSecond;
  }

  async take(): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.next);
    this.next = slot + this.intervalMs;
    if (slot - now >= 1) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight, keeping results in order. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let index = 0;
  const worker = async () => {
    while (index < items.length) {
      const i = index++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
