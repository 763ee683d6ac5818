import type { Store } from '../store/index.ts';
import { isPolling, type Channel } from './channel.ts';
import { closeChannels, loadChannels } from './configured.ts';
import { applyFeedback, type FeedbackReport } from './feedback.ts';

/**
 * The channels a running server dispatches to, reloaded when a channel or template changes (over HTTP or the CLI
 * forwarded to it), so a new channel needs no restart. The old adapters are closed once replaced.
 */
export class ChannelSet {
  private channels: Channel[] = [];

  constructor(private readonly store: Store) {}

  get list(): readonly Channel[] {
    return this.channels;
  }

  async reload(): Promise<void> {
    const next = await loadChannels(this.store);
    const old = this.channels;
    this.channels = next;
    closeChannels(old);
  }

  close(): void {
    closeChannels(this.channels);
    this.channels = [];
  }
}

/**
 * Pulls receipts, replies and bounces from every channel that polls its provider and applies them (feedback.ts).
 * One channel's failure does not stop the others; it is reported through `onError`.
 */
export async function pollChannels(store: Store, channels: readonly Channel[], onError: (error: unknown, channel: string) => void = () => undefined): Promise<Record<string, FeedbackReport>> {
  const reports: Record<string, FeedbackReport> = {};
  for (const channel of channels.filter(isPolling)) {
    try {
      reports[channel.name] = await applyFeedback(store, channel.name, channel.address, await channel.poll());
    } catch (error) {
      onError(error, channel.name);
    }
  }
  return reports;
}
