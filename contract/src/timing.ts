/**
 * Waiting, done once for every package: a promise with a deadline, an abortable sleep, a short blocking
 * wait, and the exponential back-off (optionally with jitter) that reconnects, retries and throttles all use.
 */

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Block this thread for `ms` (futex wait: no CPU burnt, typically well under a millisecond late). It holds
 * the event loop: only for the short tail of a precise wait (a Modbus RTU inter-frame gap).
 */
export function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

/** `p`, or a rejection with `onTimeout()` if it has not settled within `ms`. The timer never outlives it. */
export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface BackoffPolicy {
  /** The first delay (attempt 1). */
  initialMs: number;
  maxMs: number;
  /** ± this fraction of random spread (0.2 = 80–120 %), so many clients do not retry in step. Default 0. */
  jitter?: number;
}

/**
 * The delay before retry number `attempt` (1-based): initialMs · 2^(attempt−1), capped at maxMs, spread
 * by the jitter. Attempt 0 or less waits nothing.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (attempt <= 0) return 0;
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 40));
  const j = policy.jitter ?? 0;
  return j > 0 ? Math.round(base * (1 - j + random() * 2 * j)) : base;
}
