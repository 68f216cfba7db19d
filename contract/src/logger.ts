/**
 * The logger interface every module takes by injection (pino satisfies it).
 * `rateLimited` wraps a logger so one call site logs at most once per interval, with a count of
 * what it suppressed — a dead device polled every second must not flood the log.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export function rateLimited(intervalMs: number, now: () => number = Date.now) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key: string, log: (suppressed: number) => void): void => {
    const t = now();
    const entry = last.get(key);
    if (entry && t - entry.at < intervalMs) {
      entry.suppressed += 1;
      return;
    }
    log(entry?.suppressed ?? 0);
    last.set(key, { at: t, suppressed: 0 });
  };
}
