/** Injected time so tests can run on fake time. */
export interface Clock {
  /** Wall-clock epoch ms. */
  now(): number;
  /** Monotonic ms, for durations and deadlines. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};
