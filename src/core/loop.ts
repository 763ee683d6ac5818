/**
 * Runs `fn` again and again: every `everyMs`, and soon after each `wake()`, never two at once (a wake during a run
 * asks for one more run after it). For the server's background work: the journey engine, the message dispatcher.
 */
export class Loop {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly fn: () => Promise<unknown>,
    private readonly options: { everyMs: number; onError: (error: unknown) => void },
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Asks for a run now (or right after the one in progress). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.fn()
      .then(() => undefined, this.options.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.schedule();
      });
  }

  /** Waits for the run in progress, if any. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops running and waits for the run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.idle();
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), this.options.everyMs);
    this.timer.unref();
  }
}
