/**
 * On SIGTERM/SIGINT: run `close` (Nest's app.close(): shutdown hooks, in-flight work finished) and exit 0; if it
 * takes longer than `graceMs`, exit 1 so an orchestrator does not wait forever. Used instead of Nest's own
 * enableShutdownHooks(), which re-raises the signal and so never exits 0.
 */
export function exitGracefullyOnSignals(close: () => Promise<void>, graceMs: number, log: (line: string) => void = console.log): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    log(`${signal} received: finishing in-flight work (up to ${Math.round(graceMs / 1000)} s)…`);
    const force = setTimeout(() => {
      log('shutdown grace period over; exiting with work left');
      process.exit(1);
    }, graceMs);
    force.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
