/**
 * Clean shutdown on Ctrl-C / SIGTERM: run the stop function once, force-exit if it hangs,
 * exit immediately on a second signal.
 */
export function onShutdown(stop: () => Promise<void>, opts: { timeoutMs?: number; log?: (msg: string) => void } = {}): void {
  let stopping = false;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: shutting down…`);
    const timer = setTimeout(() => {
      log('shutdown took too long; exiting');
      process.exit(1);
    }, opts.timeoutMs ?? 8000);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`shutdown error: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
