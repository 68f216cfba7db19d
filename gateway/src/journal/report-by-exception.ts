/**
 * Report-by-exception filter for telemetry (before the journal): per point, a reading passes when
 *  - it is the first one seen for the point, or
 *  - its quality or reason differs from the last one sent (quality changes always pass), or
 *  - its value moved beyond the deadband since the last value sent (non-numeric: any change), or
 *  - the heartbeat interval elapsed since the last one sent (by the reading's gatewayTime).
 * A point with no deadband configured (neither per point nor default) passes every reading.
 * Alarm events never go through this filter.
 */
import type { Reading, ReadingValue } from '@safeloop/contract';
import type { PointReportConfig, ReportConfig } from './config.ts';

const DEFAULT_HEARTBEAT_SEC = 60;

interface LastSent {
  value: ReadingValue;
  quality: Reading['quality'];
  reason: Reading['reason'];
  at: number;
}

export class ReportByException {
  private readonly last = new Map<string, LastSent>();
  private suppressedCount = 0;

  private readonly passAll: boolean;

  constructor(private readonly deps: { config: ReportConfig }) {
    const points = Object.values(deps.config.points ?? {});
    this.passAll = deps.config.default.deadband === undefined && points.every((p) => p.deadband === undefined);
  }

  /** Readings that should be journaled and sent; updates the per-point state. */
  filter(readings: readonly Reading[]): readonly Reading[] {
    // Hot path: with no deadband anywhere every reading passes and nothing needs remembering.
    if (this.passAll) return readings;
    const out: Reading[] = [];
    for (const r of readings) {
      if (this.passes(r)) {
        out.push(r);
        this.last.set(r.point, { value: r.value, quality: r.quality, reason: r.reason, at: r.gatewayTime });
      } else {
        this.suppressedCount += 1;
      }
    }
    return out;
  }

  /** Readings held back since start. */
  get suppressed(): number {
    return this.suppressedCount;
  }

  /** Forget what was sent (e.g. after a rebirth request, so every point is sent again). */
  reset(): void {
    this.last.clear();
  }

  private settingsFor(point: string): PointReportConfig {
    const slash = point.indexOf('/');
    const key = slash >= 0 ? point.slice(slash + 1) : point;
    return this.deps.config.points?.[key] ?? this.deps.config.default;
  }

  private passes(r: Reading): boolean {
    const cfg = this.settingsFor(r.point);
    if (cfg.deadband === undefined) return true;
    const prev = this.last.get(r.point);
    if (!prev) return true;
    if (prev.quality !== r.quality || prev.reason !== r.reason) return true;
    const heartbeatMs = (cfg.heartbeatSec ?? DEFAULT_HEARTBEAT_SEC) * 1000;
    if (heartbeatMs > 0 && r.gatewayTime - prev.at >= heartbeatMs) return true;
    if (typeof r.value === 'number' && typeof prev.value === 'number') return Math.abs(r.value - prev.value) > cfg.deadband;
    return r.value !== prev.value;
  }
}
