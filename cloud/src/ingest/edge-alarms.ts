/** Edge alarm-stream events → AlarmSink decisions (same condition keys as cloud rules). */
import {
  ALARM_LEVEL_LABELS,
  DEFAULT_COLOUR_FOR_LEVEL,
  FAULT_LABELS,
  faultConditionKey,
  type AlarmEvent,
  type AlarmLevel,
  type AlarmStreamEvent,
  type FaultCode,
  type FaultEvent,
  type SystemEvent,
} from '@safeloop/contract';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { siteOf } from '../store/telemetry-store.ts';
import { bilingualTitle } from '../alarms/title.ts';

export function limitConditionKey(point: string, level: string): string {
  return `limit:${point}:${level}`;
}

/** Title of a process alarm; an over-range one says so (GB 15322: over-range shown distinct from normal). */
export function limitAlarmTitle(level: AlarmLevel, point: string, cause?: 'limit' | 'over_range'): string {
  const l = ALARM_LEVEL_LABELS[level];
  return cause === 'over_range' ? `超量程 ${l.zh} / Over range, ${l.en}: ${point}` : `${l.zh} / ${l.en}: ${point}`;
}

/** Title of a fault alarm (故障报警), distinct from any process alarm. */
export function faultAlarmTitle(code: FaultCode, subject: string): string {
  const l = FAULT_LABELS[code];
  return `故障报警 ${l.zh} / Fault: ${l.en}: ${subject}`;
}

/** A raised/cleared fault. Clears come from the evaluator's hold logic, whatever the reading's quality. */
export function faultOp(gatewayId: string | undefined, e: Omit<FaultEvent, 'id' | 'seq'> & { id?: string; seq?: number }, origin: 'edge' | 'cloud', ruleId: string): OutboxOp {
  const conditionKey = faultConditionKey(e.subject, e.fault);
  if (e.kind === 'cleared') {
    return { op: 'clear', input: { conditionKey, at: e.sourceTime, value: e.value, reason: `fault cleared: good data held${gatewayId ? ` (${gatewayId})` : ''}` } };
  }
  return {
    op: 'raise',
    input: {
      conditionKey,
      siteId: siteOf(e.point),
      point: e.subject.split('/').length === 3 ? e.subject : e.point,
      origin,
      ruleId,
      kind: 'fault',
      title: faultAlarmTitle(e.fault, e.subject),
      value: e.value,
      ...(e.unit !== undefined ? { unit: e.unit } : {}),
      inputs: {
        [e.point]: { value: e.value, quality: e.quality, sourceTime: e.sourceTime, ...(e.reason ? { reason: e.reason } : {}) },
        fault: e.fault,
        subject: e.subject,
        ...(e.detail ? { detail: e.detail } : {}),
        ...(gatewayId ? { gatewayId } : {}),
        ...(e.id ? { eventId: e.id, seq: e.seq } : {}),
      },
      at: e.sourceTime,
    },
  };
}

/**
 * A raised/cleared edge alarm. A clear on data that is not usable is ignored (never clears): good,
 * or uncertain only because the device clock is wrong (bad_time; the value itself is sound).
 */
export function edgeAlarmOp(gatewayId: string, e: AlarmEvent): OutboxOp | undefined {
  const conditionKey = limitConditionKey(e.point, e.level);
  if (e.kind === 'cleared') {
    if (e.quality !== 'good' && !(e.quality === 'uncertain' && e.reason === 'bad_time')) return undefined;
    return { op: 'clear', input: { conditionKey, at: e.sourceTime, value: e.value, reason: `edge cleared (${gatewayId})` } };
  }
  return {
    op: 'raise',
    input: {
      conditionKey,
      siteId: siteOf(e.point),
      point: e.point,
      origin: 'edge',
      ruleId: 'edge-limit',
      kind: 'point',
      level: e.level,
      colour: DEFAULT_COLOUR_FOR_LEVEL[e.level],
      title: limitAlarmTitle(e.level, e.point, e.cause),
      value: e.value,
      limit: e.limit,
      ...(e.unit !== undefined ? { unit: e.unit } : {}),
      inputs: {
        [e.point]: { value: e.value, quality: e.quality, sourceTime: e.sourceTime },
        direction: e.direction,
        limit: e.limit,
        gatewayId,
        eventId: e.id,
        seq: e.seq,
        ...(e.historical ? { historical: true } : {}),
        ...(e.cause === 'over_range' ? { cause: 'over_range' } : {}),
      },
      at: e.sourceTime,
      ...(e.latched ? { latched: true } : {}),
    },
  };
}

/** A gateway system event (disk full, telemetry discarded, clock jump) → a system alarm. */
export function systemEventOp(gatewayId: string, siteId: string, e: SystemEvent): OutboxOp {
  return {
    op: 'raise',
    input: {
      conditionKey: `gateway:${gatewayId}:${e.code}`,
      siteId,
      origin: 'edge',
      ruleId: 'gateway-system-event',
      kind: 'system',
      title: bilingualTitle(`网关事件：${gatewayId} ${e.code}`, `Gateway ${gatewayId}: ${e.code}`),
      inputs: { gatewayId, code: e.code, message: e.message, eventId: e.id, seq: e.seq, ...(e.details ? { details: e.details } : {}) },
      at: e.gatewayTime,
    },
  };
}

/** Decisions for alarm-stream events applied in sequence order; `onIgnored` hears about clears on bad data. */
export function opsForAlarmEvents(gatewayId: string, siteId: string, events: readonly AlarmStreamEvent[], onIgnored: (e: AlarmEvent) => void): OutboxOp[] {
  const ops: OutboxOp[] = [];
  for (const e of events) {
    if (e.type === 'system') {
      ops.push(systemEventOp(gatewayId, siteId, e));
      continue;
    }
    if (e.type === 'fault') {
      ops.push(faultOp(gatewayId, e, 'edge', 'edge-fault'));
      continue;
    }
    const op = edgeAlarmOp(gatewayId, e);
    if (op) ops.push(op);
    else onIgnored(e);
  }
  return ops;
}
