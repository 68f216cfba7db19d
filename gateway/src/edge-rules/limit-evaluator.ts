/**
 * Edge alarm evaluation: limits per point with levels, deadband (hysteresis), on-delay and
 * off-delay. Works with no cloud connection; its events go into the journal's alarm stream.
 *
 * Rules of evaluation:
 * - Only `good` readings move a condition. Bad or uncertain data never raises and never clears:
 *   the condition keeps its state until good data decides (stale data never clears an alarm).
 * - A high limit is active while value ≥ limit; it clears once value < limit − deadband.
 *   A low limit is the mirror image.
 * - Delays are measured on the readings' source time, so a backlog re-read gives the same answer.
 */
import type { AlarmEvent, AlarmLimit, Reading } from '@safeloop/contract';

export type NewAlarmEvent = Omit<AlarmEvent, 'id' | 'seq'>;

type Phase = 'normal' | 'pending_on' | 'active' | 'pending_off';

interface ConditionState {
  phase: Phase;
  since: number;
}

export interface PointLimits {
  limits: readonly AlarmLimit[];
  unit?: string;
}

export class LimitEvaluator {
  private readonly states = new Map<string, ConditionState>();

  /** @param limitsByPoint limits keyed by full point path `site/device/point`. */
  constructor(private limitsByPoint: ReadonlyMap<string, PointLimits>) {}

  /** Replace the limits (remote config); conditions of limits that still exist keep their state. */
  setLimits(limitsByPoint: ReadonlyMap<string, PointLimits>): void {
    this.limitsByPoint = limitsByPoint;
    for (const key of [...this.states.keys()]) {
      const [point, level] = splitKey(key);
      if (!limitsByPoint.get(point)?.limits.some((l) => l.level === level)) this.states.delete(key);
    }
  }

  /** Conditions currently active (raised and not cleared), as `point|level` keys. */
  activeConditions(): string[] {
    return [...this.states.entries()].filter(([, s]) => s.phase === 'active' || s.phase === 'pending_off').map(([k]) => k);
  }

  evaluate(readings: readonly Reading[]): NewAlarmEvent[] {
    const events: NewAlarmEvent[] = [];
    for (const r of readings) {
      const cfg = this.limitsByPoint.get(r.point);
      if (!cfg || r.quality !== 'good' || typeof r.value !== 'number') continue;
      for (const limit of cfg.limits) {
        const ev = this.step(r, r.value, limit, cfg.unit ?? r.unit);
        if (ev) events.push(ev);
      }
    }
    return events;
  }

  private step(r: Reading, value: number, limit: AlarmLimit, unit: string | undefined): NewAlarmEvent | undefined {
    const key = `${r.point}|${limit.level}`;
    const state = this.states.get(key) ?? { phase: 'normal', since: r.sourceTime };
    const beyond = limit.direction === 'high' ? value >= limit.value : value <= limit.value;
    const backInside = limit.direction === 'high' ? value < limit.value - limit.deadband : value > limit.value + limit.deadband;
    const t = r.sourceTime;
    let fire: 'raised' | 'cleared' | undefined;

    switch (state.phase) {
      case 'normal':
        if (beyond) {
          if (limit.onDelaySec <= 0) {
            state.phase = 'active';
            fire = 'raised';
          } else state.phase = 'pending_on';
          state.since = t;
        }
        break;
      case 'pending_on':
        if (!beyond) {
          state.phase = 'normal';
          state.since = t;
        } else if (t - state.since >= limit.onDelaySec * 1000) {
          state.phase = 'active';
          state.since = t;
          fire = 'raised';
        }
        break;
      case 'active':
        if (backInside) {
          if (limit.offDelaySec <= 0) {
            state.phase = 'normal';
            fire = 'cleared';
          } else state.phase = 'pending_off';
          state.since = t;
        }
        break;
      case 'pending_off':
        if (!backInside) {
          state.phase = 'active';
          state.since = t;
        } else if (t - state.since >= limit.offDelaySec * 1000) {
          state.phase = 'normal';
          state.since = t;
          fire = 'cleared';
        }
        break;
    }
    this.states.set(key, state);
    if (!fire) return undefined;
    return {
      type: 'alarm',
      point: r.point,
      kind: fire,
      level: limit.level,
      direction: limit.direction,
      limit: limit.value,
      value,
      ...(unit === undefined ? {} : { unit }),
      quality: r.quality,
      sourceTime: r.sourceTime,
      gatewayTime: r.gatewayTime,
    };
  }
}

function splitKey(key: string): [string, string] {
  const i = key.lastIndexOf('|');
  return [key.slice(0, i), key.slice(i + 1)];
}
