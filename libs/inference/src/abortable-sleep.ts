/**
 * Sleeps that end early when `signal` aborts (rejecting with its reason).
 *
 * Many sleeps under one signal (a stream's gaps between tokens): one abort listener for all of them, instead of an
 * add and a remove per sleep, which cost a busy node more than the timers themselves. `close()` removes it.
 */
export class AbortableSleeper {
  private timer: NodeJS.Timeout | null = null;
  private rejectSleep: ((reason: unknown) => void) | null = null;
  private readonly onAbort = () => {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.rejectSleep?.(this.reason());
    this.rejectSleep = null;
  };

  constructor(private readonly signal: AbortSignal) {
    if (!signal.aborted) signal.addEventListener('abort', this.onAbort, { once: true });
  }

  sleep(ms: number): Promise<void> {
    if (this.signal.aborted) return Promise.reject(this.reason());
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.rejectSleep = reject;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.rejectSleep = null;
        resolve();
      }, ms);
    });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.rejectSleep = null;
    this.signal.removeEventListener('abort', this.onAbort);
  }

  private reason(): unknown {
    return this.signal.reason ?? new Error('aborted');
  }
}
