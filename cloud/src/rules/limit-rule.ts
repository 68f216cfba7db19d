/**
 * Limit rules: one condition per (point, level). Raise when the value is at or beyond the limit
 * for onDelaySec; clear only on good data beyond the deadband for offDelaySec. Bad, uncertain or
 * stale data neither raises nor clears (and interrupts an off-delay). The condition key is the
 * one the edge uses (`limit:{point}:{level}`), so edge and cloud evaluation never double up.
 */
import { ALARM_LEVEL_LABELS, DEFAULT_COLOUR_FOR_LEVEL, type AlarmLimit, type TelemetryEvent } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import { limitConditionKey } from '../ingest/edge-alarms.ts';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { matchesAny } from './glob.ts';
import { goodNumber, readingInput, type KindHandler } from './kind-handler.ts';
import type { LimitRule } from './schema.ts';
import type { RuleState } from './state.ts';

function limitOf(rule: LimitRule, st: RuleState): AlarmLimit | undefined {
  const level = st.key.slice(st.key.lastIndexOf('|') + 1);
  return rule.limits.find((l) => l.level === level);
}

function pointOf(st: RuleState): string {
  return st.key.split('|')[2] ?? '';
}

function raise(rule: LimitRule, st: RuleState, lim: AlarmLimit, at: number): OutboxOp {
  const point = pointOf(st);
  const last = st.data.last as Record<string, unknown> | undefined;
  const unit = rule.unit ?? (typeof last?.unit === 'string' ? last.unit : undefined);
  return {
    op: 'raise',
    input: {
      conditionKey: limitConditionKey(point, lim.level),
      siteId: st.siteId,
      point,
      origin: 'cloud',
      ruleId: rule.id,
      kind: 'point',
      level: lim.level,
      colour: rule.colours?.[lim.level] ?? DEFAULT_COLOUR_FOR_LEVEL[lim.level],
      title: `${rule.title ?? `${ALARM_LEVEL_LABELS[lim.level].zh} / ${ALARM_LEVEL_LABELS[lim.level].en}`}: ${point}`,
      value: (last?.value as number | undefined) ?? null,
      limit: lim.value,
      ...(unit !== undefined ? { unit } : {}),
      inputs: { [point]: last ?? null, limit: lim.value, direction: lim.direction, deadband: lim.deadband, onDelaySec: lim.onDelaySec },
      at,
    },
  };
}

function clear(st: RuleState, lim: AlarmLimit, at: number, reason: string): OutboxOp {
  const last = st.data.last as Record<string, unknown> | undefined;
  return { op: 'clear', input: { conditionKey: limitConditionKey(pointOf(st), lim.level), at, value: (last?.value as number | undefined) ?? null, reason } };
}

function applyLimit(rule: LimitRule, st: RuleState, r: TelemetryEvent): OutboxOp[] {
  const lim = limitOf(rule, st);
  if (!lim || r.sourceTime < st.lastTime) return [];
  st.lastTime = r.sourceTime;
  const v = goodNumber(r);

  if (v === undefined) {
    // Never clears on bad data; an off-delay countdown has to start again on good data.
    st.clearingSince = null;
    st.dueAt = st.active ? null : st.pendingSince !== null ? st.pendingSince + lim.onDelaySec * 1000 : null;
    return [];
  }
  st.data.last = { ...readingInput(r), ...(r.unit ? { unit: r.unit } : {}) };
  const inAlarm = lim.direction === 'high' ? v >= lim.value : v <= lim.value;
  const beyondDeadband = lim.direction === 'high' ? v < lim.value - lim.deadband : v > lim.value + lim.deadband;
  const t = r.sourceTime;
  if (!st.active) {
    st.clearingSince = null;
    if (!inAlarm) {
      st.pendingSince = null;
      st.dueAt = null;
      return [];
    }
    st.pendingSince ??= t;
    if (t - st.pendingSince >= lim.onDelaySec * 1000) {
      const at = st.pendingSince;
      st.active = true;
      st.pendingSince = null;
      st.dueAt = null;
      return [raise(rule, st, lim, at)];
    }
    st.dueAt = st.pendingSince + lim.onDelaySec * 1000;
    return [];
  }
  st.pendingSince = null;
  if (!beyondDeadband) {
    st.clearingSince = null;
    st.dueAt = null;
    return [];
  }
  st.clearingSince ??= t;
  if (t - st.clearingSince >= lim.offDelaySec * 1000) {
    st.active = false;
    st.clearingSince = null;
    st.dueAt = null;
    return [clear(st, lim, t, 'value back within limit and deadband')];
  }
  st.dueAt = st.clearingSince + lim.offDelaySec * 1000;
  return [];
}

export const limitHandler: KindHandler<LimitRule> = {
  keys(rule, _siteId, rel, point) {
    if (!matchesAny(rule.points, rel)) return [];
    return rule.limits.map((l) => `limit|${rule.id}|${point}|${l.level}`);
  },

  apply(rule, st, r, _now) {
    const before = [st.active, st.pendingSince, st.clearingSince, st.dueAt].join();
    const ops = applyLimit(rule, st, r);
    // Steady state (normal value, nothing pending) writes nothing: the hot path stays read-only.
    if (ops.length > 0 || st.active || st.pendingSince !== null || [st.active, st.pendingSince, st.clearingSince, st.dueAt].join() !== before) st.dirty = true;
    return ops;
  },

  async due(rule, st, now, tx: SqlDb) {
    const lim = limitOf(rule, st);
    st.dirty = true;
    st.dueAt = null;
    if (!lim) return [];
    if (!st.active && st.pendingSince !== null) {
      // The condition held for the whole on-delay with nothing to contradict it.
      const at = st.pendingSince;
      st.active = true;
      st.pendingSince = null;
      return [raise(rule, st, lim, at)];
    }
    if (st.active && st.clearingSince !== null) {
      // Clear only if the newest value is good, not stale, and no older than the countdown.
      const rows = await tx.query<{ quality: string; stale: number; source_time: number }>(
        'SELECT quality, stale, source_time FROM telemetry_latest WHERE point = $1',
        [pointOf(st)],
      );
      const l = rows[0];
      if (l && l.quality === 'good' && Number(l.stale) === 0 && Number(l.source_time) >= st.clearingSince) {
        st.active = false;
        st.clearingSince = null;
        return [clear(st, lim, now, 'value back within limit and deadband (off-delay elapsed)')];
      }
      st.clearingSince = null;
    }
    return [];
  },
};
