/**
 * The one alarm evaluator, shared by the gateway's edge rules and the cloud's limit rules so their
 * behaviour cannot drift. Pure logic over (state, reading) → events: limits with levels, deadband,
 * on/off delays, over-range, and fault alarms from the reading's quality. State objects are plain
 * JSON so both sides can persist them (gateway journal, cloud rule_state).
 *
 * Quality rules (DOMAIN.md §7; conformance table in contract/test/alarm-conformance.ts):
 * - A value moves a process condition only when it is usable: quality `good`, or `uncertain /
 *   bad_time` (the value is real, only the device's timestamp is wrong; its time base is then the
 *   gateway's receive time).
 * - Above the measuring range on a point with high limits: counts as beyond every high limit — an
 *   over-range gas reading is 二级 — and the alarm is marked latched (GB 15322 wants an over-range
 *   indication distinct from normal monitoring; latching is our default, configurable per point).
 *   Above range with no high limit, below range beyond tolerance, or out of range with no way to
 *   tell the direction: a fault alarm.
 * - Sensor fault, calibration, maintenance, warm-up, comm loss, no-fix, stopped, bad data and bad
 *   time each raise their own fault alarm (GB/T 50493-2019: a detector's fault signal is distinct
 *   from its gas alarm). Otherwise bad/uncertain data neither raises nor clears a process alarm and
 *   interrupts an off-delay countdown.
 * - A fault clears only after clearing readings have held for `faultClearHoldMs` and at least
 *   `faultClearReadings` of them arrived at distinct times (no flapping on a link that comes and goes).
 */
import { FAULT_FOR_REASON, FAULT_SCOPE, TRANSIENT_REASONS, faultSubject, type FaultCode } from './faults.ts';
import type { AlarmLevel, AlarmLimit, LimitDirection } from './levels.ts';
import type { Quality, Reading, ReadingValue, ReasonCode } from './reading.ts';

export interface PointAlarmConfig {
  limits: readonly AlarmLimit[];
  unit?: string;
  /** Measuring range (量程); decides over/under range. Without it, the limits decide the direction. */
  range?: { min: number; max: number };
  /** Mark a process alarm raised by an over-range value as latched (default true). */
  overRangeLatch?: boolean;
  /** Below-range values within this many units of range.min are normal drift, not a fault (default 1 % of span). */
  underRangeTolerance?: number;
  /** Reasons whose values still move process conditions (default none: calibration etc. suppress them, faults are still raised). */
  evaluateDuring?: readonly ReasonCode[];
  /** A fault clears only after clearing readings held this long (default 5000 ms). */
  faultClearHoldMs?: number;
  /** … and at least this many clearing readings at distinct times arrived (default 2). */
  faultClearReadings?: number;
}

export type Phase = 'normal' | 'pending_on' | 'active' | 'pending_off';

export interface ConditionState {
  phase: Phase;
  since: number;
  /** Why it became active: a value beyond the limit, or a value above the measuring range. */
  cause?: 'limit' | 'over_range';
}

export interface FaultState {
  active: boolean;
  since: number;
  /** Time of the first clearing reading of the current clearing streak. */
  goodSince: number | null;
  goodCount: number;
  lastGoodAt: number | null;
}

export interface PointAlarmState {
  conditions: Partial<Record<AlarmLevel, ConditionState>>;
  /** Point-scope faults; device-scope ones live with the device (see StateAccess). */
  faults: Partial<Record<FaultCode, FaultState>>;
  lastTime: number;
}

/** Where the evaluator finds state: the point's own, and per fault subject (device or point). */
export interface StateAccess {
  point: PointAlarmState;
  /** The state of a fault on its subject, created when `create` is true. */
  fault(subject: string, code: FaultCode, create: boolean): FaultState | undefined;
  /** Active faults whose subject covers this point (point-scope and its device's). */
  activeFaults(point: string): { subject: string; code: FaultCode; state: FaultState }[];
}

interface EventBase {
  kind: 'raised' | 'cleared';
  point: string;
  value: ReadingValue;
  unit?: string;
  quality: Quality;
  reason?: ReasonCode;
  sourceTime: number;
  gatewayTime: number;
}

export interface LimitTransition extends EventBase {
  type: 'limit';
  level: AlarmLevel;
  direction: LimitDirection;
  limit: number;
  cause: 'limit' | 'over_range';
  latched: boolean;
  /** When the excursion (raised) or the return (cleared) began: the start of an on/off delay, else the reading's time. */
  since: number;
}

export interface FaultTransition extends EventBase {
  type: 'fault';
  subject: string;
  fault: FaultCode;
  detail?: string;
}

export type EvaluatorEvent = LimitTransition | FaultTransition;

export function newPointState(): PointAlarmState {
  return { conditions: {}, faults: {}, lastTime: 0 };
}

const DEFAULT_HOLD_MS = 5000;
const DEFAULT_HOLD_READINGS = 2;

type RangeVerdict = 'in' | 'above' | 'below_tolerated' | 'below' | 'unknown';

/** Where a value flagged out_of_range lies, from the range or, without one, from the limits. */
export function rangeVerdict(value: number, cfg: PointAlarmConfig): RangeVerdict {
  const { range } = cfg;
  if (range) {
    if (value > range.max) return 'above';
    if (value < range.min) {
      const tol = cfg.underRangeTolerance ?? 0.01 * Math.abs(range.max - range.min);
      return value >= range.min - tol ? 'below_tolerated' : 'below';
    }
    return 'in';
  }
  const highs = cfg.limits.filter((l) => l.direction === 'high').map((l) => l.value);
  const lows = cfg.limits.filter((l) => l.direction === 'low').map((l) => l.value);
  if (highs.length > 0 && value >= Math.min(...highs)) return 'above';
  if (lows.length > 0 && value <= Math.max(...lows)) return 'below';
  return 'unknown';
}

/** How a reading bears on process conditions. */
type ValueUse = { use: 'value'; v: number } | { use: 'over_range'; v: number } | { use: 'none' };

function classify(r: Reading, cfg: PointAlarmConfig): { value: ValueUse; fault: FaultCode | undefined } {
  const num = typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : undefined;
  if (r.reason === 'out_of_range') {
    if (num === undefined) return { value: { use: 'none' }, fault: 'out_of_range' };
    switch (rangeVerdict(num, cfg)) {
      case 'above':
        return cfg.limits.some((l) => l.direction === 'high') ? { value: { use: 'over_range', v: num }, fault: undefined } : { value: { use: 'none' }, fault: 'over_range' };
      case 'below':
        return { value: { use: 'none' }, fault: 'under_range' };
      case 'below_tolerated':
      case 'in':
        return { value: { use: 'value', v: num }, fault: undefined };
      case 'unknown':
        return { value: { use: 'none' }, fault: 'out_of_range' };
    }
  }
  const fault = r.reason === undefined ? undefined : FAULT_FOR_REASON[r.reason];
  const usable = r.quality === 'good' || r.reason === 'bad_time' || (r.reason !== undefined && cfg.evaluateDuring?.includes(r.reason) === true);
  return { value: usable && num !== undefined ? { use: 'value', v: num } : { use: 'none' }, fault };
}

/** The time a reading is judged at: its source time, or the gateway's when the source clock is wrong. */
export function evaluationTime(r: Reading): number {
  return r.reason === 'bad_time' ? r.gatewayTime : r.sourceTime;
}

/** Does reading `r` (with its own fault `own`) count towards clearing fault `code`? */
function clears(code: FaultCode, r: Reading, own: FaultCode | undefined, use: ValueUse): boolean {
  if (own === code) return false;
  switch (code) {
    case 'comm_lost':
      // the device answers again (even if what it says is another fault)
      return r.reason === undefined || (r.reason !== 'comm_lost' && !TRANSIENT_REASONS.has(r.reason));
    case 'bad_time':
      return r.reason !== 'bad_time' && r.reason !== 'comm_lost' && (r.reason === undefined || !TRANSIENT_REASONS.has(r.reason));
    default:
      return use.use === 'value' && own === undefined;
  }
}

function base(r: Reading, cfg: PointAlarmConfig): EventBase {
  const unit = cfg.unit ?? r.unit;
  return {
    kind: 'raised',
    point: r.point,
    value: r.value,
    ...(unit === undefined ? {} : { unit }),
    quality: r.quality,
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    sourceTime: r.sourceTime,
    gatewayTime: r.gatewayTime,
  };
}

function stepFaults(r: Reading, cfg: PointAlarmConfig, access: StateAccess, own: FaultCode | undefined, use: ValueUse, t: number, out: EvaluatorEvent[]): void {
  const holdMs = cfg.faultClearHoldMs ?? DEFAULT_HOLD_MS;
  const holdReadings = cfg.faultClearReadings ?? DEFAULT_HOLD_READINGS;
  if (own !== undefined) {
    const subject = faultSubject(r.point, own);
    const st = access.fault(subject, own, true)!;
    st.goodSince = null;
    st.goodCount = 0;
    if (!st.active) {
      st.active = true;
      st.since = t;
      out.push({ ...base(r, cfg), type: 'fault', subject, fault: own, ...(r.detail === undefined ? {} : { detail: r.detail }) });
    }
  }
  for (const f of access.activeFaults(r.point)) {
    if (f.code === own) continue;
    const st = f.state;
    if (!clears(f.code, r, own, use)) {
      st.goodSince = null;
      st.goodCount = 0;
      continue;
    }
    if (st.goodSince === null) {
      st.goodSince = t;
      st.goodCount = 1;
      st.lastGoodAt = t;
    } else if (st.lastGoodAt === null || t > st.lastGoodAt) {
      st.goodCount += 1;
      st.lastGoodAt = t;
    }
    if (st.goodCount >= holdReadings && t - st.goodSince >= holdMs) {
      st.active = false;
      st.since = t;
      st.goodSince = null;
      st.goodCount = 0;
      out.push({ ...base(r, cfg), kind: 'cleared', type: 'fault', subject: f.subject, fault: f.code });
    }
  }
}

function limitEvent(r: Reading, cfg: PointAlarmConfig, limit: AlarmLimit, kind: 'raised' | 'cleared', cause: 'limit' | 'over_range', since: number): LimitTransition {
  return {
    ...base(r, cfg),
    since,
    kind,
    type: 'limit',
    level: limit.level,
    direction: limit.direction,
    limit: limit.value,
    cause,
    latched: kind === 'raised' && cause === 'over_range' && cfg.overRangeLatch !== false,
  };
}

/** An on-delay that ran out: active from `t`; the event is dated from when the excursion began. */
function completeRaise(r: Reading, cfg: PointAlarmConfig, limit: AlarmLimit, st: ConditionState, t: number, cause: 'limit' | 'over_range'): LimitTransition {
  const began = st.since;
  st.phase = 'active';
  st.since = t;
  st.cause = cause;
  return limitEvent(r, cfg, limit, 'raised', cause, began);
}

/** An off-delay that ran out: normal from `t`; the event is dated from when the return began. */
function completeClear(r: Reading, cfg: PointAlarmConfig, limit: AlarmLimit, st: ConditionState, t: number): LimitTransition {
  const began = st.since;
  st.phase = 'normal';
  st.since = t;
  return limitEvent(r, cfg, limit, 'cleared', st.cause ?? 'limit', began);
}

function stepCondition(r: Reading, cfg: PointAlarmConfig, limit: AlarmLimit, st: ConditionState, use: ValueUse, t: number): LimitTransition | undefined {
  if (use.use === 'none') {
    // Never raises or clears on data that is not usable; an off-delay must start again on good data.
    if (st.phase === 'pending_off') {
      st.phase = 'active';
      st.since = t;
    }
    return undefined;
  }
  if (use.use === 'over_range' && limit.direction === 'low') return undefined;
  const v = use.v;
  const beyond = use.use === 'over_range' || (limit.direction === 'high' ? v >= limit.value : v <= limit.value);
  const backInside = use.use === 'value' && (limit.direction === 'high' ? v < limit.value - limit.deadband : v > limit.value + limit.deadband);
  const cause = use.use === 'over_range' ? 'over_range' : 'limit';
  switch (st.phase) {
    case 'normal':
      if (!beyond) return undefined;
      st.since = t;
      if (limit.onDelaySec > 0) {
        st.phase = 'pending_on';
        return undefined;
      }
      st.phase = 'active';
      st.cause = cause;
      return limitEvent(r, cfg, limit, 'raised', cause, t);
    case 'pending_on': {
      if (!beyond) {
        st.phase = 'normal';
        st.since = t;
        return undefined;
      }
      if (t - st.since < limit.onDelaySec * 1000) return undefined;
      return completeRaise(r, cfg, limit, st, t, cause);
    }
    case 'active':
      if (!backInside) return undefined;
      st.since = t;
      if (limit.offDelaySec > 0) {
        st.phase = 'pending_off';
        return undefined;
      }
      st.phase = 'normal';
      return limitEvent(r, cfg, limit, 'cleared', st.cause ?? 'limit', t);
    case 'pending_off': {
      if (!backInside) {
        st.phase = 'active';
        st.since = t;
        return undefined;
      }
      if (t - st.since < limit.offDelaySec * 1000) return undefined;
      return completeClear(r, cfg, limit, st, t);
    }
  }
}

/**
 * Evaluate one reading of a point against its configuration. Mutates the state reached through
 * `access` and returns the transitions (fault events first, then limit events in limit order).
 * Readings older than the last one evaluated for the point are ignored (a replayed backlog).
 */
export function evaluateReading(r: Reading, cfg: PointAlarmConfig, access: StateAccess): EvaluatorEvent[] {
  const t = evaluationTime(r);
  const ps = access.point;
  if (t < ps.lastTime) return [];
  ps.lastTime = t;
  const { value: use, fault } = classify(r, cfg);
  const out: EvaluatorEvent[] = [];
  stepFaults(r, cfg, access, fault, use, t, out);
  for (const limit of cfg.limits) {
    const st = (ps.conditions[limit.level] ??= { phase: 'normal', since: t });
    const ev = stepCondition(r, cfg, limit, st, use, t);
    if (ev) out.push(ev);
  }
  return out;
}

/** The earliest time a pending on/off delay of this point falls due with no further reading, or null. */
export function nextDue(cfg: PointAlarmConfig, ps: PointAlarmState): number | null {
  let due: number | null = null;
  for (const limit of cfg.limits) {
    const st = ps.conditions[limit.level];
    if (!st) continue;
    const at = st.phase === 'pending_on' ? st.since + limit.onDelaySec * 1000 : st.phase === 'pending_off' ? st.since + limit.offDelaySec * 1000 : null;
    if (at !== null && (due === null || at < due)) due = at;
  }
  return due;
}

/**
 * Delays that elapsed with nothing to contradict them (no reading since): a pending raise fires,
 * a pending clear fires (a non-usable reading would already have interrupted it). `last` is the
 * last reading evaluated for the point, for the event's value and times.
 */
export function tickDelays(cfg: PointAlarmConfig, ps: PointAlarmState, last: Reading, now: number): LimitTransition[] {
  const out: LimitTransition[] = [];
  for (const limit of cfg.limits) {
    const st = ps.conditions[limit.level];
    if (!st) continue;
    if (st.phase === 'pending_on' && now - st.since >= limit.onDelaySec * 1000) out.push(completeRaise(last, cfg, limit, st, now, 'limit'));
    else if (st.phase === 'pending_off' && now - st.since >= limit.offDelaySec * 1000) out.push(completeClear(last, cfg, limit, st, now));
  }
  return out;
}

/** Keep only the conditions of limits that still exist (a configuration change). */
export function pruneConditions(cfg: PointAlarmConfig, ps: PointAlarmState): void {
  const levels = new Set(cfg.limits.map((l) => l.level));
  for (const level of Object.keys(ps.conditions) as AlarmLevel[]) if (!levels.has(level)) delete ps.conditions[level];
}

/** Scope of a fault code, re-exported for callers that key state by subject. */
export function isDeviceFault(code: FaultCode): boolean {
  return FAULT_SCOPE[code] === 'device';
}
