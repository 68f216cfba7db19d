/** Edge alarm-stream events → AlarmSink decisions (same condition keys as cloud rules). */
import { ALARM_LEVEL_LABELS, DEFAULT_COLOUR_FOR_LEVEL, type AlarmEvent, type AlarmStreamEvent, type SystemEvent } from '@safeloop/contract';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { siteOf } from '../store/telemetry-store.ts';

export function limitConditionKey(point: string, level: string): string {
  return `limit:${point}:${level}`;
}

/** A raised/cleared edge alarm. A clear on data that is not good quality is ignored (never clears). */
export function edgeAlarmOp(gatewayId: string, e: AlarmEvent): OutboxOp | undefined {
  const conditionKey = limitConditionKey(e.point, e.level);
  if (e.kind === 'cleared') {
    if (e.quality !== 'good') return undefined;
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
      title: `${ALARM_LEVEL_LABELS[e.level].zh} / ${ALARM_LEVEL_LABELS[e.level].en}: ${e.point}`,
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
      },
      at: e.sourceTime,
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
      title: `网关事件 / Gateway ${gatewayId}: ${e.code}`,
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
    const op = edgeAlarmOp(gatewayId, e);
    if (op) ops.push(op);
    else onIgnored(e);
  }
  return ops;
}
