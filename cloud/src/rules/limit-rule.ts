/**
 * Limit rules in the cloud: the shared alarm evaluator (@safeloop/contract alarm-evaluator, the same
 * code the gateway runs) over the readings of the matching points — levels, deadband, on/off delays,
 * over-range and fault alarms. One state row per (rule, point) holds the evaluator's state. Condition
 * keys are the ones the edge uses (`limit:{point}:{level}`, `fault:{subject}:{code}`), so a point
 * evaluated at both ends never doubles up (but evaluate a point in one place: see README, alarms).
 */
import {
  DEFAULT_COLOUR_FOR_LEVEL,
  evaluateReading,
  newPointState,
  nextDue,
  pruneConditions,
  tickDelays,
  FAULT_SCOPE,
  type EvaluatorEvent,
  type FaultCode,
  type FaultState,
  type PointAlarmConfig,
  type PointAlarmState,
  type Reading,
  type StateAccess,
  type TelemetryEvent,
} from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import { faultOp, limitAlarmTitle, limitConditionKey } from '../ingest/edge-alarms.ts';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { matchesAny } from './glob.ts';
import type { KindHandler } from './kind-handler.ts';
import type { LimitRule } from './schema.ts';
import type { RuleState } from './state.ts';

function pointOf(st: RuleState): string {
  return st.key.split('|')[2] ?? '';
}

export function limitConfig(rule: LimitRule): PointAlarmConfig {
  return {
    limits: rule.limits,
    ...(rule.unit === undefined ? {} : { unit: rule.unit }),
    ...(rule.range === undefined ? {} : { range: rule.range }),
    overRangeLatch: rule.overRangeLatch,
    faultClearHoldMs: rule.faultClearHoldSec * 1000,
    faultClearReadings: rule.faultClearReadings,
  };
}

interface Stored {
  eval?: PointAlarmState;
  /** Device-scope fault states seen from this point (comm loss of its device). */
  deviceFaults?: Partial<Record<FaultCode, FaultState>>;
  last?: Reading;
}

function accessOf(data: Stored, point: string): StateAccess {
  const ps = (data.eval ??= newPointState());
  const dev = (data.deviceFaults ??= {});
  const device = point.slice(0, point.lastIndexOf('/'));
  return {
    point: ps,
    fault(_subject, code, create) {
      const holder = FAULT_SCOPE[code] === 'device' ? dev : ps.faults;
      if (!holder[code] && create) holder[code] = { active: false, since: 0, goodSince: null, goodCount: 0, lastGoodAt: null };
      return holder[code];
    },
    activeFaults(p) {
      const out: { subject: string; code: FaultCode; state: FaultState }[] = [];
      for (const [code, s] of Object.entries(ps.faults) as [FaultCode, FaultState][]) if (s.active) out.push({ subject: p, code, state: s });
      for (const [code, s] of Object.entries(dev) as [FaultCode, FaultState][]) if (s.active) out.push({ subject: device, code, state: s });
      return out;
    },
  };
}

function toOp(rule: LimitRule, st: RuleState, e: EvaluatorEvent): OutboxOp {
  if (e.type === 'fault') return faultOp(undefined, e, 'cloud', rule.id);
  const conditionKey = limitConditionKey(e.point, e.level);
  const at = e.since;
  if (e.kind === 'cleared') return { op: 'clear', input: { conditionKey, at, value: e.value, reason: 'value back within limit and deadband' } };
  return {
    op: 'raise',
    input: {
      conditionKey,
      siteId: st.siteId,
      point: e.point,
      origin: 'cloud',
      ruleId: rule.id,
      kind: 'point',
      level: e.level,
      colour: rule.colours?.[e.level] ?? DEFAULT_COLOUR_FOR_LEVEL[e.level],
      title: rule.title ? `${rule.title}: ${e.point}` : limitAlarmTitle(e.level, e.point, e.cause),
      value: e.value,
      limit: e.limit,
      ...(e.unit !== undefined ? { unit: e.unit } : {}),
      inputs: {
        [e.point]: { value: e.value, quality: e.quality, sourceTime: e.sourceTime, ...(e.reason ? { reason: e.reason } : {}) },
        limit: e.limit,
        direction: e.direction,
        ...(e.cause === 'over_range' ? { cause: 'over_range' } : {}),
      },
      at,
      ...(e.latched ? { latched: true } : {}),
    },
  };
}

const LAST_TIME_WRITE_MS = 60_000;

/** The evaluator state as JSON without its lastTime, to tell a real change from one more reading (no copy: runs twice per reading). */
function stateJson(data: Stored): string {
  const ev = data.eval;
  const faults = JSON.stringify(data.deviceFaults ?? null);
  if (ev === undefined) return `null${faults}`;
  const lastTime = ev.lastTime;
  ev.lastTime = 0;
  const json = JSON.stringify(ev);
  ev.lastTime = lastTime;
  return json + faults;
}

/**
 * stateJson of a state as its last apply left it, so the next reading of the same point in the batch does
 * not serialise it again: nothing else changes a loaded state between two applies (a timer pass or a redo
 * works on states loaded anew), and a prune that removed a condition drops it.
 */
const unchangedJson = new WeakMap<Stored, string>();

/** One config object per rule (the rule set is immutable once loaded): not one per reading. */
const configs = new WeakMap<LimitRule, PointAlarmConfig>();
function configOf(rule: LimitRule): PointAlarmConfig {
  let cfg = configs.get(rule);
  if (!cfg) configs.set(rule, (cfg = limitConfig(rule)));
  return cfg;
}

function reading(r: TelemetryEvent): Reading {
  const { id: _id, seq: _seq, ...rest } = r;
  return rest;
}

export const limitHandler: KindHandler<LimitRule> = {
  keys(rule, _siteId, rel, point) {
    return matchesAny(rule.points, rel) ? [`limit|${rule.id}|${point}`] : [];
  },

  apply(rule, st, r) {
    const data = st.data as Stored;
    const cfg = configOf(rule);
    let before = unchangedJson.get(data);
    if (data.eval) {
      const kept = Object.keys(data.eval.conditions).length;
      pruneConditions(cfg, data.eval);
      if (Object.keys(data.eval.conditions).length !== kept) before = undefined;
    }
    const storedLastTime = data.eval?.lastTime ?? 0;
    before ??= stateJson(data);
    // The event itself is the reading (its id and seq are extra fields the evaluator never looks at).
    const events = evaluateReading(r, cfg, accessOf(data, pointOf(st)));
    // Steady state (normal good value, nothing pending) writes nothing: the hot path stays read-only.
    // The evaluator's lastTime moves with every reading, so it alone is written at most once a minute;
    // a late reading between two writes is evaluated again, which at worst raises for a real exceedance.
    const lastTimeDue = (data.eval?.lastTime ?? 0) - storedLastTime >= LAST_TIME_WRITE_MS;
    const after = events.length > 0 || lastTimeDue ? undefined : stateJson(data);
    if (after !== undefined) unchangedJson.set(data, after);
    else unchangedJson.delete(data);
    if (after !== before) {
      data.last = reading(r);
      st.lastTime = Math.max(st.lastTime, r.sourceTime);
      st.active = data.eval !== undefined && Object.values(data.eval.conditions).some((c) => c.phase === 'active' || c.phase === 'pending_off');
      st.dueAt = data.eval ? nextDue(cfg, data.eval) : null;
      st.dirty = true;
    }
    return events.map((e) => toOp(rule, st, e));
  },

  async due(rule, st, now, tx: SqlDb) {
    st.dirty = true;
    st.dueAt = null;
    const data = st.data as Stored;
    if (!data.eval || !data.last) return [];
    const cfg = limitConfig(rule);
    // A pending clear needs the point's newest value to be live (not marked stale by a gateway going offline).
    const rows = await tx.query<{ stale: number }>('SELECT stale FROM telemetry_latest WHERE point = $1', [pointOf(st)]);
    if (rows[0] && Number(rows[0].stale) === 1) {
      for (const c of Object.values(data.eval.conditions)) if (c.phase === 'pending_off') c.phase = 'active';
    }
    const events = tickDelays(cfg, data.eval, data.last, now);
    st.active = Object.values(data.eval.conditions).some((c) => c.phase === 'active' || c.phase === 'pending_off');
    st.dueAt = nextDue(cfg, data.eval);
    return events.map((e) => toOp(rule, st, e));
  },
};
