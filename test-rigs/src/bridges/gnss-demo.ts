/**
 * The demo tailings dam's scripted displacement (5-minute loop): a GNSS antenna on the dam crest
 * creeps ~1 mm, then slips downstream (azimuth 120°) through 10 mm (t≈95 s) and 20 mm (t≈140 s),
 * peaks at 22 mm (t=150 s) and recovers below 2 mm by t=220 s; it settles 0.2 mm per mm of slip.
 * With limits H 10 mm / HH 20 mm on `disp_h` the demo raises and clears both once per loop.
 */
import type { EnuMm } from './gnss-sim.ts';

const LOOP_MS = 300_000;
const KEYFRAMES: readonly [number, number][] = [
  [0, 0.5],
  [60, 1.2],
  [110, 14],
  [150, 22],
  [180, 16],
  [220, 1.8],
  [300, 0.5],
];
const AZIMUTH_RAD = (120 * Math.PI) / 180;

export function demoDamHorizontalMm(elapsedMs: number): number {
  const t = (((elapsedMs % LOOP_MS) + LOOP_MS) % LOOP_MS) / 1000;
  for (let i = 1; i < KEYFRAMES.length; i += 1) {
    const [t1, v1] = KEYFRAMES[i] as [number, number];
    const [t0, v0] = KEYFRAMES[i - 1] as [number, number];
    if (t <= t1) return v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
  }
  return KEYFRAMES[0]?.[1] ?? 0;
}

export function demoDamDrift(elapsedMs: number): EnuMm {
  const h = demoDamHorizontalMm(elapsedMs);
  return { east: h * Math.sin(AZIMUTH_RAD), north: h * Math.cos(AZIMUTH_RAD), up: -0.2 * h };
}

/** Baseline of the demo GNSS antenna on the dam (a fixed reference: the displacement is measured against it). */
export const DEMO_DAM_GNSS_BASELINE = { lat: 28.6518342, lon: 115.9735117, h: 62.418 } as const;
