/**
 * A holder of alarm-evaluator state for many points: point states, device-scope fault states, and a
 * snapshot/restore pair so the gateway can persist what is active or pending (a restarted gateway
 * neither re-raises nor forgets an active alarm, and detects a clear on its first reading).
 * The evaluation itself is alarm-evaluator.ts; this file only owns the maps.
 */
import { evaluateReading, newPointState, pruneConditions, type EvaluatorEvent, type FaultState, type PointAlarmConfig, type PointAlarmState, type StateAccess } from './alarm-evaluator.ts';
import { FAULT_SCOPE, type FaultCode } from './faults.ts';
import type { Reading } from './reading.ts';

export interface AlarmStateSnapshot {
  v: 1;
  points: Record<string, PointAlarmState>;
  devices: Record<string, Partial<Record<FaultCode, FaultState>>>;
}

const NO_LIMITS: PointAlarmConfig = { limits: [] };
/** Batches shorter than this are looked up point by point (bridges, single values). */
const MIN_PLAN_LENGTH = 8;
const MAX_PLANS = 20_000;

interface PollPlan {
  readonly points: readonly string[];
  readonly configs: readonly PointAlarmConfig[];
  readonly anyLimits: boolean;
}

/** Every reading good and at the plan's point (same order). */
function allGoodInPlan(readings: readonly Reading[], points: readonly string[]): boolean {
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    if (r.quality !== 'good' || r.point !== points[i]) return false;
  }
  return true;
}

function deviceOf(point: string): string {
  return point.slice(0, point.lastIndexOf('/'));
}

function interesting(ps: PointAlarmState): boolean {
  return Object.values(ps.conditions).some((c) => c.phase !== 'normal') || Object.values(ps.faults).some((f) => f.active);
}

export class AlarmStateStore {
  private readonly points = new Map<string, PointAlarmState>();
  private readonly devices = new Map<string, Partial<Record<FaultCode, FaultState>>>();
  private activeFaultCount = 0;
  /**
   * Poll plans seen: a source sends the same points in the same order every cycle (a device's poll), so
   * the configs are looked up once per plan, keyed by its first point, instead of once per reading.
   */
  private readonly plans = new Map<string, PollPlan>();

  /**
   * @param configs per full point path; points without an entry are still watched for faults.
   * @param fallback configuration for points without an entry (no limits by default).
   */
  constructor(
    private configs: ReadonlyMap<string, PointAlarmConfig>,
    private readonly fallback: PointAlarmConfig = NO_LIMITS,
  ) {}

  /** Replace the configuration (remote config); conditions of limits that still exist keep their state. */
  setConfigs(configs: ReadonlyMap<string, PointAlarmConfig>): void {
    this.configs = configs;
    this.plans.clear();
    for (const [point, ps] of this.points) pruneConditions(configs.get(point) ?? this.fallback, ps);
  }

  configFor(point: string): PointAlarmConfig {
    return this.configs.get(point) ?? this.fallback;
  }

  evaluate(readings: readonly Reading[]): EvaluatorEvent[] {
    const out: EvaluatorEvent[] = [];
    const plan = this.planOf(readings);
    // Hot path: a poll of a device without limits, every reading good, no fault active → nothing to do.
    if (plan && !plan.anyLimits && this.activeFaultCount === 0 && allGoodInPlan(readings, plan.points)) return out;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const cfg = plan && plan.points[i] === r.point ? plan.configs[i]! : (this.configs.get(r.point) ?? this.fallback);
      // Hot path: a good reading of a point without limits changes nothing while no fault is active.
      if (cfg.limits.length === 0 && r.quality === 'good' && this.activeFaultCount === 0) continue;
      const events = evaluateReading(r, cfg, this.access(r.point));
      for (const e of events) {
        if (e.type === 'fault') this.activeFaultCount += e.kind === 'raised' ? 1 : -1;
        out.push(e);
      }
    }
    return out;
  }

  /** The plan of this batch (built on first sight, rebuilt when the batch no longer matches it). */
  private planOf(readings: readonly Reading[]): PollPlan | undefined {
    const first = readings[0];
    if (!first || readings.length < MIN_PLAN_LENGTH) return undefined;
    const known = this.plans.get(first.point);
    if (known && known.points.length === readings.length && known.points[readings.length - 1] === readings[readings.length - 1]!.point) return known;
    if (!known && this.plans.size >= MAX_PLANS) return undefined;
    const points = readings.map((r) => r.point);
    const configs = points.map((p) => this.configs.get(p) ?? this.fallback);
    const plan: PollPlan = { points, configs, anyLimits: configs.some((c) => c.limits.length > 0) };
    this.plans.set(first.point, plan);
    return plan;
  }

  private access(point: string): StateAccess {
    let ps = this.points.get(point);
    if (!ps) {
      ps = newPointState();
      this.points.set(point, ps);
    }
    const pointState = ps;
    const devices = this.devices;
    return {
      point: pointState,
      fault(subject, code, create) {
        const holder = FAULT_SCOPE[code] === 'device' ? devices.get(subject) ?? (create ? devices.set(subject, {}).get(subject) : undefined) : pointState.faults;
        if (!holder) return undefined;
        if (!holder[code] && create) holder[code] = { active: false, since: 0, goodSince: null, goodCount: 0, lastGoodAt: null };
        return holder[code];
      },
      activeFaults(p) {
        const out: { subject: string; code: FaultCode; state: FaultState }[] = [];
        for (const [code, st] of Object.entries(pointState.faults) as [FaultCode, FaultState][]) if (st.active) out.push({ subject: p, code, state: st });
        const dev = deviceOf(p);
        const ds = devices.get(dev);
        if (ds) for (const [code, st] of Object.entries(ds) as [FaultCode, FaultState][]) if (st.active) out.push({ subject: dev, code, state: st });
        return out;
      },
    };
  }

  /** Active process conditions as `point|level`, and active faults as `subject|code`. */
  active(): { conditions: string[]; faults: string[] } {
    const conditions: string[] = [];
    const faults: string[] = [];
    for (const [p, ps] of this.points) {
      for (const [level, c] of Object.entries(ps.conditions)) if (c.phase === 'active' || c.phase === 'pending_off') conditions.push(`${p}|${level}`);
      for (const [code, f] of Object.entries(ps.faults)) if (f.active) faults.push(`${p}|${code}`);
    }
    for (const [d, ds] of this.devices) for (const [code, f] of Object.entries(ds)) if (f.active) faults.push(`${d}|${code}`);
    return { conditions, faults };
  }

  /** What is active or pending, as JSON-safe data (points and devices in a normal state are left out). */
  snapshot(): AlarmStateSnapshot {
    const points: Record<string, PointAlarmState> = {};
    for (const [p, ps] of this.points) if (interesting(ps)) points[p] = ps;
    const devices: Record<string, Partial<Record<FaultCode, FaultState>>> = {};
    for (const [d, ds] of this.devices) if (Object.values(ds).some((f) => f.active)) devices[d] = ds;
    return { v: 1, points, devices };
  }

  /** Load a snapshot taken by snapshot() (a restart); unknown shapes are ignored. */
  restore(snap: unknown): void {
    if (typeof snap !== 'object' || snap === null || (snap as { v?: unknown }).v !== 1) return;
    const s = snap as AlarmStateSnapshot;
    this.points.clear();
    this.devices.clear();
    this.activeFaultCount = 0;
    for (const [p, ps] of Object.entries(s.points ?? {})) {
      const state: PointAlarmState = { conditions: { ...ps.conditions }, faults: { ...ps.faults }, lastTime: 0 };
      pruneConditions(this.configFor(p), state);
      this.points.set(p, state);
      this.activeFaultCount += Object.values(state.faults).filter((f) => f.active).length;
    }
    for (const [d, ds] of Object.entries(s.devices ?? {})) {
      this.devices.set(d, { ...ds });
      this.activeFaultCount += Object.values(ds).filter((f) => f.active).length;
    }
  }
}
