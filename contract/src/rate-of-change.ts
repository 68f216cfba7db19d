/**
 * Rate of change of a point (part of the one alarm evaluator, shared by edge and cloud): the change over
 * a sliding window, in units per minute, against a maximum rise and/or fall. Pure: the caller keeps the
 * state (plain JSON). Only usable values are fed in (see alarm-evaluator.ts: bad data neither raises nor
 * clears); the verdict needs at least half a window of data, so one early sample cannot trip it.
 */
export interface RateLimitConfig {
  windowSec: number;
  maxRisePerMin?: number | undefined;
  maxFallPerMin?: number | undefined;
}

export interface RateState {
  /** [time, value] samples inside the window, plus the newest one before it (a baseline for slow points). */
  samples: [number, number][];
  lastTime: number;
}

export interface RateVerdict {
  over: boolean;
  perMin: number;
  from: { time: number; value: number };
}

const MAX_SAMPLES = 500;

export function newRateState(): RateState {
  return { samples: [], lastTime: 0 };
}

/**
 * Feed one usable value at time `t`. Returns undefined for a reading older than the last one (a replay)
 * or while less than half a window is covered; otherwise whether the rate is beyond a limit.
 */
export function stepRate(st: RateState, t: number, v: number, cfg: RateLimitConfig): RateVerdict | undefined {
  if (t < st.lastTime) return undefined;
  st.lastTime = t;
  const windowMs = cfg.windowSec * 1000;
  const cutoff = t - windowMs;
  const firstInside = st.samples.findIndex(([at]) => at >= cutoff);
  const kept = firstInside === -1 ? st.samples.slice(-1) : st.samples.slice(Math.max(0, firstInside - 1));
  kept.push([t, v]);
  st.samples = kept.slice(-MAX_SAMPLES);
  const first = st.samples[0]!;
  const span = t - first[0];
  if (span < windowMs / 2) return undefined;
  const perMin = ((v - first[1]) / span) * 60_000;
  const over = (cfg.maxRisePerMin !== undefined && perMin >= cfg.maxRisePerMin) || (cfg.maxFallPerMin !== undefined && -perMin >= cfg.maxFallPerMin);
  return { over, perMin, from: { time: first[0], value: first[1] } };
}
