/** Time since a scenario started, read from an injected clock (so tests can drive it). */
import { systemClock, type Clock } from '@safeloop/contract';

export interface ScenarioClock {
  /** Seconds since the scenario started. */
  elapsedSec(): number;
  /** Start counting again from zero (a scenario restart). */
  restart(): void;
}

export function createScenarioClock(clock: Pick<Clock, 'monotonic'> = systemClock): ScenarioClock {
  let startedAt = clock.monotonic();
  return {
    elapsedSec: () => (clock.monotonic() - startedAt) / 1000,
    restart: () => {
      startedAt = clock.monotonic();
    },
  };
}

/** A clock a test can move by hand. */
export function createManualClock(startMs = 0): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = startMs;
  return {
    now: () => t,
    monotonic: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    set: (ms: number) => {
      t = ms;
    },
  };
}
