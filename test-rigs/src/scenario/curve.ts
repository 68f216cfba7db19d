/**
 * Scenario curves: data (never functions) describing how a simulated value moves over time.
 * A curve is evaluated against seconds since its scenario started; noise is deterministic in
 * (seed, time) so a replayed scenario produces the same values.
 */
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const ConstantCurveSchema = z.object({ kind: z.literal('constant'), value: finite });
export const SineCurveSchema = z.object({
  kind: z.literal('sine'),
  mean: finite,
  amplitude: finite,
  periodSec: z.number().positive(),
  /** Peak amplitude of uniform noise added on top (deterministic per 100 ms step). */
  noise: z.number().min(0).optional(),
  /** Phase offset in seconds, so several sines do not move in lock-step. */
  phaseSec: z.number().optional(),
});
export const RampCurveSchema = z.object({
  kind: z.literal('ramp'),
  from: finite,
  to: finite,
  durationSec: z.number().positive(),
  noise: z.number().min(0).optional(),
});
export const KeyframeSchema = z.object({ t: z.number().min(0), value: finite });
export const KeyframesCurveSchema = z
  .object({
    kind: z.literal('keyframes'),
    points: z.array(KeyframeSchema).min(1),
    /** Repeat from t=0 after the last keyframe (the period is the last keyframe's t). */
    loop: z.boolean().optional(),
    noise: z.number().min(0).optional(),
  })
  .superRefine((c, ctx) => {
    for (let i = 1; i < c.points.length; i++) {
      const prev = c.points[i - 1];
      const cur = c.points[i];
      if (prev && cur && cur.t < prev.t) {
        ctx.addIssue({ code: 'custom', path: ['points', i, 't'], message: `keyframe times must not decrease (${cur.t} < ${prev.t})` });
      }
    }
    const last = c.points[c.points.length - 1];
    if (c.loop === true && (last === undefined || last.t <= 0)) {
      ctx.addIssue({ code: 'custom', path: ['loop'], message: 'a looping curve needs a last keyframe with t > 0' });
    }
  });

export const CurveSchema = z.discriminatedUnion('kind', [
  ConstantCurveSchema,
  SineCurveSchema,
  RampCurveSchema,
  KeyframesCurveSchema,
]);
export type Curve = z.infer<typeof CurveSchema>;

/** Deterministic pseudo-random number in [-1, 1] for an integer step and a seed. */
export function hashNoise(seed: number, step: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(step | 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return (h / 0xffffffff) * 2 - 1;
}

/** A stable seed for a name (e.g. "unit 3 / gas"), so different points get different noise. */
export function seedFromName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

function noiseAt(amplitude: number | undefined, seed: number, tSec: number): number {
  if (amplitude === undefined || amplitude === 0) return 0;
  return amplitude * hashNoise(seed, Math.floor(tSec * 10));
}

function interpolate(points: readonly { t: number; value: number }[], t: number): number {
  const first = points[0];
  if (first === undefined) return 0;
  if (t <= first.t) return first.value;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (a === undefined || b === undefined) break;
    if (t <= b.t) {
      const span = b.t - a.t;
      return span <= 0 ? b.value : a.value + ((b.value - a.value) * (t - a.t)) / span;
    }
  }
  return points[points.length - 1]?.value ?? first.value;
}

/**
 * The curve's value `tSec` seconds after the scenario started. Ramps hold their end value;
 * keyframes hold the last value unless `loop` is set.
 */
export function evaluateCurve(curve: Curve, tSec: number, seed = 0): number {
  const t = Math.max(0, tSec);
  switch (curve.kind) {
    case 'constant':
      return curve.value;
    case 'sine':
      return (
        curve.mean +
        curve.amplitude * Math.sin((2 * Math.PI * (t + (curve.phaseSec ?? 0))) / curve.periodSec) +
        noiseAt(curve.noise, seed, t)
      );
    case 'ramp': {
      const f = Math.min(1, t / curve.durationSec);
      return curve.from + (curve.to - curve.from) * f + noiseAt(curve.noise, seed, t);
    }
    case 'keyframes': {
      const last = curve.points[curve.points.length - 1];
      const period = last?.t ?? 0;
      const local = curve.loop === true && period > 0 ? t % period : t;
      return interpolate(curve.points, local) + noiseAt(curve.noise, seed, t);
    }
  }
}
