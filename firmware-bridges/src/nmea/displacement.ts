/**
 * Fixes → displacement samples: project each fix to east/north/up millimetres from the baseline,
 * optionally average over a tumbling window (good fixes preferred; a window with none reads
 * uncertain or bad), and derive the displacement rate over a look-back window.
 * Pure and clock-free: time comes with each fix, so tests drive it directly.
 */
import type { Quality, ReasonCode } from '@safeloop/contract';
import { geodeticToEnu, type Enu, type Geodetic } from './geodesy.ts';

export interface Fix {
  timeMs: number;
  /** Present when quality is not bad. */
  position: Geodetic | undefined;
  quality: Quality;
  reason?: ReasonCode | undefined;
  detail?: string | undefined;
}

export interface DisplacementSample {
  timeMs: number;
  /** Millimetres from the baseline; undefined when quality is bad. */
  enu: Enu | undefined;
  quality: Quality;
  reason?: ReasonCode | undefined;
  detail?: string | undefined;
  /** Horizontal movement rate and vertical rate in mm per rate unit; undefined = not computable. */
  horizontalRate: number | undefined;
  upRate: number | undefined;
  rateQuality: Quality;
  rateReason?: ReasonCode | undefined;
  rateDetail?: string | undefined;
}

export interface DisplacementOptions {
  baseline: Geodetic;
  averagingMs: number;
  rateWindowMs: number;
  /** Milliseconds per rate unit (mm/d → 86 400 000, mm/h → 3 600 000). */
  rateUnitMs: number;
}

interface Projected {
  timeMs: number;
  enu: Enu | undefined;
  quality: Quality;
  reason?: ReasonCode | undefined;
  detail?: string | undefined;
}

export function horizontalMm(enu: Enu): number {
  return Math.hypot(enu.east, enu.north);
}

export class DisplacementTracker {
  private window: Fix[] = [];
  private windowStart: number | undefined;
  private history: { timeMs: number; enu: Enu; quality: Quality }[] = [];

  constructor(private readonly opts: DisplacementOptions) {}

  /** Feed one fix; returns the samples it completes (0 or 1). */
  add(fix: Fix): DisplacementSample[] {
    if (this.opts.averagingMs <= 0) return [this.withRate(this.project(fix))];
    const out: DisplacementSample[] = [];
    if (this.windowStart !== undefined && fix.timeMs >= this.windowStart + this.opts.averagingMs) {
      const closed = this.closeWindow();
      if (closed) out.push(closed);
    }
    if (this.windowStart === undefined) this.windowStart = fix.timeMs;
    this.window.push(fix);
    return out;
  }

  /** Close the current averaging window now (e.g. on stop); undefined if it is empty. */
  flush(): DisplacementSample | undefined {
    return this.closeWindow();
  }

  private closeWindow(): DisplacementSample | undefined {
    const fixes = this.window;
    this.window = [];
    this.windowStart = undefined;
    const last = fixes[fixes.length - 1];
    if (!last) return undefined;
    const good = fixes.filter((f) => f.quality === 'good' && f.position);
    const uncertain = fixes.filter((f) => f.quality === 'uncertain' && f.position);
    const use = good.length > 0 ? good : uncertain;
    if (use.length === 0) {
      const worst = fixes.find((f) => f.reason !== undefined) ?? last;
      return this.withRate({ timeMs: last.timeMs, enu: undefined, quality: 'bad', reason: worst.reason ?? 'no_fix', detail: `no usable fix in ${fixes.length} (${worst.detail ?? 'no fix'})` });
    }
    const sum = { east: 0, north: 0, up: 0 };
    for (const f of use) {
      const enu = this.toMm(f.position as Geodetic);
      sum.east += enu.east;
      sum.north += enu.north;
      sum.up += enu.up;
    }
    const n = use.length;
    const lastUsed = use[use.length - 1] as Fix;
    const enu = { east: sum.east / n, north: sum.north / n, up: sum.up / n };
    if (good.length > 0) return this.withRate({ timeMs: lastUsed.timeMs, enu, quality: 'good', detail: `mean of ${n} of ${fixes.length} fixes` });
    return this.withRate({ timeMs: lastUsed.timeMs, enu, quality: 'uncertain', reason: lastUsed.reason ?? 'no_fix', detail: `mean of ${n} uncertain fixes (${lastUsed.detail ?? ''})` });
  }

  private project(fix: Fix): Projected {
    if (fix.quality === 'bad' || !fix.position) {
      return { timeMs: fix.timeMs, enu: undefined, quality: 'bad', reason: fix.reason ?? 'no_fix', detail: fix.detail };
    }
    return { timeMs: fix.timeMs, enu: this.toMm(fix.position), quality: fix.quality, reason: fix.reason, detail: fix.detail };
  }

  private toMm(p: Geodetic): Enu {
    const m = geodeticToEnu(p, this.opts.baseline);
    return { east: m.east * 1000, north: m.north * 1000, up: m.up * 1000 };
  }

  private withRate(s: Projected): DisplacementSample {
    const base = { ...s, horizontalRate: undefined, upRate: undefined };
    if (!s.enu) return { ...base, rateQuality: 'bad', rateReason: s.reason ?? 'no_fix', rateDetail: 'no position' };
    const horizon = s.timeMs - this.opts.rateWindowMs;
    // Samples arrive in time order; a receiver clock that jumps back restarts the history.
    const last = this.history[this.history.length - 1];
    if (last && last.timeMs >= s.timeMs) this.history = [];
    let drop = 0;
    while (drop < this.history.length && (this.history[drop] as { timeMs: number }).timeMs < horizon) drop += 1;
    if (drop > 0) this.history.splice(0, drop);
    const ref = this.history[0];
    this.history.push({ timeMs: s.timeMs, enu: s.enu, quality: s.quality });
    if (!ref) return { ...base, rateQuality: 'uncertain', rateReason: 'stale', rateDetail: 'rate window filling' };
    const dt = s.timeMs - ref.timeMs;
    const perUnit = this.opts.rateUnitMs / dt;
    const horizontalRate = Math.hypot(s.enu.east - ref.enu.east, s.enu.north - ref.enu.north) * perUnit;
    const upRate = (s.enu.up - ref.enu.up) * perUnit;
    const filling = dt < this.opts.rateWindowMs / 2;
    const quality: Quality = filling || ref.quality !== 'good' || s.quality !== 'good' ? 'uncertain' : 'good';
    const out: DisplacementSample = { ...s, horizontalRate, upRate, rateQuality: quality };
    if (quality === 'uncertain') {
      out.rateReason = filling ? 'stale' : (s.reason ?? 'no_fix');
      out.rateDetail = filling ? `rate over ${Math.round(dt / 1000)} s only (window filling)` : 'rate from uncertain fixes';
    }
    return out;
  }
}
