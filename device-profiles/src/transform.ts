/**
 * The transform pipeline, written down once (the README repeats it):
 *
 *   1. raw decode   registers/bits → typed raw value (type, byte/word order, bit)   register-codec.ts
 *      sentinel     a raw value listed in `sentinels` → bad `decode_error`, value null
 *                   a float NaN/±Infinity → bad `decode_error`, value null
 *   2. × scale
 *   3. + offset     result rounded to the decimals of scale/offset (integer raw types) or to 7
 *                   significant digits (float32), so 123 × 0.1 reads 12.3, not 12.300000000000001
 *   4. range check  outside `range` → quality `outOfRange` (default uncertain), reason `out_of_range`;
 *                   the value is kept so an over-range gas reading still reaches alarm evaluation
 *   5. unit         the point's unit symbol (a key of UNITS) travels with the value
 *
 * Then (Modbus) status registers qualify the points they cover, and the worse quality wins.
 * Writes run the pipeline backwards: (value − offset) ÷ scale → round for integer types → encode.
 */
import type { AlarmLevel, Quality, ReasonCode } from '@safeloop/contract';
import type { Range } from './schema.ts';

export interface DecodedPoint {
  pointId: string;
  value: number | boolean | string | null;
  /** Unit symbol; absent for state points (bool, string). */
  unit?: string;
  quality: Quality;
  reason?: ReasonCode;
  detail?: string;
  /** The registers (or bits) the value was decoded from, as read. */
  raw: number[];
  /** Alarm levels whose limit the value reaches right now (instantaneous; no deadband or delay). */
  exceeded: readonly AlarmLevel[];
}

export interface QualityVerdict {
  quality: Quality;
  reason?: ReasonCode;
  detail?: string;
}

/** Reading.detail is at most 200 characters (contract); long details (e.g. a 125-register dump) are cut. */
export function clipDetail(detail: string): string {
  return detail.length <= 200 ? detail : `${detail.slice(0, 199)}…`;
}

const QUALITY_RANK: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

/** The worse of two verdicts; on a tie the second (the device's own status) explains it better. */
export function worseVerdict(a: QualityVerdict, b: QualityVerdict): QualityVerdict {
  return QUALITY_RANK[b.quality] >= QUALITY_RANK[a.quality] && b.quality !== 'good' ? b : a;
}

function decimalsOf(x: number): number {
  if (Number.isInteger(x)) return 0;
  const s = String(x);
  const e = /e-(\d+)$/.exec(s);
  if (e) return Math.min(15, Number(e[1]) + (s.split('e')[0]?.split('.')[1]?.length ?? 0));
  return Math.min(15, s.split('.')[1]?.length ?? 0);
}

export type RawNumberKind = 'integer' | 'float32' | 'float64';

/** Decimal places an integer raw value keeps after × scale + offset (e.g. 1 for scale 0.1). */
export function resultDecimals(scale: number, offset: number): number {
  return Math.min(10, Math.max(decimalsOf(scale), decimalsOf(offset)));
}

/** Steps 2–3: raw number → engineering number. `decimals` defaults to resultDecimals(scale, offset). */
export function scaleValue(raw: number, scale: number, offset: number, kind: RawNumberKind, decimals = resultDecimals(scale, offset)): number {
  const v = raw * scale + offset;
  switch (kind) {
    case 'integer': {
      if (decimals === 0) return Math.round(v) + 0;
      const p = 10 ** decimals;
      const scaled = v * p;
      // `+ 0` turns -0 into 0; beyond 2^53 rounding cannot help and the product is returned as is.
      return Math.abs(scaled) < Number.MAX_SAFE_INTEGER ? Math.round(scaled) / p + 0 : v;
    }
    case 'float32':
      return Number(v.toPrecision(7));
    case 'float64':
      return v;
  }
}

/** Step 4. */
export function rangeVerdict(value: number, range: Range | undefined, outOfRange: 'uncertain' | 'bad'): QualityVerdict {
  if (range === undefined || (value >= range.min && value <= range.max)) return { quality: 'good' };
  return { quality: outOfRange, reason: 'out_of_range', detail: `${value} outside measuring range ${range.min}..${range.max}` };
}
